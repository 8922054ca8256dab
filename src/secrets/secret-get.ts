import type { Deps } from '../core/command.js'
import type { SecretSource } from '../config/environment.js'
import { secureStringValue } from '../aws/ssm.js'
import { checkSecretName, secretNotFound } from './names.js'
import { storedSecrets } from './store.js'
import { openSecretTarget, type SecretTargetInput } from './target.js'

export interface SecretGetInput extends SecretTargetInput {
  name: string
  /** Decrypt and return the value: the only way djenv prints one. */
  show: boolean
}

export interface SecretGetResult {
  env: string
  name: string
  /** Where the value the env's containers get comes from: its own, or its base's. */
  from: SecretSource
  parameter: string
  version: number
  lastModified: string | null
  /** The value with --show; null otherwise. */
  value: string | null
}

export type SecretGetDeps = Pick<Deps, 'cwd' | 'env'>

/**
 * The secret an env gets under `name` (its own, else its base's). Without `show` nothing is
 * decrypted: the result says where it is and which version.
 */
export async function secretGet(
  input: SecretGetInput,
  deps: SecretGetDeps,
): Promise<SecretGetResult> {
  const target = await openSecretTarget(input, deps)
  const { project, names, from } = target
  checkSecretName(input.name)
  const stored = await storedSecrets(
    project.aws.ssm,
    names,
    project.region,
    from === 'base' ? ['base'] : ['env', 'base'],
  )
  // Sorted env first: the env's own value wins.
  const found = stored.find((s) => s.name === input.name)
  if (!found) throw secretNotFound(target, input.name, stored)
  let { version, lastModified } = found
  let value: string | null = null
  if (input.show) {
    const read = await secureStringValue(project.aws.ssm, found.parameter, project.region)
    if (!read) throw secretNotFound(target, input.name, [])
    ;({ value, version, lastModified } = read)
  }
  return {
    env: names.env,
    name: input.name,
    from: found.from,
    parameter: found.parameter,
    version,
    lastModified,
    value,
  }
}
