import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { Aws, LogsApi } from '../aws/clients.js'
import {
  startTask,
  stopTask,
  waitForTaskStopped,
  type OneOffTask,
  type TaskOutcome,
} from '../aws/ecs.js'
import { followLogs, type LogEvent } from '../aws/logs.js'
import type { StepContext } from '../ui/reporter.js'

export type OneOffDeps = Pick<Deps, 'clock' | 'signal'>

/** The container's log stream, followed while the task runs. */
export interface TaskLogs {
  api: LogsApi
  group: string
  groupArn: string
  /** The stream is `<streamPrefix>/<taskId>`, e.g. `migrate/migrate/<taskId>`. */
  streamPrefix: string
  onEvent(e: LogEvent): void
  /** Told once when live tail is unavailable and djenv polls the stream instead. */
  onFallback?(reason: string): void
}

export interface RunOptions {
  /** Stream the container's logs while it runs. */
  logs?: TaskLogs
  /** Called once ECS accepted the task. */
  onStarted?(taskArn: string): Promise<void> | void
  /**
   * What to do with the task after Ctrl-C stopped the wait.
   * @default leave it running
   */
  onInterrupt?: (taskId: string) => Promise<'stop' | 'leave'>
}

/**
 * Runs a one-off task to its end and reports its outcome, following its logs live when asked;
 * a task that never ran (image pull, secrets, capacity) becomes TASK_FAILED with ECS's reason.
 * The caller decides what a non-zero exit code means. Ctrl-C never stops the task silently: it
 * goes on unless `onInterrupt` says to stop it.
 */
export async function runToCompletion(
  aws: Pick<Aws, 'ecs'>,
  region: string,
  task: OneOffTask,
  step: StepContext,
  deps: OneOffDeps,
  o: RunOptions = {},
): Promise<TaskOutcome & { exitCode: number }> {
  const arn = await startTask(aws.ecs, task, region)
  const id = taskIdOf(arn)
  step.detail(`task ${id} started`)
  await o.onStarted?.(arn)

  const stopFollowing = new AbortController()
  const abandonLogs = new AbortController()
  const following = o.logs
    ? followLogs(
        o.logs.api,
        {
          group: o.logs.group,
          groupArn: o.logs.groupArn,
          streams: [`${o.logs.streamPrefix}/${id}`],
        },
        o.logs.onEvent,
        {
          clock: deps.clock,
          region,
          until: stopFollowing.signal,
          signal: abandonLogs.signal,
          startTime: deps.clock.now().getTime() - 60_000,
          // Live tail may not have sent the last lines when ECS reports the task stopped.
          catchUp: true,
          onFallback: o.logs.onFallback,
        },
      )
    : Promise.resolve()
  // Logs are a view: losing them must not lose the task's outcome.
  const followed = following.then(
    () => undefined,
    (err: unknown) => err,
  )

  let outcome: TaskOutcome
  let status = ''
  try {
    outcome = await waitForTaskStopped(aws.ecs, task.cluster, arn, task.container, region, {
      clock: deps.clock,
      signal: deps.signal,
      onStatus: (s) => {
        if (s === status) return
        status = s
        step.detail(`task ${id} ${s.toLowerCase()}`)
      },
    })
  } catch (err) {
    abandonLogs.abort()
    stopFollowing.abort()
    await followed
    if (deps.signal.aborted || (err as { djenvCode?: string }).djenvCode === 'INTERRUPTED') {
      throw await interrupted(aws, region, task, arn, o)
    }
    throw err
  }
  stopFollowing.abort()
  const logError = await followed
  if (logError) step.detail(`could not follow the logs: ${(logError as Error).message}`)

  if (outcome.exitCode === null) {
    const why = explainStop(outcome)
    throw new DjenvError(
      'TASK_FAILED',
      `Task ${id} of ${task.taskDefinition} never ran: ${why.reason}.`,
      why.hint,
    )
  }
  return { ...outcome, exitCode: outcome.exitCode }
}

async function interrupted(
  aws: Pick<Aws, 'ecs'>,
  region: string,
  task: OneOffTask,
  arn: string,
  o: RunOptions,
): Promise<DjenvError> {
  const id = taskIdOf(arn)
  const decision = o.onInterrupt ? await o.onInterrupt(id) : 'leave'
  if (decision === 'stop') {
    await stopTask(aws.ecs, task.cluster, arn, 'Interrupted from djenv', region)
    return new DjenvError('INTERRUPTED', `Interrupted; stopped task ${id} in ${task.cluster}.`)
  }
  return new DjenvError(
    'INTERRUPTED',
    `Interrupted; task ${id} goes on in cluster ${task.cluster}.`,
    `Stop it with \`aws ecs stop-task --cluster ${task.cluster} --task ${id}\` if it should not finish.`,
  )
}

/**
 * The Ctrl-C policy of migrate, run and deploy-image: stop the task with --stop-on-interrupt;
 * on a terminal, ask (default: leave it, a half-run migration is worse than a finished one);
 * elsewhere leave it running.
 */
export function interruptPolicy(
  stopOnInterrupt: boolean,
  deps: Pick<Deps, 'ask' | 'terminal'>,
): (taskId: string) => Promise<'stop' | 'leave'> {
  return async (taskId) => {
    if (stopOnInterrupt) return 'stop'
    if (!deps.terminal.interactive) return 'leave'
    try {
      const stop = await deps.ask.confirm({
        message: `Stop task ${taskId} in AWS as well?`,
        flag: '--stop-on-interrupt',
        default: false,
      })
      return stop ? 'stop' : 'leave'
    } catch {
      return 'leave' // a second Ctrl-C at the prompt
    }
  }
}

/** Why a task that has no exit code never ran, and what to do about it. */
export function explainStop(
  outcome: Pick<TaskOutcome, 'stopCode' | 'stoppedReason' | 'containerReason'>,
): { reason: string; hint: string } {
  const reason =
    [outcome.stopCode, outcome.stoppedReason, outcome.containerReason].filter(Boolean).join(': ') ||
    'ECS gave no reason'
  const text = `${outcome.stoppedReason ?? ''} ${outcome.containerReason ?? ''}`
  const hint = /CannotPullContainer/i.test(text)
    ? 'ECS could not pull the image: check the tag exists in ECR and the private subnets reach ECR (NAT or VPC endpoints).'
    : /ResourceInitializationError/i.test(text)
      ? 'The task could not fetch its secrets or reach AWS: check the execution role can read them and the subnets have a route out.'
      : /OutOfMemory/i.test(text)
        ? 'The container ran out of memory: raise the task memory in the configuration.'
        : /capacity/i.test(text)
          ? 'Fargate had no capacity in these availability zones: run it again in a few minutes.'
          : /CannotStartContainer|executable file not found|CannotCreateContainer/i.test(text)
            ? 'The container could not start: check the command and the image entrypoint.'
            : outcome.stopCode === 'UserInitiated'
              ? 'Someone stopped the task (StopTask) before its container ran.'
              : outcome.stopCode === 'SpotInterruption'
                ? 'Fargate Spot reclaimed the capacity: run it again.'
                : 'Check the image exists, the task can read its secrets, and its subnets reach ECR.'
  return { reason, hint }
}

export function taskIdOf(arn: string): string {
  return arn.split('/').pop() ?? arn
}
