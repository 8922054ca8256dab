import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { Aws } from '../aws/clients.js'
import { describeServices, revisionOf, type ServiceInfo } from '../aws/ecs.js'

/** Where a service's rollout stands, from its deployments. */
export type RolloutState =
  | 'in-progress'
  /** The PRIMARY deployment runs the wanted revision and its rollout COMPLETED. */
  | 'completed'
  /** The wanted revision failed and ECS went back to an earlier one (circuit breaker, alarm). */
  | 'rolled-back'
  /** The wanted revision's rollout FAILED and nothing replaced it. */
  | 'failed'
  /** At least `maxTaskFailures` tasks of the wanted revision failed in a row. */
  | 'failing'
  /** Another deployment (another djenv run, a console change) replaced the wanted revision. */
  | 'superseded'

export const TERMINAL_STATES: readonly RolloutState[] = [
  'completed',
  'rolled-back',
  'failed',
  'failing',
  'superseded',
]

/** What a rollout must reach: the service, and the revision it must end up running. */
export interface RolloutTarget {
  name: string
  /** The revision that must become PRIMARY; absent: whatever is PRIMARY now (after a stack deploy). */
  taskDefinition?: string
  /** The revision it ran before; a PRIMARY deployment of it means ECS rolled back. */
  previous?: string
}

export interface RolloutStatus {
  name: string
  state: RolloutState
  /** The revision of the PRIMARY deployment. */
  taskDefinition: string | null
  rolloutState: string | null
  running: number
  desired: number
  /** Consecutive failed tasks of the wanted revision's deployment. */
  failedTasks: number
  /** Why it is in this state, from ECS (rollout state reason or the latest event). */
  reason: string | null
  events: ServiceInfo['events']
}

/**
 * Classifies one service's rollout (infrastructure.md §9.2 step 4). "Stable" is not enough: after
 * a circuit-breaker rollback the service is stable again, on the old revision. `seen` says
 * whether a deployment of the wanted revision showed up in an earlier poll.
 */
export function classifyRollout(
  svc: ServiceInfo,
  target: RolloutTarget,
  o: { maxTaskFailures?: number; seen?: boolean } = {},
): RolloutStatus {
  const primary = svc.deployments.find((d) => d.status === 'PRIMARY')
  const wanted = target.taskDefinition ?? primary?.taskDefinition
  const ours = svc.deployments.find((d) => d.taskDefinition === wanted)
  const base = {
    name: svc.name,
    taskDefinition: primary?.taskDefinition ?? null,
    rolloutState: primary?.rolloutState ?? null,
    running: svc.running,
    desired: svc.desired,
    failedTasks: ours?.failedTasks ?? 0,
    events: svc.events,
  }
  const lastEvent = svc.events[0]?.message ?? null
  if (svc.state === 'missing' || !primary) {
    return { ...base, state: 'in-progress', reason: `ECS does not show service ${svc.name} yet` }
  }
  if (primary.taskDefinition === wanted) {
    if (primary.rolloutState === 'FAILED') {
      return { ...base, state: 'failed', reason: primary.rolloutStateReason ?? lastEvent }
    }
    const settled =
      svc.state === 'active' &&
      svc.running === svc.desired &&
      // Without a circuit breaker there is no rollout state: one deployment left is the end.
      (primary.rolloutState === 'COMPLETED' ||
        (primary.rolloutState === null && svc.deployments.length === 1))
    if (settled) return { ...base, state: 'completed', reason: null }
    if (o.maxTaskFailures !== undefined && primary.failedTasks >= o.maxTaskFailures) {
      return {
        ...base,
        state: 'failing',
        reason: `${primary.failedTasks} task(s) of the new revision failed in a row`,
      }
    }
    return { ...base, state: 'in-progress', reason: primary.rolloutStateReason }
  }
  // PRIMARY runs another revision than the wanted one.
  if (ours && ours.rolloutState !== 'FAILED') {
    return {
      ...base,
      state: 'superseded',
      reason: `a newer deployment (${revisionOf(primary.taskDefinition)}) replaced it`,
    }
  }
  if (!ours && !o.seen) {
    return { ...base, state: 'in-progress', reason: 'ECS does not show the new deployment yet' }
  }
  if (target.previous !== undefined && primary.taskDefinition !== target.previous) {
    return {
      ...base,
      state: 'superseded',
      reason: `another deployment (${revisionOf(primary.taskDefinition)}) replaced it`,
    }
  }
  const rollback = svc.events.find((e) =>
    /circuit breaker|rolling back|rolled back/i.test(e.message),
  )
  return {
    ...base,
    state: 'rolled-back',
    reason: ours?.rolloutStateReason ?? rollback?.message ?? lastEvent,
  }
}

export interface WatchOptions {
  /** Give up after this long. */
  timeoutMs: number
  /** @default 10 000 */
  everyMs?: number
  /** A rollout with this many failed tasks in a row is `failing`. */
  maxTaskFailures?: number
  /** Stop at the first service that failed instead of waiting for every one to settle. */
  failFast?: boolean
  /** Called after each poll, e.g. to show progress. */
  onPoll?(statuses: RolloutStatus[], elapsedMs: number): Promise<void> | void
}

/**
 * Polls the services until every rollout has settled (see RolloutState), one failed with
 * `failFast`, or the timeout passed (`timedOut`). Sleeps through the injected clock; Ctrl-C
 * (the signal) rejects with INTERRUPTED.
 */
export async function watchRollouts(
  aws: Pick<Aws, 'ecs'>,
  region: string,
  cluster: string,
  targets: readonly RolloutTarget[],
  o: WatchOptions,
  deps: Pick<Deps, 'clock' | 'signal'>,
): Promise<{ statuses: RolloutStatus[]; services: ServiceInfo[]; timedOut: boolean }> {
  const started = deps.clock.now().getTime()
  const seen = new Set<string>()
  const names = targets.map((t) => t.name)
  for (;;) {
    const services = await describeServices(aws.ecs, cluster, names, region)
    const statuses = services.map((svc, i) => {
      const target = targets[i] as RolloutTarget
      if (svc.deployments.some((d) => d.taskDefinition === target.taskDefinition))
        seen.add(svc.name)
      return classifyRollout(svc, target, {
        maxTaskFailures: o.maxTaskFailures,
        seen: seen.has(svc.name),
      })
    })
    const elapsed = deps.clock.now().getTime() - started
    await o.onPoll?.(statuses, elapsed)
    const settled = statuses.every((s) => TERMINAL_STATES.includes(s.state))
    const failed = statuses.some(
      (s) => s.state !== 'completed' && TERMINAL_STATES.includes(s.state),
    )
    if (settled || (o.failFast && failed)) return { statuses, services, timedOut: false }
    if (elapsed >= o.timeoutMs) return { statuses, services, timedOut: true }
    await deps.clock.sleep(o.everyMs ?? 10_000, deps.signal)
  }
}

/**
 * Waits until every service runs as many tasks as desired with its rollout COMPLETED, showing
 * running/desired; a rollout that FAILED (circuit breaker) or the timeout ends it with the reason.
 */
export async function waitForServices(
  aws: Pick<Aws, 'ecs'>,
  region: string,
  cluster: string,
  names: readonly string[],
  o: { timeoutMs: number; everyMs?: number },
  deps: Pick<Deps, 'clock' | 'signal' | 'report'>,
): Promise<ServiceInfo[]> {
  return deps.report.step(`Wait for ${names.join(', ')} to be healthy`, async (step) => {
    const { statuses, services, timedOut } = await watchRollouts(
      aws,
      region,
      cluster,
      names.map((name) => ({ name })),
      {
        timeoutMs: o.timeoutMs,
        everyMs: o.everyMs,
        failFast: true,
        onPoll: (now) =>
          step.detail(now.map((s) => `${s.name} ${s.running}/${s.desired}`).join('  ')),
      },
      deps,
    )
    const failed = statuses.find((s) => s.state !== 'completed' && !timedOut)
    if (failed) {
      throw new DjenvError(
        'DEPLOY_FAILED',
        `Service ${failed.name} failed to start: ${(failed.events[0]?.message ?? failed.reason ?? 'its deployment rolled back').replace(/\.$/, '')}.`,
        'Read the task logs (`djenv logs`), check the health check path and ALLOWED_HOSTS, and run again.',
      )
    }
    if (timedOut) {
      const late = statuses
        .filter((s) => s.running !== s.desired)
        .map((s) => `${s.name} ${s.running}/${s.desired}`)
      throw new DjenvError(
        'DEPLOY_FAILED',
        `Services did not become healthy within ${Math.round(o.timeoutMs / 60_000)} minutes (${late.join(', ') || 'rollout not completed'}).`,
        'Check their events and logs; the env keeps running what it could start.',
      )
    }
    return services
  })
}
