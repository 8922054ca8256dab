import { DjenvError } from '../core/errors.js'

/**
 * Longest project, base and env names. Each is a DNS label, and the names djenv builds
 * from them must fit AWS's limits (see ENV_NAME_BOUNDS): the project and base prefix every
 * stack, cluster and task family; the env is also a DNS label and a PostgreSQL database name.
 */
export const NAME_LIMITS = { project: 20, base: 12, env: 30 } as const

/**
 * The AWS names built from an env name, with their hard limits. The env limit is the
 * smallest room any of them leaves once the longest project and base are in place, capped at
 * NAME_LIMITS.env so tables, tags and URLs stay readable.
 */
export const ENV_NAME_BOUNDS = [
  { what: 'DNS label of <env>.<domain>', limit: 63, fixed: 0 },
  { what: 'PostgreSQL database name', limit: 63, fixed: 0 },
  { what: 'CloudFormation stack name <project>-<base>-<env>', limit: 128, fixed: 22 + 12 },
  {
    what: 'ECS task definition family <project>-<base>-<env>-migrate',
    limit: 255,
    fixed: 22 + 12 + 8,
  },
] as const

export const MAX_ENV_NAME = Math.min(
  NAME_LIMITS.env,
  ...ENV_NAME_BOUNDS.map((b) => b.limit - b.fixed),
)

/**
 * Names an ad hoc env can never take: they would collide with a base resource or a DNS name
 * djenv uses itself (`static.<domain>` is the CDN, `<project>-<base>-ops` the ops cluster,
 * `<project>-<base>-app` a production app stack).
 */
export const RESERVED_ENV_NAMES = ['base', 'static', 'www', 'ops', 'app', 'api', 'admin'] as const

const LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/

/** The first rule `value` breaks as a DNS label of at most `max` characters, or undefined. */
export function nameProblem(value: string, max: number): string | undefined {
  if (value.length === 0) return 'is empty'
  if (value.length > max) return `is ${value.length} characters long; the limit is ${max}`
  if (/[A-Z]/.test(value)) return 'has upper-case letters; use lower case'
  if (!/^[a-z]/.test(value)) return 'must start with a letter'
  if (/[^a-z0-9-]/.test(value)) return 'may contain only a-z, 0-9 and "-"'
  if (value.endsWith('-')) return 'must not end with "-"'
  if (value.includes('--')) return 'must not contain "--"'
  if (!LABEL.test(value)) return 'is not a DNS label'
  return undefined
}

/** A valid name close to `value`, for error messages. */
export function suggestName(value: string, max: number = MAX_ENV_NAME): string {
  let s = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
  if (/^\d/.test(s)) s = `pr-${s}`
  if (s === '') s = 'env'
  return s.slice(0, max).replace(/-+$/, '')
}

/** What an env name is checked against: the project's bases and production envs. */
export interface NameContext {
  base: string
  productionEnvs: readonly string[]
}

export type EnvKind = 'adhoc' | 'prod'

/** A checked environment name and what it refers to. */
export interface EnvName {
  name: string
  kind: EnvKind
}

/**
 * The one env-name validator. A configured production env is `prod`; any other valid name
 * is an ad hoc env on the base. Throws NAME_INVALID (exit 2) naming the broken rule and a
 * valid suggestion.
 */
export function parseEnvName(
  value: string,
  ctx: NameContext,
  use: 'any' | 'adhoc' = 'any',
): EnvName {
  const problem = nameProblem(value, MAX_ENV_NAME)
  if (problem) {
    throw invalid(value, problem, suggestName(value))
  }
  if (ctx.productionEnvs.includes(value)) {
    if (use === 'adhoc') {
      throw invalid(
        value,
        'is a production environment and cannot be used for an ad hoc env',
        `${value}-adhoc`,
      )
    }
    return { name: value, kind: 'prod' }
  }
  if (value === ctx.base) {
    throw invalid(value, `is the name of the ad hoc base`, `${value}-1`)
  }
  if ((RESERVED_ENV_NAMES as readonly string[]).includes(value)) {
    throw invalid(value, 'is reserved by djenv', `${value}-1`)
  }
  const cdnOf = ctx.productionEnvs.find((p) => value === `static-${p}`)
  if (cdnOf !== undefined) {
    throw invalid(value, `is the CDN host of production env ${cdnOf}`, `${value}-1`)
  }
  return { name: value, kind: 'adhoc' }
}

function invalid(value: string, problem: string, suggestion: string): DjenvError {
  return new DjenvError(
    'NAME_INVALID',
    `Environment name "${value}" ${problem}.`,
    `Names are lower-case DNS labels of at most ${MAX_ENV_NAME} characters (a-z, 0-9, "-"), e.g. "${suggestion}".`,
  )
}
