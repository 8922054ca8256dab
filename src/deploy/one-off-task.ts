import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { Aws } from '../aws/clients.js'
import { startTask, waitForTaskStopped, type OneOffTask, type TaskOutcome } from '../aws/ecs.js'
import type { StepContext } from '../ui/reporter.js'

export type OneOffDeps = Pick<Deps, 'clock' | 'signal'>

/**
 * Runs a one-off task to its end and reports its outcome; a task that never ran (image pull,
 * secrets, capacity) becomes TASK_FAILED with ECS's reason. The caller decides what a non-zero
 * exit code means.
 */
export async function runToCompletion(
  aws: Pick<Aws, 'ecs'>,
  region: string,
  task: OneOffTask,
  step: StepContext,
  deps: OneOffDeps,
): Promise<TaskOutcome & { exitCode: number }> {
  const arn = await startTask(aws.ecs, task, region)
  const id = arn.split('/').pop() ?? arn
  step.detail(`task ${id} started`)
  let outcome: TaskOutcome
  try {
    outcome = await waitForTaskStopped(aws.ecs, task.cluster, arn, task.container, region, {
      clock: deps.clock,
      signal: deps.signal,
      onStatus: (status) => step.detail(`task ${id} ${status.toLowerCase()}`),
    })
  } catch (err) {
    if (err instanceof DjenvError && err.djenvCode === 'INTERRUPTED') {
      throw new DjenvError(
        'INTERRUPTED',
        `Interrupted; task ${id} goes on in cluster ${task.cluster}.`,
        `Stop it with \`aws ecs stop-task --cluster ${task.cluster} --task ${id}\` if it should not finish.`,
      )
    }
    throw err
  }
  if (outcome.exitCode === null) {
    const reason = [outcome.stopCode, outcome.stoppedReason, outcome.containerReason]
      .filter(Boolean)
      .join(': ')
    throw new DjenvError(
      'TASK_FAILED',
      `Task ${id} of ${task.taskDefinition} never ran: ${reason || 'no reason given'}.`,
      'Check the image exists, the task can read its secrets, and its subnets reach ECR.',
    )
  }
  return { ...outcome, exitCode: outcome.exitCode }
}
