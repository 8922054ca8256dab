import type { Deps } from '../core/command.js'
import { loadConfig } from '../config/load.js'
import type { ConfigData } from '../config/schema.js'
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
