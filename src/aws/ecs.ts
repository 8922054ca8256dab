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
    id: string
    status: string
    rolloutState: string | null
    /** Why the rollout is in its state, e.g. "ECS deployment circuit breaker: task failed to start." */
    rolloutStateReason: string | null
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
          id: d.id ?? '',
          status: d.status ?? '',
          rolloutState: d.rolloutState ?? null,
          rolloutStateReason: d.rolloutStateReason ?? null,
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
  taskDefinitionArn: string | null
  /** The image the container ran (or failed to pull). */
  image: string | null
  startedAt: string | null
  stoppedAt: string | null
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
        taskDefinitionArn: task.taskDefinitionArn ?? null,
        image: c?.image ?? null,
        startedAt: task.startedAt ? task.startedAt.toISOString() : null,
        stoppedAt: task.stoppedAt ? task.stoppedAt.toISOString() : null,
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

/** Stops a task (ECS sends SIGTERM, then SIGKILL after the stop timeout). */
export async function stopTask(
  ecs: EcsApi,
  cluster: string,
  taskArn: string,
  reason: string,
  region: string,
): Promise<void> {
  await ecs.stopTask({ cluster, task: taskArn, reason }).catch((err: unknown) => {
    throw mapAwsError(err, { action: 'ecs:StopTask', region })
  })
}

/** A task definition revision as deploy-image reads it. */
export interface TaskDefinitionInfo {
  arn: string
  family: string
  revision: number
  /** The image of the container named `container`, or null when there is no such container. */
  image: string | null
}

/** A revision (ARN, or a family for its latest ACTIVE revision) and the image of one container. */
export async function describeTaskDefinitionImage(
  ecs: EcsApi,
  taskDefinition: string,
  container: string,
  region: string,
): Promise<TaskDefinitionInfo> {
  const out = await ecs.describeTaskDefinition({ taskDefinition }).catch((err: unknown) => {
    throw mapTaskDefinitionError(err, taskDefinition, region)
  })
  const def = out.taskDefinition
  return {
    arn: def?.taskDefinitionArn ?? taskDefinition,
    family: def?.family ?? '',
    revision: def?.revision ?? 0,
    image: def?.containerDefinitions?.find((c) => c.name === container)?.image ?? null,
  }
}

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses (infrastructure.md §9.2). */
const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const

/**
 * Registers a new revision of `from` (an ARN, or a family for its latest ACTIVE revision) that
 * differs only in the image of the container named `container`; every other setting and the
 * tags are kept. Returns the new revision and the one it was made from.
 */
export async function registerWithImage(
  ecs: EcsApi,
  from: string,
  container: string,
  image: string,
  region: string,
): Promise<{ previous: TaskDefinitionInfo; registered: TaskDefinitionInfo }> {
  const out = await ecs
    .describeTaskDefinition({ taskDefinition: from, include: ['TAGS'] })
    .catch((err: unknown) => {
      throw mapTaskDefinitionError(err, from, region)
    })
  const def = out.taskDefinition
  const target = def?.containerDefinitions?.find((c) => c.name === container)
  if (!def?.family || !target) {
    throw new DjenvError(
      'DEPLOY_FAILED',
      `Task definition ${from} has no container named ${container}; djenv changes only that container's image.`,
      'Deploy the env again with `djenv env create` so its task definitions have the layout djenv expects.',
    )
  }
  const readOnly: readonly string[] = READ_ONLY_FIELDS
  const input = Object.fromEntries(Object.entries(def).filter(([k]) => !readOnly.includes(k)))
  const containerDefinitions = (def.containerDefinitions ?? []).map((c) =>
    c.name === container ? { ...c, image } : c,
  )
  const tags = out.tags ?? []
  const registered = await ecs
    .registerTaskDefinition({
      ...(input as { family: string }),
      containerDefinitions,
      ...(tags.length ? { tags } : {}),
    })
    .catch((err: unknown) => {
      throw mapAwsError(err, { action: `ecs:RegisterTaskDefinition (${def.family})`, region })
    })
  const next = registered.taskDefinition
  return {
    previous: {
      arn: def.taskDefinitionArn ?? from,
      family: def.family,
      revision: def.revision ?? 0,
      image: target.image ?? null,
    },
    registered: {
      arn: next?.taskDefinitionArn ?? '',
      family: next?.family ?? def.family,
      revision: next?.revision ?? 0,
      image,
    },
  }
}

/** Marks a revision INACTIVE: tasks running it go on; new ones cannot start from it. */
export async function deregisterTaskDefinition(
  ecs: EcsApi,
  arn: string,
  region: string,
): Promise<void> {
  await ecs.deregisterTaskDefinition({ taskDefinition: arn }).catch((err: unknown) => {
    throw mapAwsError(err, { action: 'ecs:DeregisterTaskDefinition', region })
  })
}

/**
 * The ARNs of the ACTIVE revisions of exactly `family`, oldest first. ListTaskDefinitions
 * filters by `familyPrefix`, which the API does not promise to be an exact match, so ARNs of
 * other families (`…-pr-4-web-2-web` for `…-pr-4-web`) are dropped here.
 */
export async function activeRevisions(
  ecs: EcsApi,
  family: string,
  region: string,
): Promise<string[]> {
  const arns: string[] = []
  let nextToken: string | undefined
  do {
    const out = await ecs
      .listTaskDefinitions({ familyPrefix: family, status: 'ACTIVE', maxResults: 100, nextToken })
      .catch((err: unknown) => {
        throw mapAwsError(err, { action: 'ecs:ListTaskDefinitions', region })
      })
    arns.push(...(out.taskDefinitionArns ?? []).filter((arn) => familyOf(arn) === family))
    nextToken = out.nextToken
  } while (nextToken)
  return arns
}

/** The family of a task definition ARN `arn:…:task-definition/<family>:<revision>`. */
export function familyOf(taskDefinitionArn: string): string {
  const name = revisionOf(taskDefinitionArn)
  const colon = name.lastIndexOf(':')
  return colon >= 0 ? name.slice(0, colon) : name
}

/** Points a service at a task definition revision: ECS starts a rolling deployment. */
export async function updateServiceTaskDefinition(
  ecs: EcsApi,
  cluster: string,
  service: string,
  taskDefinition: string,
  region: string,
): Promise<void> {
  await ecs.updateService({ cluster, service, taskDefinition }).catch((err: unknown) => {
    throw mapAwsError(err, { action: `ecs:UpdateService (${service})`, region })
  })
}

/** A task a service started that has stopped, with why. */
export interface StoppedTaskInfo {
  taskId: string
  stoppedAt: string | null
  stopCode: string | null
  stoppedReason: string | null
  exitCode: number | null
  containerReason: string | null
}

/**
 * The latest stopped tasks of a service that ran `taskDefinition`, newest first (ECS keeps
 * stopped tasks for about an hour).
 */
export async function stoppedTasks(
  ecs: EcsApi,
  cluster: string,
  service: string,
  taskDefinition: string,
  region: string,
  limit = 3,
): Promise<StoppedTaskInfo[]> {
  const listed = await ecs
    .listTasks({ cluster, serviceName: service, desiredStatus: 'STOPPED', maxResults: 100 })
    .catch((err: unknown) => {
      throw mapAwsError(err, { action: 'ecs:ListTasks', region })
    })
  const arns = listed.taskArns ?? []
  if (arns.length === 0) return []
  const out = await ecs.describeTasks({ cluster, tasks: arns }).catch((err: unknown) => {
    throw mapAwsError(err, { action: 'ecs:DescribeTasks', region })
  })
  return (out.tasks ?? [])
    .filter((t) => t.taskDefinitionArn === taskDefinition)
    .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))
    .slice(0, limit)
    .map((t) => {
      const c = t.containers?.find((x) => x.name === service)
      return {
        taskId: (t.taskArn ?? '').split('/').pop() ?? '',
        stoppedAt: t.stoppedAt ? t.stoppedAt.toISOString() : null,
        stopCode: t.stopCode ?? null,
        stoppedReason: t.stoppedReason ?? null,
        exitCode: typeof c?.exitCode === 'number' ? c.exitCode : null,
        containerReason: c?.reason ?? null,
      }
    })
}

function mapTaskDefinitionError(err: unknown, taskDefinition: string, region: string): DjenvError {
  const e = err as { name?: string; message?: string }
  if (
    e.name === 'ClientException' &&
    /unable to describe task ?definition/i.test(e.message ?? '')
  ) {
    return new DjenvError(
      'ENV_NOT_FOUND',
      `Task definition ${taskDefinition} does not exist in ${region}.`,
      'Create the env first with `djenv env create`.',
      err,
    )
  }
  return mapAwsError(err, { action: 'ecs:DescribeTaskDefinition', region })
}

/** `family:revision` of a task definition ARN (the ARN itself when it is not one). */
export function revisionOf(taskDefinitionArn: string): string {
  return taskDefinitionArn.split('/').pop() ?? taskDefinitionArn
}

/** A running task as `exec` and `port-forward` choose one. */
export interface RunningTask {
  taskArn: string
  taskId: string
  /** ISO-8601; null when ECS did not say. */
  startedAt: string | null
  /** ECS Exec was enabled when the task started. */
  execEnabled: boolean
  containers: {
    name: string
    /** The container's runtime id, part of an SSM target `ecs:<cluster>_<task>_<runtimeId>`. */
    runtimeId: string | null
    lastStatus: string
    /** The ExecuteCommandAgent's status (RUNNING when exec works); null when absent. */
    execAgent: string | null
  }[]
}

/**
 * The RUNNING tasks of a service (ListTasks, then DescribeTasks a hundred at a time), oldest
 * first; or the one task named by `task` (id or ARN), whatever service it belongs to.
 */
export async function runningTasks(
  ecs: EcsApi,
  cluster: string,
  select: { service: string } | { task: string },
  region: string,
): Promise<RunningTask[]> {
  let arns: string[]
  if ('task' in select) {
    arns = [select.task]
  } else {
    arns = []
    let nextToken: string | undefined
    do {
      const out = await ecs
        .listTasks({
          cluster,
          serviceName: select.service,
          desiredStatus: 'RUNNING',
          nextToken,
        })
        .catch((err: unknown) => {
          if (isMissing(err)) return { taskArns: [], nextToken: undefined }
          throw mapAwsError(err, { action: 'ecs:ListTasks', region })
        })
      arns.push(...(out.taskArns ?? []))
      nextToken = out.nextToken
    } while (nextToken)
  }
  const tasks: RunningTask[] = []
  for (let i = 0; i < arns.length; i += 100) {
    const out = await ecs
      .describeTasks({ cluster, tasks: arns.slice(i, i + 100) })
      .catch((err: unknown) => {
        if (isMissing(err)) return { tasks: [] }
        throw mapAwsError(err, { action: 'ecs:DescribeTasks', region })
      })
    for (const t of out.tasks ?? []) {
      if (t.lastStatus !== 'RUNNING' || !t.taskArn) continue
      tasks.push({
        taskArn: t.taskArn,
        taskId: t.taskArn.split('/').pop() ?? t.taskArn,
        startedAt: t.startedAt ? t.startedAt.toISOString() : null,
        execEnabled: t.enableExecuteCommand ?? false,
        containers: (t.containers ?? []).map((c) => ({
          name: c.name ?? '',
          runtimeId: c.runtimeId ?? null,
          lastStatus: c.lastStatus ?? '',
          execAgent:
            c.managedAgents?.find((a) => a.name === 'ExecuteCommandAgent')?.lastStatus ?? null,
        })),
      })
    }
  }
  return tasks.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))
}

function isMissing(err: unknown): boolean {
  return (err as { name?: string }).name === 'ClusterNotFoundException'
}

/** What ECS ExecuteCommand returns: the session to open on the stream URL. */
export interface ExecSessionTarget {
  sessionId: string
  streamUrl: string
  tokenValue: string
}

/**
 * ECS ExecuteCommand (`interactive: true`, the only mode ECS accepts: ssm-protocol.md §1),
 * mapping the two failures users meet most: exec not enabled (or its agent not running) on the
 * task, and a task whose SSM agent cannot reach Session Manager.
 */
export async function executeCommand(
  ecs: EcsApi,
  input: { cluster: string; task: string; container: string; command: string },
  region: string,
): Promise<ExecSessionTarget> {
  const out = await ecs.executeCommand({ ...input, interactive: true }).catch((err: unknown) => {
    throw mapExecuteCommandError(err, input.task, region)
  })
  const s = out.session
  if (!s?.sessionId || !s.streamUrl || !s.tokenValue) {
    throw new DjenvError(
      'SESSION_FAILED',
      `ECS ExecuteCommand on task ${input.task} returned no session.`,
      'Try again; report this if it persists.',
    )
  }
  return { sessionId: s.sessionId, streamUrl: s.streamUrl, tokenValue: s.tokenValue }
}

function mapExecuteCommandError(err: unknown, task: string, region: string): DjenvError {
  const e = (err ?? {}) as { name?: string; message?: string }
  const message = e.message ?? ''
  const id = task.split('/').pop() ?? task
  if (/execute command was not enabled|execute command agent isn.?t running/i.test(message)) {
    return new DjenvError(
      'EXEC_UNAVAILABLE',
      `ECS Exec is not available on task ${id}: exec was not enabled when it started, or its exec agent is not running.`,
      'djenv enables exec on every service; a task started before that, or just starting, lacks it. Wait a minute, or redeploy (`djenv deploy-image`) to replace the task.',
      err,
    )
  }
  if (e.name === 'TargetNotConnectedException' || /internal error/i.test(message)) {
    return new DjenvError(
      'EXEC_UNAVAILABLE',
      `Task ${id} is not connected to Session Manager (${e.name ?? 'error'}).`,
      'The task role needs ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel, and the task must reach ssmmessages (NAT or a VPC endpoint). Check with `djenv env status`.',
      err,
    )
  }
  return mapAwsError(err, { action: 'ecs:ExecuteCommand', region })
}
