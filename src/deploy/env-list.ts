import type { Deps } from '../core/command.js'
import { parseDuration } from '../config/duration.js'
import type { EnvKind } from '../config/names.js'
import { listProjectStacks } from '../aws/cloudformation.js'
import { parametersByPath } from '../aws/ssm.js'
import { estimateEnvCost } from '../cost/estimate.js'
import { runningShape } from './app-inputs.js'
import { openProject, type ProjectInput } from './project.js'

/** One environment in `djenv env list`. */
export interface EnvRow {
  env: string
  kind: EnvKind
  base: string
  stack: string
  status: string
  url: string | null
  imageTag: string | null
  createdAt: string
  lastDeployAt: string | null
  /** When `env gc` may remove it (ad hoc envs only). */
  expiresAt: string | null
  /** Estimated monthly cost of its own tasks, and its share of its base (see `costLabel`). */
  monthlyUsd: number
  baseShareUsd: number | null
}

export interface EnvListResult {
  project: string
  region: string
  bases: { name: string; kind: EnvKind; stack: string; status: string }[]
  envs: EnvRow[]
  /** What the cost figures are: an estimate, at which prices. */
  costLabel: string
}

export type EnvListDeps = Pick<Deps, 'cwd' | 'env' | 'clock'>

/**
 * Every env of the project from live state, in few calls however many envs there are: one
 * paginated DescribeStacks (stacks, outputs, tags) and one paginated GetParametersByPath per
 * base (recorded images, deploy times, TTLs).
 */
export async function envList(input: ProjectInput, deps: EnvListDeps): Promise<EnvListResult> {
  const { config, aws, region } = await openProject(input, deps)
  const stacks = await listProjectStacks(aws.cfn, config.project, region)
  const apps = stacks.filter((s) => s.tags['djenv:env'] !== undefined)
  const bases = stacks.filter((s) => s.tags['djenv:env'] === undefined)

  const state = new Map<string, Map<string, string>>()
  for (const base of new Set(apps.map((s) => s.tags['djenv:base'] ?? ''))) {
    for (const p of await parametersByPath(
      aws.ssm,
      `/djenv/${config.project}/${base}/envs`,
      region,
    )) {
      const [, envName, ...rest] = p.name
        .slice(`/djenv/${config.project}/${base}`.length + 1)
        .split('/')
      const key = `${base}/${envName}`
      if (!state.has(key)) state.set(key, new Map())
      state.get(key)?.set(rest.join('/'), p.value)
    }
  }

  // The label depends on the region only: the same for every row.
  const costLabel = estimateEnvCost(config, { kind: 'adhoc', services: [] }, null).label
  const envs = apps.map((s): EnvRow => {
    const kind = (s.tags['djenv:kind'] === 'prod' ? 'prod' : 'adhoc') as EnvKind
    const base = s.tags['djenv:base'] ?? ''
    const env = s.tags['djenv:env'] ?? ''
    const recorded =
      state.get(`${base}/${kind === 'prod' ? 'app' : env}`) ?? new Map<string, string>()
    const lastDeployAt = recorded.get('state/deployed-at') ?? s.updatedAt ?? s.createdAt
    const ttl = parseDuration(recorded.get('state/ttl') ?? config.adhoc.ttl)
    const sharedBy = apps.filter((a) => a.tags['djenv:base'] === base).length
    const cost = estimateEnvCost(config, runningShape(config, kind, env), sharedBy)
    return {
      env,
      kind,
      base,
      stack: s.name,
      status: s.status,
      url: s.outputs.Url ?? null,
      imageTag: recorded.get('state/images/web') ?? null,
      createdAt: recorded.get('state/created-at') ?? s.createdAt,
      lastDeployAt,
      expiresAt:
        kind === 'adhoc' && ttl !== undefined
          ? new Date(Date.parse(lastDeployAt) + ttl).toISOString()
          : null,
      monthlyUsd: cost.envMonthlyUsd,
      baseShareUsd: cost.base.shareUsd,
    }
  })
  return {
    project: config.project,
    region,
    bases: bases.map((s) => ({
      name: s.tags['djenv:base'] ?? s.name,
      kind: (s.tags['djenv:kind'] === 'prod' ? 'prod' : 'adhoc') as EnvKind,
      stack: s.name,
      status: s.status,
    })),
    envs: envs.sort((a, b) => a.kind.localeCompare(b.kind) || a.env.localeCompare(b.env)),
    costLabel,
  }
}
