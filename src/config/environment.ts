import { DjenvError } from '../core/errors.js'
import type { EnvName } from './names.js'

/**
 * The container environment's names (infrastructure.md §8): which names djenv sets itself,
 * and how a name the user adds (plain setting or secret) is checked. The one list both the
 * configuration schema and the app stack read.
 */

/** What a POSIX shell accepts as a variable name; ECS passes any such name through. */
export const ENV_VAR_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$'
const ENV_VAR_NAME = new RegExp(ENV_VAR_NAME_PATTERN)
/** Longest setting or secret name djenv accepts. */
export const ENV_VAR_NAME_MAX = 128

/**
 * Every variable djenv sets in an app container, with where its value comes from. `src/infra`
 * types the environment it builds with these keys, so a new variable cannot be added there
 * without being reserved here.
 */
export const DJENV_VARIABLES = {
  DJANGO_SETTINGS_MODULE: 'django.settingsModule',
  DEBUG: 'always "0"',
  SECRET_KEY: "the env's generated Django key, an ECS secret (`djenv secret set` replaces it)",
  APP_NAME: 'the env name',
  BASE_STACK_NAME: 'the base name',
  DOMAIN_NAME: 'domain',
  FRONTEND_URL: "the env's URL",
  POSTGRES_SERVICE_HOST: "the base's database host",
  POSTGRES_SERVICE_PORT: "the base's database port",
  POSTGRES_NAME: "the env's database name",
  POSTGRES_USERNAME: 'the database user',
  POSTGRES_PASSWORD: "the base's database secret, an ECS secret",
  REDIS_SERVICE_HOST: "the base's Redis host",
  S3_BUCKET_NAME: "the base's assets bucket",
  AWS_REGION: 'region',
  AWS_DEFAULT_REGION: 'region',
  DJENV_PROJECT: 'project',
  DJENV_BASE: 'the base name',
  DJENV_ENV: 'the env name',
  DJENV_KIND: 'the env kind',
  DJENV_SERVICE: 'the service or task name',
  DJENV_HOST: "the env's host name",
  DJENV_URL: "the env's URL",
  DJENV_STATIC_LOCATION: "the env's static prefix in the assets bucket",
  DJENV_MEDIA_LOCATION: "the env's media prefix in the assets bucket",
  DJENV_CDN_HOST: "the base's CDN host, for django-storages' custom_domain (empty without CDN)",
  DJENV_STATIC_URL: 'the CDN URL of static files',
  DJENV_MEDIA_URL: 'the CDN URL of media files (empty when media use pre-signed URLs)',
  DJENV_REDIS_PREFIX: "the env's Redis key prefix",
} as const

export type DjenvVariable = keyof typeof DJENV_VARIABLES

/** The variables djenv injects as ECS secrets rather than plain values. */
export const DJENV_SECRET_VARIABLES = [
  'SECRET_KEY',
  'POSTGRES_PASSWORD',
] as const satisfies readonly DjenvVariable[]

/** The one secret a user may set over djenv's own value: the Django key (rotation). */
export const USER_SETTABLE_SECRETS: readonly string[] = ['SECRET_KEY']

/** Names starting with this prefix are djenv's, present and future. */
export const RESERVED_PREFIX = 'DJENV_'

/** The first rule `name` breaks as a container variable name, or undefined. */
export function envVarNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty'
  if (name.length > ENV_VAR_NAME_MAX)
    return `is ${name.length} characters long; the limit is ${ENV_VAR_NAME_MAX}`
  if (!ENV_VAR_NAME.test(name))
    return 'is not a variable name (letters, digits and "_", not starting with a digit)'
  return undefined
}

/**
 * Why `name` is djenv's, as the end of a sentence naming it ("clashes with …"), or undefined
 * when the user may set it. `secret: true` allows the secrets a user may replace (SECRET_KEY).
 */
export function reservedBy(name: string, o: { secret?: boolean } = {}): string | undefined {
  if (o.secret && USER_SETTABLE_SECRETS.includes(name)) return undefined
  if (Object.hasOwn(DJENV_VARIABLES, name))
    return `${name}, which djenv sets itself (${DJENV_VARIABLES[name as DjenvVariable]})`
  if (name.startsWith(RESERVED_PREFIX))
    return `the ${RESERVED_PREFIX} prefix, reserved for djenv's own variables`
  return undefined
}

/** The plain settings the configuration gives one env. */
export interface ConfiguredEnvironment {
  /** Name → value, the env's own block winning over the top-level `environment`. */
  values: Record<string, string>
  /** Name → the configuration key that set it, e.g. `adhoc.environment.FEATURE_X`. */
  keys: Record<string, string>
}

interface EnvironmentConfig {
  environment: Record<string, string>
  adhoc: { environment: Record<string, string> }
  production: Record<string, { environment: Record<string, string> } | undefined>
}

/**
 * Plain settings of an env: `environment`, then `adhoc.environment` (ad hoc envs) or
 * `production.<name>.environment` (that production env), later blocks winning.
 */
export function configuredEnvironment(
  config: EnvironmentConfig,
  env: Pick<EnvName, 'name' | 'kind'>,
): ConfiguredEnvironment {
  const blocks: [string, Record<string, string>][] = [
    ['environment', config.environment],
    env.kind === 'prod'
      ? [`production.${env.name}.environment`, config.production[env.name]?.environment ?? {}]
      : ['adhoc.environment', config.adhoc.environment],
  ]
  const values: Record<string, string> = {}
  const keys: Record<string, string> = {}
  for (const [key, block] of blocks) {
    for (const [name, value] of Object.entries(block)) {
      values[name] = value
      keys[name] = `${key}.${name}`
    }
  }
  return { values: sortKeys(values), keys }
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)))
}

/** Which SSM path holds a secret: the env's own, or the one its base's envs share. */
export type SecretSource = 'env' | 'base'

/**
 * A secret an app stack injects. CloudFormation must name each one, so djenv resolves the
 * list before synthesis (from SSM, or from `secrets.names` offline), as it does image tags.
 */
export interface SecretRef {
  name: string
  from: SecretSource
}

/**
 * Why `name` cannot be a secret of an env with these plain settings, as the end of a
 * sentence starting with the name, or undefined when it can.
 */
export function secretNameProblem(
  name: string,
  plain: Pick<ConfiguredEnvironment, 'keys'> = { keys: {} },
): string | undefined {
  const problem = envVarNameProblem(name)
  if (problem) return problem
  const reserved = reservedBy(name, { secret: true })
  if (reserved) return `clashes with ${reserved}`
  const key = plain.keys[name]
  if (key) return `clashes with the plain setting ${key} of the configuration`
  return undefined
}

/** One secret per name, the env's own winning over the base's shared one; sorted by name. */
export function effectiveSecrets(refs: readonly SecretRef[]): SecretRef[] {
  const byName = new Map<string, SecretRef>()
  for (const ref of refs) {
    const seen = byName.get(ref.name)
    if (!seen || (seen.from === 'base' && ref.from === 'env')) byName.set(ref.name, ref)
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * Refuses secrets an env cannot receive: a name that is not a variable name, one djenv sets
 * itself, or one the configuration sets as a plain value (naming both).
 */
export function checkSecretRefs(
  refs: readonly SecretRef[],
  plain: Pick<ConfiguredEnvironment, 'keys'>,
  env: string,
): void {
  for (const ref of refs) {
    const problem = secretNameProblem(ref.name, plain)
    if (problem) {
      throw new DjenvError(
        'CONFIG_INVALID',
        `Secret ${ref.name} of ${env}${ref.from === 'base' ? " (shared by the base's envs)" : ''} ${problem}.`,
        `Remove one of them: \`djenv secret unset ${env} ${ref.name}${ref.from === 'base' ? ' --base' : ''}\`, or the setting in the configuration.`,
      )
    }
  }
}
