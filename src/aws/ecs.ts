import type { Clock } from '../core/clock.js'
import { DjenvError } from '../core/errors.js'
import type { EcsApi } from './clients.js'
import { mapAwsError } from './errors.js'

/** A service as djenv reads it. */
export interface ServiceInfo {
  name: string
  /** `missing` when ECS no longer knows it (reported in `failures`, not thrown). */
  state: 'active' | 'draining' | 'inactive' | 'missing'
  desired: number
  running: number
  pending: number
  taskDefinition: string | null
  deployments: {
    status: string
    rolloutState: string | null
    taskDefinition: string
    running: number
    desired: number
    failedTasks: number
  }[]
  events: { time: string; message: string }[]
}

/** The services of a cluster, in the order asked (DescribeServices takes ten at a time). */
export async function describeServices(
  ecs: EcsApi,
  cluster: string,
  names: readonly string[],
  region: string,
): Promise<ServiceInfo[]> {
  const byName = new Map<string, ServiceInfo>()
  for (let i = 0; i < names.length; i += 10) {
    const batch = names.slice(i, i + 10)
    const out = await ecs.describeServices({ cluster, services: batch }).catch((err: unknown) => {
      if ((err as { name?: string }).name === 'ClusterNotFoundException')
        return { services: [], failures: [] }
      throw mapAwsError(err, { action: 'ecs:DescribeServices', region })
    })
    for (const s of out.services ?? []) {
      byName.set(s.serviceName ?? '', {
        name: s.serviceName ?? '',
        state: s.status === 'ACTIVE' ? 'active' : s.status === 'DRAINING' ? 'draining' : 'inactive',
        desired: s.desiredCount ?? 0,
        running: s.runningCount ?? 0,
        pending: s.pendingCount ?? 0,
        taskDefinition: s.taskDefinition ?? null,
        deployments: (s.deployments ?? []).map((d) => ({
          status: d.status ?? '',
          rolloutState: d.rolloutState ?? null,
          taskDefinition: d.taskDefinition ?? '',
          running: d.runningCount ?? 0,
          desired: d.desiredCount ?? 0,
          failedTasks: d.failedTasks ?? 0,
        })),
        events: (s.events ?? []).slice(0, 5).map((e) => ({
          time: (e.createdAt ?? new Date(0)).toISOString(),
          message: e.message ?? '',
        })),
      })
    }
  }
  return names.map(
    (name) =>
      byName.get(name) ?? {
        name,
        state: 'missing',
        desired: 0,
        running: 0,
        pending: 0,
        taskDefinition: null,
        deployments: [],
        events: [],
      },
  )
}

/**
 * The image each service's container runs: DescribeServices, then the task definition of
 * each. The container is named like the service (infrastructure.md §2).
 */
export async function serviceImages(
  ecs: EcsApi,
  cluster: string,
  names: readonly string[],
  region: string,
): Promise<Record<string, string>> {
  const images: Record<string, string> = {}
  for (const svc of await describeServices(ecs, cluster, names, region)) {
    if (!svc.taskDefinition) continue
    const out = await ecs
      .describeTaskDefinition({ taskDefinition: svc.taskDefinition })
      .catch((err: unknown) => {
        throw mapAwsError(err, { action: 'ecs:DescribeTaskDefinition', region })
      })
    const container = out.taskDefinition?.containerDefinitions?.find((c) => c.name === svc.name)
    if (container?.image) images[svc.name] = container.image
  }
  return images
}

/** A one-off Fargate task to start. */
export interface OneOffTask {
  cluster: string
  taskDefinition: string
  container: string
  command?: string[]
  subnets: string[]
  securityGroups: string[]
  /** Who started it, shown in the ECS console (`djenv`). */
  startedBy: string
}

/** How a one-off task ended. `exitCode` is null when the container never ran. */
export interface TaskOutcome {
  taskArn: string
  exitCode: number | null
  stopCode: string | null
  stoppedReason: string | null
  containerReason: string | null
}

/** Starts a one-off task on on-demand Fargate (a Spot reclaim must not cut it in half). */
export async function startTask(ecs: EcsApi, t: OneOffTask, region: string): Promise<string> {
  const out = await ecs
    .runTask({
      cluster: t.cluster,
      taskDefinition: t.taskDefinition,
      launchType: 'FARGATE',
      count: 1,
      startedBy: t.startedBy,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: t.subnets,
          securityGroups: t.securityGroups,
          assignPublicIp: 'DISABLED',
        },
      },
      overrides: t.command
        ? { containerOverrides: [{ name: t.container, command: t.command }] }
        : undefined,
    })
    .catch((err: unknown) => {
      throw mapAwsError(err, { action: 'ecs:RunTask', region })
    })
  const arn = out.tasks?.[0]?.taskArn
  if (!arn) {
    const reason =
      out.failures?.map((f) => `${f.reason ?? ''} ${f.detail ?? ''}`.trim()).join('; ') ||
      'no reason given'
    throw new DjenvError(
      'TASK_FAILED',
      `ECS did not start a task of ${t.taskDefinition}: ${reason}.`,
      'Check the cluster capacity and the task definition.',
    )
  }
  return arn
}

/** Polls until the task has STOPPED; a task that finishes quickly is never an error. */
export async function waitForTaskStopped(
  ecs: EcsApi,
  cluster: string,
  taskArn: string,
  container: string,
  region: string,
  o: { clock: Clock; signal?: AbortSignal; everyMs?: number; onStatus?: (status: string) => void },
): Promise<TaskOutcome> {
  for (;;) {
    const out = await ecs.describeTasks({ cluster, tasks: [taskArn] }).catch((err: unknown) => {
      throw mapAwsError(err, { action: 'ecs:DescribeTasks', region })
    })
    const task = out.tasks?.[0]
    if (task?.lastStatus === 'STOPPED') {
      const c = task.containers?.find((x) => x.name === container)
      return {
        taskArn,
        exitCode: typeof c?.exitCode === 'number' ? c.exitCode : null,
        stopCode: task.stopCode ?? null,
        stoppedReason: task.stoppedReason ?? null,
        containerReason: c?.reason ?? null,
      }
    }
    o.onStatus?.(task?.lastStatus ?? 'PROVISIONING')
    await o.clock.sleep(o.everyMs ?? 3_000, o.signal)
  }
}

/** Sets a service's desired count. */
export async function setDesiredCount(
  ecs: EcsApi,
  cluster: string,
  service: string,
  count: number,
  region: string,
): Promise<void> {
  await ecs.updateService({ cluster, service, desiredCount: count }).catch((err: unknown) => {
    throw mapAwsError(err, { action: 'ecs:UpdateService', region })
  })
}
