import type { Deps } from '../core/command.js'
import { loadConfig } from '../config/load.js'
import { parseEnvName, type EnvName } from '../config/names.js'
import { envNames, type EnvNames } from '../config/naming.js'
import type { ConfigData } from '../config/schema.js'
import { describeStack, type StackInfo } from '../aws/cloudformation.js'
import { DjenvError } from '../core/errors.js'
import { createAws, type Aws } from '../aws/clients.js'
import { callerIdentity } from '../aws/identity.js'
import { resolveAwsSettings } from '../aws/settings.js'

/** What every AWS-facing workflow starts from: the validated configuration and AWS clients. */
export interface Project {
  config: ConfigData
  configFile: string
  aws: Aws
  account: string
  region: string
  profile?: string
}

export interface ProjectInput {
  configPath?: string
  profile?: string
  region?: string
  /** The env the command acts on, when named: checked offline, before any AWS call. */
  name?: string
}

/**
 * Loads and validates the configuration (offline: exit 2 before any AWS call), then asks STS
 * who the credentials belong to, refusing another account than the configured one.
 */
export async function openProject(
  input: ProjectInput,
  deps: Pick<Deps, 'cwd' | 'env'>,
): Promise<Project> {
  const loaded = await loadConfig({ cwd: deps.cwd, path: input.configPath })
  if (input.name !== undefined) projectEnv(loaded.data, input.name)
  const settings = resolveAwsSettings({
    flags: { profile: input.profile, region: input.region },
    config: loaded.data,
    env: deps.env,
  })
  const aws = createAws(settings, {}, deps.env)
  const { account } = await callerIdentity(aws, loaded.data.account)
  return {
    config: loaded.data,
    configFile: loaded.file,
    aws,
    account,
    region: settings.region,
    profile: settings.profile,
  }
}

/** An env of the project: its name checked against the configuration, and every name built from it. */
export function projectEnv(config: ConfigData, name: string): { env: EnvName; names: EnvNames } {
  const env = parseEnvName(name, {
    base: config.adhoc.base,
    productionEnvs: Object.keys(config.production),
  })
  return { env, names: envNames(config, env) }
}

/** The env's app stack; ENV_NOT_FOUND (saying how to create it) when there is none. */
export async function requireAppStack(
  project: Pick<Project, 'aws' | 'region' | 'config'>,
  names: EnvNames,
): Promise<StackInfo> {
  const stack = await describeStack(project.aws.cfn, names.appStack, project.region)
  if (stack) return stack
  throw new DjenvError(
    'ENV_NOT_FOUND',
    `No environment ${names.env} in project ${project.config.project} (${project.region}): stack ${names.appStack} does not exist.`,
    `Create it with \`djenv env create ${names.env}\`, or list envs with \`djenv env list\`.`,
  )
}
