import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { runningTasks, type RunningTask } from '../aws/ecs.js'
import type { AppEnv } from '../deploy/app-env.js'

export interface TaskChoice {
  /** The service whose tasks were considered (`--service`, default web). @default 'web' */
  service?: string
  /** A task id or ARN (`--task`); any RUNNING task of the env's cluster. */
  task?: string
  /** @default the service's name (djenv names each service's container after it) */
  container?: string
}

export interface PickedTask {
  task: RunningTask
  service: string
  container: string
  /** The container's runtime id, for an SSM `ecs:` target; null when ECS did not give one. */
  runtimeId: string | null
  /** How many running tasks there were to choose from. */
  candidates: number
}

/**
 * The running task `exec` and `port-forward --via task` use: the one named by `--task`, the only
 * running task of the service, or (several) a pick on a terminal, else the oldest; djenv always
 * says which one it took.
 */
export async function pickTask(
  app: AppEnv,
  choice: TaskChoice,
  deps: Pick<Deps, 'ask' | 'terminal' | 'report'>,
): Promise<PickedTask> {
  const { aws, region } = app.project
  const service = choice.service ?? 'web'
  if (!choice.task && !app.services.includes(service)) {
    throw new DjenvError(
      'USAGE',
      `Env ${app.env.name} has no service ${service}.`,
      `Its services: ${app.services.join(', ')}. Pass one with --service.`,
    )
  }
  const tasks = await runningTasks(
    aws.ecs,
    app.cluster,
    choice.task ? { task: choice.task } : { service },
    region,
  )
  if (tasks.length === 0) {
    throw choice.task
      ? new DjenvError(
          'TASK_NOT_FOUND',
          `Task ${choice.task} is not running in ${app.env.name} (cluster ${app.cluster}).`,
          `Leave out --task to use a running ${service} task, or see \`djenv env status ${app.env.name}\`.`,
        )
      : new DjenvError(
          'TASK_NOT_FOUND',
          `No running ${service} task in ${app.env.name} (cluster ${app.cluster}).`,
          `Check \`djenv env status ${app.env.name}\`: the service may be scaled to 0 (desired count 0) or its tasks may be failing to start.`,
        )
  }
  let task = tasks[0] as RunningTask
  if (tasks.length === 1) {
    deps.report.info(`Using task ${task.taskId}, the only running ${service} task.`)
  } else if (deps.terminal.interactive) {
    const id = await deps.ask.select({
      message: `Which ${service} task?`,
      flag: '--task',
      choices: tasks.map((t) => ({
        name: `${t.taskId}${t.startedAt ? ` (started ${t.startedAt})` : ''}`,
        value: t.taskId,
      })),
    })
    task = tasks.find((t) => t.taskId === id) ?? task
  } else {
    deps.report.info(
      `Using task ${task.taskId}, the oldest of ${tasks.length} running ${service} tasks (--task to choose).`,
    )
  }
  const container = choice.container ?? service
  const found = task.containers.find((c) => c.name === container)
  if (!found) {
    throw new DjenvError(
      'USAGE',
      `Task ${task.taskId} has no container ${container}.`,
      `Its containers: ${task.containers.map((c) => c.name).join(', ')}. Pass one with --container.`,
    )
  }
  return { task, service, container, runtimeId: found.runtimeId, candidates: tasks.length }
}
