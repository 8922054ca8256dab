import type { Deps } from '../core/command.js'
import type { SecretSource } from '../config/environment.js'
import { envExists, envNotFound, openSecretTarget, type SecretTargetInput } from './target.js'
import { storedSecrets } from './store.js'

export type SecretListInput = SecretTargetInput

/** One stored secret: never its value. */
export interface SecretListEntry {
  name: string
  /** `env`: the env's own; `base`: shared by the base's envs. */
  from: SecretSource
  parameter: string
  version: number
  lastModified: string | null
  /** A base secret the env's own value replaces: its containers do not get this one. */
  overridden: boolean
}

export interface SecretListResult {
  env: string
  base: string
  /** `env`: the env's own and its base's secrets; `base`: the shared set only (--base). */
  scope: SecretSource
  secrets: SecretListEntry[]
  /** Names in `secrets.names` of the configuration that have no value here. */
  missing: string[]
  /** False for an ad hoc env without a stack that has secrets (set before its first env create, or kept by env destroy --keep-secrets). */
  envExists: boolean
}

export type SecretListDeps = Pick<Deps, 'cwd' | 'env' | 'report'>

/**
 * The names of an env's secrets, where each comes from, its version and when it changed:
 * read without decryption, so no value is ever fetched.
 */
export async function secretList(
  input: SecretListInput,
  deps: SecretListDeps,
): Promise<SecretListResult> {
  const target = await openSecretTarget(input, deps)
  const { project, names, from } = target
  const stored = await storedSecrets(
    project.aws.ssm,
    names,
    project.region,
    from === 'base' ? ['base'] : ['env', 'base'],
  )
  const exists = from === 'base' || (await envExists(target))
  if (!exists && !stored.some((s) => s.from === 'env')) throw envNotFound(target)
  if (!exists) {
    deps.report.warn(
      `${names.env} has no stack: these secrets were set before its first \`djenv env create\`, or kept when it was destroyed. \`djenv secret unset ${names.env} NAME\` removes one.`,
    )
  }
  const own = new Set(stored.filter((s) => s.from === 'env').map((s) => s.name))
  const secrets = stored.map((s) => ({
    ...s,
    overridden: s.from === 'base' && own.has(s.name),
  }))
  return {
    env: names.env,
    base: names.base,
    scope: from,
    secrets,
    missing: project.config.secrets.names.filter((name) => !secrets.some((s) => s.name === name)),
    envExists: exists,
  }
}
