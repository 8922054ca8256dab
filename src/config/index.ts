export {
  loadConfig,
  discoverConfigFile,
  validateConfig,
  CONFIG_FILE_NAMES,
  type LoadedConfig,
} from './load.js'
export {
  configSchema,
  FARGATE_SIZES,
  type ConfigData,
  type ConfigInput,
  type ProductionConfig,
  type ServiceName,
} from './schema.js'
export {
  parseEnvName,
  nameProblem,
  suggestName,
  NAME_LIMITS,
  MAX_ENV_NAME,
  RESERVED_ENV_NAMES,
  type EnvName,
  type EnvKind,
} from './names.js'
export { envNames, baseStackName, PROD_APP_ENV, type EnvNames } from './naming.js'
export { commandWords } from './command-words.js'
export { parseDuration } from './duration.js'
export {
  DJENV_VARIABLES,
  configuredEnvironment,
  effectiveSecrets,
  envVarNameProblem,
  reservedBy,
  secretNameProblem,
  type ConfiguredEnvironment,
  type SecretRef,
  type SecretSource,
} from './environment.js'
