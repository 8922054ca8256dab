import type { Deps } from '../core/command.js'
import {
  checkSecretRefs,
  configuredEnvironment,
  effectiveSecrets,
  type SecretRef,
  type SecretSource,
} from '../config/environment.js'
import type { EnvNames } from '../config/naming.js'
import type { ConfigData } from '../config/schema.js'
import type { SsmApi } from '../aws/clients.js'
import { parameterMetadataByPath } from '../aws/ssm.js'

/** A stored secret as djenv may show it: never its value. */
export interface StoredSecret {
  name: string
  /** `env`: the env's own; `base`: shared by the base's envs. */
  from: SecretSource
  /** Full SSM parameter name. */
  parameter: string
  version: number
  lastModified: string | null
}

/**
 * The secrets stored for an env, without values: its own path and, for an ad hoc env, its
 * base's shared path (a production env's base path is its own). Sorted by name, env first.
 */
export async function storedSecrets(
  ssm: SsmApi,
  names: EnvNames,
  region: string,
  sources: readonly SecretSource[] = ['env', 'base'],
): Promise<StoredSecret[]> {
  const paths: [SecretSource, string][] = []
  if (sources.includes('env')) paths.push(['env', names.secretsPath])
  if (sources.includes('base') && names.baseSecretsPath !== names.secretsPath)
    paths.push(['base', names.baseSecretsPath])
  const found: StoredSecret[] = []
  for (const [from, path] of paths) {
    for (const p of await parameterMetadataByPath(ssm, path, region)) {
      found.push({
        name: p.name.slice(path.length + 1),
        from,
        parameter: p.name,
        version: p.version,
        lastModified: p.lastModified,
      })
    }
  }
  const rank = (from: SecretSource) => (from === 'env' ? 0 : 1)
  return found.sort((a, b) => a.name.localeCompare(b.name) || rank(a.from) - rank(b.from))
}

/**
 * The secrets an env's app stack injects, read from SSM just before synthesis (a template
 * must name each one): every stored name, the env's own winning. Refuses names the env cannot
 * receive, and warns about names the configuration expects that have no value.
 */
export async function secretsForDeploy(
  ssm: SsmApi,
  config: ConfigData,
  names: EnvNames,
  region: string,
  deps: Pick<Deps, 'report'>,
): Promise<SecretRef[]> {
  const stored = await storedSecrets(ssm, names, region)
  const refs = effectiveSecrets(stored.map(({ name, from }) => ({ name, from })))
  const plain = configuredEnvironment(config, { name: names.env, kind: names.kind })
  checkSecretRefs(
    refs.filter((r) => r.name !== 'SECRET_KEY'),
    plain,
    names.env,
  )
  const missing = config.secrets.names.filter((name) => !refs.some((r) => r.name === name))
  if (missing.length > 0) {
    deps.report.warn(
      `${names.env} has no value for ${missing.join(', ')} (secrets.names): set ${missing.length === 1 ? 'it' : 'them'} with \`djenv secret set ${names.env} NAME\`.`,
    )
  }
  return refs
}
