import { DjenvError } from '../core/errors.js'
import { envVarNameProblem } from '../config/environment.js'
import type { StoredSecret } from './store.js'
import type { SecretTarget } from './target.js'

/** A name to look up or remove: any variable name (rules about clashes apply to writes). */
export function checkSecretName(name: string): void {
  const problem = envVarNameProblem(name)
  if (problem) {
    throw new DjenvError(
      'NAME_INVALID',
      `Secret name "${name}" ${problem}.`,
      'Secret names are variable names such as STRIPE_API_KEY.',
    )
  }
}

export function secretNotFound(
  target: SecretTarget,
  name: string,
  stored: readonly StoredSecret[],
): DjenvError {
  const where =
    target.from === 'base'
      ? `the secrets base ${target.names.base} shares`
      : `${target.names.env}${target.env.kind === 'adhoc' ? ` or base ${target.names.base}` : ''}`
  const known = [...new Set(stored.map((s) => s.name))]
  return new DjenvError(
    'SECRET_NOT_FOUND',
    `No secret ${name} in ${where} (${target.path}).`,
    known.length > 0
      ? `Stored: ${known.join(', ')}.`
      : `None is stored; set one with \`djenv secret set ${target.names.env} ${name}${target.from === 'base' ? ' --base' : ''}\`.`,
  )
}
