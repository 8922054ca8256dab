import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { EnvKind } from '../config/names.js'
import type { TaskName } from '../config/naming.js'
import { stackState } from '../aws/cloudformation.js'
import { imageExists } from '../aws/ecr.js'
import {
  describeServices,
  describeTaskDefinitionImage,
  registerWithImage,
  revisionOf,
  stoppedTasks,
  updateServiceTaskDefinition,
  type StoppedTaskInfo,
  type TaskDefinitionInfo,
} from '../aws/ecs.js'
import { targetHealthCounts } from '../aws/elbv2.js'
import type { LogEvent } from '../aws/logs.js'
import { putString } from '../aws/ssm.js'
import type { BaseAttributes } from '../infra/outputs.js'
import type { StepContext } from '../ui/reporter.js'
import { baseOf, openAppEnv, type AppEnv } from './app-env.js'
import { planCollectstatic, type CollectstaticPlan } from './collectstatic.js'
import { withEnvLock } from './env-lock.js'
import { statePaths, tagOf } from './env-state.js'
import { interruptPolicy, runToCompletion } from './one-off-task.js'
import type { ProjectInput } from './project.js'
import { parseImageTag, withTag } from './task-run.js'
import {
  classifyRollout,
  watchRollouts,
  type RolloutState,
  type RolloutStatus,
} from './wait-services.js'

export interface DeployImageInput extends ProjectInput {
  name: string
  /** The image tag to deploy, e.g. the git SHA CI pushed. */
  tag: string
  /** Do not run migrations before updating the services. */
  skipMigrations: boolean
  /**
   * Do not run collectstatic before updating the services (it never runs with `static.cdn:
   * false`). @default false
   */
  skipCollectstatic: boolean
  /** Wait for the rollout; false: return once the services were updated. @default true */
  wait: boolean
  /** Bound on waiting for the rollout. @default 15 minutes */
  timeoutMs: number
  /** Give up once this many tasks of a new revision failed in a row. @default 3 */
  maxTaskFailures: number
  /** When djenv gives up (timeout, failing tasks), put every service back on its previous revision. */
  rollbackOnTimeout: boolean
  /** Production: confirm without asking. */
  yes: boolean
  /** On Ctrl-C during migrations or collectstatic, stop the task. */
  stopOnInterrupt: boolean
  /** Each line the migration and collectstatic write. */
  onLog(e: LogEvent): void
}

/** A one-off task of the deploy (migrations, collectstatic) and how it ended. */
export interface DeployTask {
  taskArn: string
  /** The container's exit code: 0, or what djenv exits with. */
  exitCode: number
  durationMs: number
}

/** What one task definition went from and to. */
export interface TaskDefinitionChange {
  task: TaskName
  previous: string
  /** The revision registered with the new image; null when nothing was registered. */
  registered: string | null
}

export interface DeployImageResult {
  env: string
  kind: EnvKind
  tag: string
  image: string
  /**
   * completed: every service runs the new revision; unchanged: it already did; started: the
   * services were updated (--no-wait); migration-failed, collectstatic-failed: no service was
   * updated.
   */
  outcome: 'completed' | 'unchanged' | 'started' | 'migration-failed' | 'collectstatic-failed'
  /** 0, or the exit code of the migration or collectstatic that failed: djenv exits with it. */
  exitCode: number
  taskDefinitions: TaskDefinitionChange[]
  /** null when migrations were skipped or not needed. */
  migration: DeployTask | null
  /**
   * The collectstatic task, run after migrations with the new image; null when skipped
   * (--skip-collectstatic, `static.cdn: false`), not needed, or not reached.
   */
  collectstatic: DeployTask | null
  services: {
    name: string
    state: RolloutState | 'updated' | 'not-updated'
    taskDefinition: string | null
    running: number
    desired: number
  }[]
  /** Whether the tag was recorded on the env (only once every service completed). */
  recorded: boolean
  durations: {
    registerMs: number
    migrateMs: number | null
    collectstaticMs: number | null
    rolloutMs: number | null
  }
  durationMs: number
}

export type DeployImageDeps = Pick<
  Deps,
  'cwd' | 'env' | 'ask' | 'terminal' | 'report' | 'clock' | 'signal'
>

/**
 * Deploys an image tag to an env through the ECS API (infrastructure.md §9.2): checks the tag
 * exists, registers new revisions of every task definition that differ only in the image,
 * runs migrations, then collectstatic, with it (a failure stops here: no service is touched),
 * updates the services
 * and waits honestly — success only when each service's PRIMARY deployment runs the new
 * revision with its rollout COMPLETED. A rollback, repeatedly failing tasks or the timeout end
 * it with an error naming the reason; the tag is recorded on the env only on success. Once the
 * stack and the image are checked, it holds the env lock to the end (another run holding it
 * refuses the deploy with ENV_LOCKED before anything changes).
 */
export async function deployImage(
  input: DeployImageInput,
  deps: DeployImageDeps,
): Promise<DeployImageResult> {
  parseImageTag(input.tag, 'TAG')
  const started = deps.clock.now().getTime()
  const app = await openAppEnv(input, deps)
  const { project, names, env } = app
  const { aws, region, config } = project
  const repository = config.image.repository
  const collectstaticPlan = planCollectstatic(config, input.skipCollectstatic)

  // 0. Preconditions: nothing changes before they hold.
  const state = stackState(app.stack.status)
  if (state !== 'stable') {
    throw new DjenvError(
      state === 'busy' ? 'STACK_BUSY' : 'STACK_FAILED',
      `Stack ${names.appStack} is ${app.stack.status}; deploy-image needs it in a *_COMPLETE state.`,
      state === 'busy'
        ? `Wait until it has finished (\`djenv env status ${env.name}\`), then run the command again.`
        : `Repair it with \`djenv env create ${env.name}\`.`,
    )
  }
  const base = await baseOf(app)
  await deps.report.step(`Check image ${repository}:${input.tag} in ECR`, async () => {
    if (!(await imageExists(aws.ecr, repository, input.tag, region))) {
      throw new DjenvError(
        'IMAGE_MISSING',
        `Image ${repository}:${input.tag} is not in ECR (${region}); nothing was changed.`,
        'Push it first (CI builds and pushes before deploying), or check the tag.',
      )
    }
  })

  // Everything from here reads the state it changes: under the env lock.
  return withEnvLock(
    {
      ssm: aws.ssm,
      region,
      names,
      command: 'deploy-image',
      expectedMs: input.wait ? input.timeoutMs : 0,
    },
    deps,
    () => deployLocked(app, base, collectstaticPlan, started, input, deps),
  )
}

/** Steps 1–5 of infrastructure.md §9.2, holding the env lock. */
async function deployLocked(
  app: AppEnv,
  base: BaseAttributes,
  collectstaticPlan: CollectstaticPlan,
  started: number,
  input: DeployImageInput,
  deps: DeployImageDeps,
): Promise<DeployImageResult> {
  const { project, names, env } = app
  const { aws, region, config } = project
  const repository = config.image.repository
  const before = await describeServices(aws.ecs, app.cluster, app.services, region)
  const absent = before.filter((s) => s.state !== 'active' || !s.taskDefinition)
  if (absent.length) {
    throw new DjenvError(
      'DEPLOY_FAILED',
      `Service ${absent.map((s) => s.name).join(', ')} of ${env.name} is not active in cluster ${app.cluster}; nothing was changed.`,
      `Repair the env with \`djenv env create ${env.name}\`.`,
    )
  }
  const current = new Map<TaskName, TaskDefinitionInfo>()
  for (const svc of before) {
    current.set(
      svc.name as TaskName,
      await describeTaskDefinitionImage(aws.ecs, svc.taskDefinition as string, svc.name, region),
    )
  }
  current.set(
    'migrate',
    await describeTaskDefinitionImage(aws.ecs, names.families.migrate, 'migrate', region),
  )
  const image = withTag(current.get('migrate')?.image ?? repository, input.tag)

  const unchanged =
    [...current.values()].every((td) => td.image && tagOf(td.image) === input.tag) &&
    before.every(
      (svc) =>
        classifyRollout(svc, { name: svc.name, taskDefinition: svc.taskDefinition ?? undefined })
          .state === 'completed',
    )
  if (unchanged) {
    deps.report.info(`${env.name} already runs ${repository}:${input.tag}; nothing to deploy`)
    await record(app, [...current.keys()], input.tag, deps)
    return {
      env: env.name,
      kind: env.kind,
      tag: input.tag,
      image,
      outcome: 'unchanged',
      exitCode: 0,
      taskDefinitions: [...current].map(([task, td]) => ({
        task,
        previous: td.arn,
        registered: null,
      })),
      migration: null,
      collectstatic: null,
      services: before.map((s) => ({
        name: s.name,
        state: 'completed',
        taskDefinition: s.taskDefinition,
        running: s.running,
        desired: s.desired,
      })),
      recorded: true,
      durations: { registerMs: 0, migrateMs: null, collectstaticMs: null, rolloutMs: null },
      durationMs: deps.clock.now().getTime() - started,
    }
  }

  if (env.kind === 'prod' && !input.yes)
    await confirmProduction(app, current, input, collectstaticPlan, deps)

  // 1. New revisions, identical but for the image.
  const registerStarted = deps.clock.now().getTime()
  const changes = await deps.report.step(
    `Register task definitions with ${input.tag}`,
    async (step) => {
      const out: TaskDefinitionChange[] = []
      for (const [task, td] of current) {
        const { registered } = await registerWithImage(
          aws.ecs,
          td.arn,
          task,
          withTag(td.image ?? image, input.tag),
          region,
        )
        step.detail(revisionOf(registered.arn))
        out.push({ task, previous: td.arn, registered: registered.arn })
      }
      return out
    },
  )
  const registerMs = deps.clock.now().getTime() - registerStarted
  const newArn = (task: string) => changes.find((c) => c.task === task)?.registered as string
  const result = (
    outcome: DeployImageResult['outcome'],
    rest: Partial<DeployImageResult>,
  ): DeployImageResult => ({
    env: env.name,
    kind: env.kind,
    tag: input.tag,
    image,
    outcome,
    exitCode: 0,
    taskDefinitions: changes,
    migration: null,
    collectstatic: null,
    services: before.map((s) => ({
      name: s.name,
      state: 'not-updated',
      taskDefinition: s.taskDefinition,
      running: s.running,
      desired: s.desired,
    })),
    recorded: false,
    durations: { registerMs, migrateMs: null, collectstaticMs: null, rolloutMs: null },
    durationMs: deps.clock.now().getTime() - started,
    ...rest,
  })

  // The new migrate revision, once each for migrations and collectstatic, with the same network,
  // live logs and Ctrl-C policy; a task that never ran throws, naming what still runs.
  const stillRunning = `no service was updated (they still run ${describeTags(current)})`
  const runOneOff = async (what: string, command?: string[]): Promise<DeployTask> => {
    const taskStarted = deps.clock.now().getTime()
    const outcome = await runToCompletion(
      aws,
      region,
      {
        cluster: app.cluster,
        taskDefinition: newArn('migrate'),
        container: 'migrate',
        command,
        subnets: base.privateSubnetIds,
        securityGroups: [base.appSecurityGroupId],
        startedBy: 'djenv',
      },
      { detail: (text) => deps.report.info(text) },
      deps,
      {
        logs: {
          api: aws.logs,
          group: app.logGroup,
          groupArn: app.logGroupArn,
          streamPrefix: 'migrate/migrate',
          onEvent: input.onLog,
          onFallback: (reason) =>
            deps.report.info(`Live tail unavailable (${reason}); polling the logs`),
        },
        onInterrupt: interruptPolicy(input.stopOnInterrupt, deps),
      },
    ).catch((err: unknown) => {
      if (err instanceof DjenvError && err.djenvCode === 'TASK_FAILED') {
        throw new DjenvError(
          'TASK_FAILED',
          `${what}: ${err.message.replace(/\.$/, '')}; ${stillRunning}.`,
          err.hint,
          err,
        )
      }
      throw err
    })
    return {
      taskArn: outcome.taskArn,
      exitCode: outcome.exitCode,
      durationMs: deps.clock.now().getTime() - taskStarted,
    }
  }

  // 2. Migrations with the new image, before any service runs it.
  let migration: DeployImageResult['migration'] = null
  if (!input.skipMigrations) {
    deps.report.info(`Run migrations with ${input.tag}`)
    migration = await runOneOff('Migrations')
    if (migration.exitCode !== 0) {
      deps.report.warn(`Migrations failed with exit code ${migration.exitCode}; ${stillRunning}.`)
      return result('migration-failed', {
        exitCode: migration.exitCode,
        migration,
        durations: {
          registerMs,
          migrateMs: migration.durationMs,
          collectstaticMs: null,
          rolloutMs: null,
        },
      })
    }
  }
  const migrateMs = migration?.durationMs ?? null

  // 2b. Static files with the new image, so they exist before the new code refers to them.
  let collectstatic: DeployImageResult['collectstatic'] = null
  if (collectstaticPlan.run) {
    deps.report.info(`Run ${collectstaticPlan.command.join(' ')} with ${input.tag}`)
    collectstatic = await runOneOff('collectstatic', collectstaticPlan.command)
    if (collectstatic.exitCode !== 0) {
      deps.report.warn(
        `collectstatic failed with exit code ${collectstatic.exitCode}; ${stillRunning}.`,
      )
      return result('collectstatic-failed', {
        exitCode: collectstatic.exitCode,
        migration,
        collectstatic,
        durations: {
          registerMs,
          migrateMs,
          collectstaticMs: collectstatic.durationMs,
          rolloutMs: null,
        },
      })
    }
  } else {
    deps.report.info(collectstaticPlan.message)
  }
  const collectstaticMs = collectstatic?.durationMs ?? null

  // 3. Point the services at the new revisions.
  await deps.report.step(`Update ${app.services.join(', ')} to ${input.tag}`, async (step) => {
    for (const svc of app.services) {
      await updateServiceTaskDefinition(aws.ecs, app.cluster, svc, newArn(svc), region)
      step.detail(`${svc} → ${revisionOf(newArn(svc))}`)
    }
  })
  if (!input.wait) {
    deps.report.info(
      `Not waiting (--no-wait); follow the rollout with \`djenv env status ${env.name}\``,
    )
    return result('started', {
      migration,
      collectstatic,
      services: before.map((s) => ({
        name: s.name,
        state: 'updated',
        taskDefinition: newArn(s.name),
        running: s.running,
        desired: s.desired,
      })),
      durations: { registerMs, migrateMs, collectstaticMs, rolloutMs: null },
    })
  }

  // 4. Wait honestly.
  const rolloutStarted = deps.clock.now().getTime()
  const targets = app.services.map((name) => ({
    name,
    taskDefinition: newArn(name),
    previous: current.get(name as TaskName)?.arn,
  }))
  const reasons = new Map<string, FailedTasks>()
  let watched: Awaited<ReturnType<typeof watchRollouts>>
  try {
    watched = await deps.report.step(
      `Wait for ${app.services.join(', ')} to run ${input.tag}`,
      (step) =>
        watchRollouts(
          aws,
          region,
          app.cluster,
          targets,
          {
            timeoutMs: input.timeoutMs,
            maxTaskFailures: input.maxTaskFailures,
            failFast: true,
            onPoll: (statuses, elapsed) =>
              progress(app, statuses, elapsed, input.timeoutMs, newArn, reasons, step),
          },
          deps,
        ).then((w) => {
          if (w.timedOut || w.statuses.some((s) => s.state !== 'completed'))
            throw new RolloutIncomplete(w.statuses, w.timedOut)
          return w
        }),
    )
  } catch (err) {
    if (err instanceof RolloutIncomplete) {
      throw await rolloutFailure(app, err, input, current, newArn, reasons, deps)
    }
    if (deps.signal.aborted || (err as { djenvCode?: string }).djenvCode === 'INTERRUPTED') {
      throw new DjenvError(
        'INTERRUPTED',
        `Interrupted; ${app.services.join(', ')} go on rolling out ${input.tag} in ${app.cluster} (ECS does not stop).`,
        `Watch them with \`djenv env status ${env.name}\`; run this command again to wait and record the tag.`,
      )
    }
    throw err
  }
  const rolloutMs = deps.clock.now().getTime() - rolloutStarted

  // 5. Record the tag, so infrastructure updates keep it.
  await record(app, [...current.keys()], input.tag, deps)
  return result('completed', {
    migration,
    collectstatic,
    services: watched.statuses.map((s) => ({
      name: s.name,
      state: s.state,
      taskDefinition: s.taskDefinition,
      running: s.running,
      desired: s.desired,
    })),
    recorded: true,
    durations: { registerMs, migrateMs, collectstaticMs, rolloutMs },
  })
}

/** The stopped tasks last read for a service, and at which failed-task count. */
interface FailedTasks {
  failed: number
  tasks: StoppedTaskInfo[]
}

class RolloutIncomplete extends Error {
  constructor(
    readonly statuses: RolloutStatus[],
    readonly timedOut: boolean,
  ) {
    super('rollout incomplete')
  }
}

async function confirmProduction(
  app: AppEnv,
  current: Map<TaskName, TaskDefinitionInfo>,
  input: DeployImageInput,
  collectstatic: CollectstaticPlan,
  deps: DeployImageDeps,
): Promise<void> {
  deps.report.info(`Production env ${app.env.name}: deploy ${input.tag}`)
  for (const [task, td] of current) {
    deps.report.info(`  ${task.padEnd(8)} ${tagOf(td.image ?? '') ?? td.image} → ${input.tag}`)
  }
  deps.report.info(
    input.skipMigrations
      ? '  migrations skipped (--skip-migrations)'
      : '  migrations run first, with the new image',
  )
  // static.cdn: false is said once, when the deploy gets there.
  if (collectstatic.run)
    deps.report.info(`  then ${collectstatic.command.join(' ')}, with the new image`)
  else if (collectstatic.reason === 'skipped') deps.report.info(`  ${collectstatic.message}`)
  const ok = await deps.ask.confirm({
    message: `Deploy ${input.tag} to production env ${app.env.name}?`,
    flag: '--yes',
  })
  if (!ok) throw new DjenvError('CANCELLED', `Nothing was deployed to ${app.env.name}.`)
}

/** One progress line per poll; new stopped-task reasons once each. */
async function progress(
  app: AppEnv,
  statuses: RolloutStatus[],
  elapsedMs: number,
  timeoutMs: number,
  newArn: (task: string) => string,
  reasons: Map<string, FailedTasks>,
  step: StepContext,
): Promise<void> {
  const { aws, region } = app.project
  const parts = statuses.map(
    (s) =>
      `${s.name} ${s.running}/${s.desired} ${s.state === 'in-progress' ? (s.rolloutState ?? 'pending') : s.state}${s.failedTasks ? `, ${s.failedTasks} failed` : ''}`,
  )
  const targetGroup = app.stack.outputs.TargetGroupArn
  if (targetGroup && statuses.some((s) => s.name === 'web')) {
    const health = await targetHealthCounts(aws.elbv2, targetGroup, region).catch(() => undefined)
    if (health) parts.push(`targets ${health.healthy}/${health.total} healthy`)
  }
  parts.push(`${minutes(elapsedMs)}/${minutes(timeoutMs)}`)
  step.detail(parts.join(' · '))
  for (const s of statuses) {
    const known = reasons.get(s.name)
    if (s.failedTasks === 0 || s.failedTasks === known?.failed) continue
    const stopped = await stoppedTasks(aws.ecs, app.cluster, s.name, newArn(s.name), region).catch(
      () => [],
    )
    reasons.set(s.name, { failed: s.failedTasks, tasks: stopped })
    const latest = stopped[0]
    if (latest) step.detail(`${s.name}: task ${latest.taskId} stopped: ${stopText(latest)}`)
  }
}

/** Reports, rolls back when asked, and returns the error that ends the command. */
async function rolloutFailure(
  app: AppEnv,
  failure: RolloutIncomplete,
  input: DeployImageInput,
  current: Map<TaskName, TaskDefinitionInfo>,
  newArn: (task: string) => string,
  reasons: Map<string, FailedTasks>,
  deps: DeployImageDeps,
): Promise<DjenvError> {
  const { aws, region } = app.project
  const bad = failure.statuses.filter((s) => s.state !== 'completed')
  for (const s of bad) {
    const stopped = reasons.get(s.name)?.tasks.length
      ? (reasons.get(s.name)?.tasks ?? [])
      : await stoppedTasks(aws.ecs, app.cluster, s.name, newArn(s.name), region).catch(() => [])
    for (const t of stopped) deps.report.warn(`${s.name}: task ${t.taskId} stopped: ${stopText(t)}`)
    for (const e of s.events.slice(0, 3)) deps.report.warn(`${s.name}: ${e.time} ${e.message}`)
  }

  const gaveUp = failure.timedOut || bad.some((s) => s.state === 'failing')
  let restored = false
  if (gaveUp && input.rollbackOnTimeout) {
    await deps.report.step('Restore the previous task definitions', async (step) => {
      for (const svc of app.services) {
        const previous = current.get(svc as TaskName)?.arn
        if (!previous) continue
        await updateServiceTaskDefinition(aws.ecs, app.cluster, svc, previous, region)
        step.detail(`${svc} → ${revisionOf(previous)}`)
      }
    })
    restored = true
  }

  const summary = failure.statuses.map((s) => describeStatus(s, failure.timedOut)).join('; ')
  const after = restored
    ? ' Every service was put back on its previous revision.'
    : gaveUp
      ? ' The new revisions stay in place; ECS goes on trying.'
      : ''
  const hint = `Read the logs (\`djenv logs ${app.env.name} --since 30m\`), check the health check path and ALLOWED_HOSTS, then deploy again.`
  if (failure.timedOut) {
    return new DjenvError(
      'DEPLOY_TIMEOUT',
      `The rollout of ${input.tag} did not finish within ${minutes(input.timeoutMs)}: ${summary}.${after}`,
      restored || input.rollbackOnTimeout
        ? hint
        : `${hint} Pass --rollback-on-timeout to restore the previous revisions when this happens.`,
    )
  }
  return new DjenvError(
    bad.some((s) => s.state === 'rolled-back') ? 'ROLLED_BACK' : 'DEPLOY_FAILED',
    `Deploy of ${input.tag} failed: ${summary}.${after}`,
    hint,
  )
}

function describeStatus(s: RolloutStatus, timedOut: boolean): string {
  const reason = s.reason ? `: ${s.reason.replace(/\.$/, '')}` : ''
  switch (s.state) {
    case 'completed':
      return `${s.name} completed`
    case 'rolled-back':
      return `${s.name} rolled back to ${revisionOf(s.taskDefinition ?? '')}${reason}`
    case 'failed':
      return `${s.name} rollout FAILED${reason}`
    case 'failing':
      return `${s.name} is failing${reason}`
    case 'superseded':
      return `${s.name} was superseded${reason}`
    case 'in-progress':
      return `${s.name} ${timedOut ? 'still' : 'is'} rolling out (${s.running}/${s.desired} running, rollout ${s.rolloutState ?? 'pending'})${reason}`
  }
}

function stopText(t: StoppedTaskInfo): string {
  return (
    [t.stoppedReason, t.containerReason, t.exitCode === null ? null : `exit code ${t.exitCode}`]
      .filter(Boolean)
      .join(', ') ||
    (t.stopCode ?? 'no reason given')
  )
}

function describeTags(current: Map<TaskName, TaskDefinitionInfo>): string {
  const tags = new Set([...current.values()].map((td) => tagOf(td.image ?? '') ?? td.image))
  return [...tags].join(', ')
}

async function record(
  app: AppEnv,
  tasks: TaskName[],
  tag: string,
  deps: Pick<Deps, 'report' | 'clock'>,
): Promise<void> {
  const { aws, region } = app.project
  const paths = statePaths(app.names)
  await deps.report.step(`Record ${tag} on ${app.env.name}`, async () => {
    for (const task of tasks) await putString(aws.ssm, paths.image(task), tag, region)
    await putString(aws.ssm, paths.deployedAt, deps.clock.now().toISOString(), region)
  })
}

/** 15m, 2m05s, 40s. */
function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000)
  const s = Math.floor((ms % 60_000) / 1000)
  if (m === 0) return `${s}s`
  return s ? `${m}m${String(s).padStart(2, '0')}s` : `${m}m`
}
