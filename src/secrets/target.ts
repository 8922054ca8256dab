import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import {
  configuredEnvironment,
  type ConfiguredEnvironment,
  type SecretSource,
} from '../config/environment.js'
import { parseEnvName, type EnvName } from '../config/names.js'
import { envNames, type EnvNames } from '../config/naming.js'
import { describeStack } from '../aws/cloudformation.js'
import { openProject, type Project, type ProjectInput } from '../deploy/project.js'

/** What every `djenv secret` command names: an env, and whether it means its base's set. */
export interface SecretTargetInput extends ProjectInput {
  /** The env, e.g. pr-42; with `base`, any ad hoc env of the base. */
  env: string
  /** Act on the secrets every ad hoc env of the base shares. @default false */
  base?: boolean
}

/** The env a secret command acts on, and the SSM path it reads or writes. */
export interface SecretTarget {
  project: Project
  env: EnvName
  names: EnvNames
  /** `env`: the env's own secrets; `base`: the set its base's envs share. */
  from: SecretSource
  /** `/djenv/<project>/<env>/secrets` or `/djenv/<project>/<base>/secrets`. */
  path: string
  /** The env's plain settings from the configuration: a secret may not take their names. */
  plain: ConfiguredEnvironment
}

/**
 * Opens the project and checks the env name offline. `--base` is for ad hoc envs: a
 * production env's base is its own, so its secrets are already the base's.
 */
export async function openSecretTarget(
  input: SecretTargetInput,
  deps: Pick<Deps, 'cwd' | 'env'>,
): Promise<SecretTarget> {
  // `name` of a secret input is the secret's: the env to check offline is `env`.
  const { configPath, profile, region } = input
  const project = await openProject({ configPath, profile, region, name: input.env }, deps)
  const { config } = project
  const env = parseEnvName(input.env, {
    base: config.adhoc.base,
    productionEnvs: Object.keys(config.production),
  })
  if (input.base && env.kind === 'prod') {
    throw new DjenvError(
      'USAGE',
      `${env.name} is a production env with a base of its own, so it has no shared set: --base is for ad hoc envs.`,
      `Drop --base to act on ${env.name}'s secrets.`,
    )
  }
  const names = envNames(config, env)
  const from: SecretSource = input.base ? 'base' : 'env'
  return {
    project,
    env,
    names,
    from,
    path: from === 'base' ? names.baseSecretsPath : names.secretsPath,
    plain: configuredEnvironment(config, env),
  }
}

/**
 * Whether the env exists: a configured production env always does; an ad hoc env once its
 * stack does. Secrets may come before either's first deploy (`secret set` warns for an ad hoc
 * env without a stack, since a mistyped name stores a secret nothing reads).
 */
export async function envExists(target: SecretTarget): Promise<boolean> {
  if (target.env.kind === 'prod') return true
  const { aws, region } = target.project
  return (await describeStack(aws.cfn, target.names.appStack, region)) !== undefined
}

export function envNotFound(target: SecretTarget): DjenvError {
  const { names, project } = target
  return new DjenvError(
    'ENV_NOT_FOUND',
    `No environment ${names.env} in ${names.project} (${project.region}): stack ${names.appStack} does not exist.`,
    `Create it first with \`djenv env create ${names.env}\`, or pass --base to act on the secrets every ad hoc env of base ${names.base} shares.`,
  )
}
