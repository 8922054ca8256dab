import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { EnvKind } from '../config/names.js'
import { configSchema } from '../config/schema.js'
import { imageExists } from '../aws/ecr.js'
import {
  deregisterTaskDefinition,
  describeTaskDefinitionImage,
  registerWithImage,
} from '../aws/ecs.js'
import type { LogEvent } from '../aws/logs.js'
import { parameterValue } from '../aws/ssm.js'
import { baseOf, openAppEnv } from './app-env.js'
import { statePaths, tagOf } from './env-state.js'
import { interruptPolicy, runToCompletion, taskIdOf } from './one-off-task.js'
import type { ProjectInput } from './project.js'

export interface TaskRunInput extends ProjectInput {
  /** The env; absent: DJENV_ENV, defaultEnv, or a pick on a terminal. */
  name?: string
  /** The command to run instead of the migrate task's own (`python manage.py migrate`). */
  command?: string[]
  /** Run this image tag instead of the one deployed. */
  imageTag?: string
  /** On Ctrl-C, stop the task instead of asking (terminal) or leaving it running. */
  stopOnInterrupt: boolean
  /** Each line the container writes, as it writes it. */
  onLog(e: LogEvent): void
}

export interface TaskRunResult {
  env: string
  kind: EnvKind
  taskArn: string
  taskId: string
  taskDefinition: string
  image: string | null
  /** The command run; null: the migrate task's own command (migrations). */
  command: string[] | null
  /** The container's exit code: djenv exits with it. */
  exitCode: number
  /** Why ECS stopped the container (e.g. OutOfMemoryError), when it said. */
  containerReason: string | null
  stopCode: string | null
  stoppedReason: string | null
  logGroup: string
  logStream: string
  /** How logs were followed: live tail, or polling when live tail was unavailable. */
  logs: 'live' | 'polling'
  durationMs: number
}

export type TaskRunDeps = Pick<
  Deps,
  'cwd' | 'env' | 'ask' | 'terminal' | 'report' | 'clock' | 'signal'
>

/**
 * Runs the env's `migrate` task definition once (its own command: `djenv migrate`; another one:
 * `djenv run`) as an on-demand Fargate task in the base's private subnets, streams its logs
 * live, and returns the container's exact exit code. The image is the one recorded for the
 * env (what `deploy-image` or `env create` last deployed) or `imageTag`; when the family's
 * latest revision runs another image, a revision with the right one is registered for this
 * run and deregistered once the task started.
 */
export async function taskRun(input: TaskRunInput, deps: TaskRunDeps): Promise<TaskRunResult> {
  if (input.command?.length === 0) {
    throw new DjenvError(
      'USAGE',
      'No command to run.',
      'Put it after `--`: djenv run pr-42 -- python manage.py check',
    )
  }
  if (input.imageTag !== undefined) parseImageTag(input.imageTag, '--image-tag')
  const started = deps.clock.now().getTime()
  const app = await openAppEnv(input, deps)
  const { project, names } = app
  const { aws, region, config } = project
  const base = await baseOf(app)

  const latest = await describeTaskDefinitionImage(
    aws.ecs,
    names.families.migrate,
    'migrate',
    region,
  )
  const wanted =
    input.imageTag ?? (await parameterValue(aws.ssm, statePaths(names).image('migrate'), region))
  let taskDefinition = latest.arn
  let temporary: string | undefined
  if (wanted && latest.image && tagOf(latest.image) !== wanted) {
    if (!(await imageExists(aws.ecr, config.image.repository, wanted, region))) {
      throw new DjenvError(
        'IMAGE_MISSING',
        `Image ${config.image.repository}:${wanted} is not in ECR (${region}); nothing was run.`,
        'Push it first, or pass --image-tag with a tag that exists.',
      )
    }
    const { registered } = await registerWithImage(
      aws.ecs,
      latest.arn,
      'migrate',
      withTag(latest.image, wanted),
      region,
    )
    taskDefinition = registered.arn
    temporary = registered.arn
  }

  const dropTemporary = async () => {
    if (!temporary) return
    const arn = temporary
    temporary = undefined
    await deregisterTaskDefinition(aws.ecs, arn, region).catch((err: unknown) => {
      deps.report.warn(`Could not deregister ${arn}: ${(err as Error).message}`)
    })
  }

  const what = input.command ? input.command.join(' ') : 'migrations'
  deps.report.info(`Run ${what} in ${app.env.name} (${app.cluster})`)
  let logs: 'live' | 'polling' = 'live'
  let outcome: Awaited<ReturnType<typeof runToCompletion>>
  try {
    outcome = await runToCompletion(
      aws,
      region,
      {
        cluster: app.cluster,
        taskDefinition,
        container: 'migrate',
        command: input.command,
        subnets: base.privateSubnetIds,
        securityGroups: [base.appSecurityGroupId],
        startedBy: 'djenv',
      },
      { detail: (text) => deps.report.info(text) },
      deps,
      {
        // A revision registered for this run only: the task keeps it, nobody else needs it.
        onStarted: () => dropTemporary(),
        logs: {
          api: aws.logs,
          group: app.logGroup,
          groupArn: app.logGroupArn,
          streamPrefix: 'migrate/migrate',
          onEvent: input.onLog,
          onFallback: (reason) => {
            logs = 'polling'
            deps.report.info(`Live tail unavailable (${reason}); polling the logs`)
          },
        },
        onInterrupt: interruptPolicy(input.stopOnInterrupt, deps),
      },
    )
  } finally {
    await dropTemporary()
  }

  const taskId = taskIdOf(outcome.taskArn)
  if (outcome.exitCode !== 0) {
    const why = outcome.containerReason ? ` (${outcome.containerReason})` : ''
    deps.report.warn(`Task ${taskId} exited with code ${outcome.exitCode}${why}`)
  }
  return {
    env: app.env.name,
    kind: app.env.kind,
    taskArn: outcome.taskArn,
    taskId,
    taskDefinition: outcome.taskDefinitionArn ?? taskDefinition,
    image: outcome.image,
    command: input.command ?? null,
    exitCode: outcome.exitCode,
    containerReason: outcome.containerReason,
    stopCode: outcome.stopCode,
    stoppedReason: outcome.stoppedReason,
    logGroup: app.logGroup,
    logStream: `migrate/migrate/${taskId}`,
    logs,
    durationMs: deps.clock.now().getTime() - started,
  }
}

/** Checks an image tag as the configuration does: immutable tags only, never `latest`. */
export function parseImageTag(tag: string, flag: string): string {
  const parsed = configSchema.shape.image.shape.tag.safeParse(tag)
  if (!parsed.success) {
    throw new DjenvError(
      'USAGE',
      `${flag} ${tag}: ${parsed.error.issues[0]?.message ?? 'not an image tag'}.`,
      'Use the immutable tag CI pushed, e.g. the git SHA.',
    )
  }
  return tag
}

/** `registry/repo:old` (or `@digest`) → `registry/repo:tag`. */
export function withTag(image: string, tag: string): string {
  const slash = image.lastIndexOf('/')
  const name = image.slice(slash + 1).replace(/[@:].*$/, '')
  return `${image.slice(0, slash + 1)}${name}:${tag}`
}
