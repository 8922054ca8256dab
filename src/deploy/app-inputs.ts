import { DjenvError } from '../core/errors.js'
import type { EnvKind } from '../config/names.js'
import { TASK_NAMES, type EnvNames, type TaskName } from '../config/naming.js'
import { configuredServices, type ConfigData, type ServiceName } from '../config/schema.js'
import type { StackInfo } from '../aws/cloudformation.js'
import { describeServices, serviceImages } from '../aws/ecs.js'
import { parameterValue } from '../aws/ssm.js'
import { statePaths, tagOf } from './env-state.js'
import type { EnvShape } from '../cost/estimate.js'
import type { Project } from './project.js'

/** What an app stack is synthesized from besides the configuration: resolved before synthesis. */

export function tasksOf(config: ConfigData): TaskName[] {
  const services: readonly string[] = configuredServices(config)
  return TASK_NAMES.filter((t) => t === 'migrate' || services.includes(t))
}

export function zeroCounts(config: ConfigData): Partial<Record<ServiceName, number>> {
  return Object.fromEntries(configuredServices(config).map((s) => [s, 0]))
}

/** What runs now, so an update never scales a service: autoscaled prod services are left out. */
export async function currentCounts(
  project: Project,
  names: EnvNames,
  kind: EnvKind,
): Promise<Partial<Record<ServiceName, number>>> {
  const services = await describeServices(
    project.aws.ecs,
    names.cluster,
    configuredServices(project.config),
    project.region,
  )
  const counts: Partial<Record<ServiceName, number>> = {}
  for (const s of services) {
    const autoscaled = kind === 'prod' && s.name !== 'beat'
    if (!autoscaled && s.state !== 'missing') counts[s.name as ServiceName] = s.desired
  }
  return counts
}

export function existingPriority(stack: StackInfo | undefined, isNew: boolean): number | undefined {
  if (!stack || isNew) return undefined
  const value = Number(stack.outputs.ListenerRulePriority)
  return Number.isInteger(value) && value > 0 ? value : undefined
}

/**
 * Image tags per task (infrastructure.md §4.5): --image-tag; else what the live services run
 * (so an infrastructure update never rolls an image back), the recorded tag filling gaps;
 * else, for a new env, `image.tag` from the configuration.
 */
export async function resolveImages(
  project: Project,
  names: EnvNames,
  existing: StackInfo | undefined,
  flag?: string,
): Promise<Record<string, string>> {
  const { config, aws, region } = project
  const tasks = tasksOf(config)
  if (flag) return Object.fromEntries(tasks.map((t) => [t, flag]))
  if (existing) {
    const live = await serviceImages(aws.ecs, names.cluster, configuredServices(config), region)
    const state = statePaths(names)
    const images: Record<string, string> = {}
    for (const task of tasks) {
      const liveTag = live[task] ? tagOf(live[task]) : undefined
      const recorded = await parameterValue(aws.ssm, state.image(task), region)
      const tag =
        liveTag ?? recorded ?? (task === 'migrate' ? images.web : undefined) ?? config.image.tag
      if (tag) images[task] = tag
    }
    if (tasks.every((t) => images[t])) return images
  }
  if (config.image.tag) return Object.fromEntries(tasks.map((t) => [t, config.image.tag as string]))
  throw new DjenvError(
    'IMAGE_MISSING',
    `No image tag for ${names.env}: it has no deployed image and the configuration sets no image.tag.`,
    'Pass --image-tag TAG (e.g. the git SHA CI pushed).',
  )
}

/** Counts services run at after creation: configured for ad hoc; autoscaling minimum (or 1) in prod. */
export function configuredCounts(
  config: ConfigData,
  kind: EnvKind,
  env: string,
): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const svc of configuredServices(config)) {
    if (svc === 'beat') counts[svc] = 1
    else if (kind === 'prod') counts[svc] = config.production[env]?.[svc]?.min ?? 2
    else counts[svc] = config.services[svc]?.desiredCount ?? 1
  }
  return counts
}

/** CPU units and MiB of a service: configured, else djenv's default for the kind. */
export function serviceSize(
  config: ConfigData,
  kind: EnvKind,
  env: string,
  name: ServiceName,
): { cpu: number; memory: number } {
  const prod = kind === 'prod' && name !== 'beat' ? config.production[env]?.[name] : undefined
  const svc = config.services[name]
  const fallback =
    kind === 'prod'
      ? name === 'web'
        ? { cpu: 1024, memory: 2048 }
        : { cpu: 512, memory: 1024 }
      : { cpu: 256, memory: 512 }
  return {
    cpu: prod?.cpu ?? svc?.cpu ?? fallback.cpu,
    memory: prod?.memory ?? svc?.memory ?? fallback.memory,
  }
}

/** What an env runs once started, for cost estimates: each service's tasks and size. */
export function runningShape(config: ConfigData, kind: EnvKind, env: string): EnvShape {
  const counts = configuredCounts(config, kind, env)
  return {
    kind,
    prodEnv: kind === 'prod' ? env : undefined,
    services: configuredServices(config).map((name) => ({
      name,
      tasks: counts[name] ?? 0,
      ...serviceSize(config, kind, env, name),
    })),
  }
}
