import { configuredServices } from '../config/schema.js'
import { randomBytes } from 'node:crypto'

import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { parseDuration } from '../config/duration.js'
import { type EnvKind, type EnvName } from '../config/names.js'
import { type EnvNames } from '../config/naming.js'
import { describeStack, envStacksOn, listProjectStacks, stackState } from '../aws/cloudformation.js'
import { imageExists } from '../aws/ecr.js'
import { describeServices, setDesiredCount } from '../aws/ecs.js'
import { parameterValue, putSecretIfAbsent, putString } from '../aws/ssm.js'
import {
  addEnvAppStack,
  type BaseAttributes,
  baseAttributesFromOutputs,
  type ImageTags,
  PROD_LISTENER_PRIORITY,
} from '../infra/index.js'
import {
  configuredCounts,
  runningShape,
  currentCounts,
  existingPriority,
  resolveImages,
  zeroCounts,
} from './app-inputs.js'
import { estimateEnvCost, type CostEstimate } from '../cost/estimate.js'
import { planCollectstatic, type CollectstaticPlan } from './collectstatic.js'
import { manageDatabase } from './database.js'
import { deployStack } from './deploy-stack.js'
import { withEnvLock } from './env-lock.js'
import { statePaths } from './env-state.js'
import { runToCompletion, taskIdOf } from './one-off-task.js'
import { allocatePriority, type PrioritySource } from './priority.js'
import { openProject, type Project, type ProjectInput, projectEnv } from './project.js'
import { checkStackUsable, requireBase, STACK_WAIT_MS } from './stack-checks.js'
import { secretsForDeploy } from '../secrets/store.js'
import { waitForServices } from './wait-services.js'

export interface EnvCreateInput extends ProjectInput {
  name: string
  /** Image tag of every service; default: what runs now, else `image.tag`. */
  imageTag?: string
  /** Confirm without asking (also: recreate a stack whose creation failed). */
  yes: boolean
  /** Wait for another operation on the stack to finish instead of failing. */
  wait: boolean
  /** Time-to-live of an ad hoc env, e.g. 3d (default: adhoc.ttl). */
  ttl?: string
  /** Bound on waiting for services to become healthy. @default 15 minutes */
  timeoutMs: number
  /**
   * On creation, do not run collectstatic before starting the services (updates never run it:
   * deploy-image does). @default false
   */
  skipCollectstatic?: boolean
}

export interface EnvCreateResult {
  env: string
  kind: EnvKind
  stack: string
  /** created: a new env; updated: changes deployed; unchanged: nothing to change. */
  outcome: 'created' | 'updated' | 'unchanged'
  url: string
  images: Record<string, string>
  listenerPriority: { value: number; source: PrioritySource | 'fixed' }
  database: { name: string; created: boolean }
  services: { name: string; desired: number; running: number }[]
  outputs: Record<string, string>
  /** Monthly estimate of what the env runs, and its share of the base. */
  cost: CostEstimate
  durationMs: number
}

export type EnvCreateDeps = Pick<
  Deps,
  'cwd' | 'env' | 'report' | 'ask' | 'clock' | 'signal' | 'terminal'
>

/**
 * Creates an env, or updates it when it exists (idempotent): checks the base and the stack
 * state, keeps the images and listener priority the env has, creates its database, deploys
 * the app stack, and on creation runs migrations, then collectstatic (with the CDN on), before
 * scaling services up. A creation that stopped there (a failed migration or collectstatic leaves
 * the stack with every service at 0 and no `created-at`) is resumed by running it again. Once
 * the base is checked, it holds the env lock to the end (ENV_LOCKED when another run has it).
 */
export async function envCreate(
  input: EnvCreateInput,
  deps: EnvCreateDeps,
): Promise<EnvCreateResult> {
  const started = deps.clock.now().getTime()
  const project = await openProject(input, deps)
  const { config, aws, region } = project
  const { env, names } = projectEnv(config, input.name)
  const ttlMs = input.ttl === undefined ? undefined : parseTtl(input.ttl)
  const collectstatic = planCollectstatic(config, input.skipCollectstatic ?? false)

  const baseStack = await requireBase(aws.cfn, names, region)
  const base = baseAttributesFromOutputs(names.baseStack, baseStack.outputs)

  // Everything from here reads the env's state to change it: under the env lock.
  return withEnvLock(
    {
      ssm: aws.ssm,
      region,
      names,
      command: 'env create',
      expectedMs: input.timeoutMs + (input.wait ? STACK_WAIT_MS : 0),
    },
    deps,
    () => createLocked({ project, env, names, base, ttlMs, collectstatic, started }, input, deps),
  )
}

/** What envCreate settled before taking the env lock. */
interface CreateContext {
  project: Project
  env: EnvName
  names: EnvNames
  base: BaseAttributes
  ttlMs: number | undefined
  collectstatic: CollectstaticPlan
  started: number
}

/** envCreate from the app stack's state on, holding the env lock. */
async function createLocked(
  ctx: CreateContext,
  input: EnvCreateInput,
  deps: EnvCreateDeps,
): Promise<EnvCreateResult> {
  const { project, env, names, base, ttlMs, collectstatic, started } = ctx
  const { config, aws, region } = project
  const state = statePaths(names)
  let existing = await describeStack(aws.cfn, names.appStack, region)
  existing = await checkStackUsable(
    existing,
    names,
    { wait: input.wait, yes: input.yes, action: 'create' },
    project,
    deps,
  )
  const isNew = existing === undefined || stackState(existing.status) === 'failed-create'
  const resuming = !isNew && (await creationUnfinished(project, names, state.createdAt))
  if (resuming) {
    deps.report.info(
      `${env.name} was never started (its creation stopped before the services); finishing it`,
    )
  }
  const firstRun = isNew || resuming

  const images = await resolveImages(project, names, isNew ? undefined : existing, input.imageTag)
  await deps.report.step(
    `Check image ${config.image.repository}:${distinct(images).join(', ')} in ECR`,
    async () => {
      for (const tag of distinct(images)) {
        if (!(await imageExists(aws.ecr, config.image.repository, tag, region))) {
          throw new DjenvError(
            'IMAGE_MISSING',
            `Image ${config.image.repository}:${tag} is not in ECR (${region}); nothing was changed.`,
            'Push it first, or pass --image-tag with a tag that exists.',
          )
        }
      }
    },
  )

  // A template names every secret it injects, so they are read (never their values) and
  // checked before anything is written; SECRET_KEY, generated below, is always injected.
  const secrets = await secretsForDeploy(aws.ssm, config, names, region, deps)

  const priority =
    env.kind === 'prod'
      ? { priority: PROD_LISTENER_PRIORITY, source: 'fixed' as const }
      : await deps.report.step('Allocate a listener-rule priority', () =>
          allocatePriority(aws, region, {
            env: env.name,
            listenerArn: base.httpsListenerArn,
            ssmRoot: names.ssmRoot,
            existing: existingPriority(existing, isNew),
          }),
        )

  // Django's key: generated once, never regenerated; the app stack injects it as an ECS secret.
  const secretKeyCreated = await putSecretIfAbsent(
    aws.ssm,
    names.secretKeyParameter,
    () => randomBytes(48).toString('base64url'),
    region,
    config.secrets.kmsKey,
  )
  if (secretKeyCreated) deps.report.info(`Generated SECRET_KEY for ${env.name}`)

  const databaseCreated = (await parameterValue(aws.ssm, state.database, region)) !== undefined
  if (!databaseCreated) {
    await deps.report.step(`Create database ${names.databaseName}`, (step) =>
      manageDatabase('create', names.databaseName, base, aws, region, step, deps),
    )
    await putString(aws.ssm, state.database, names.databaseName, region)
  }

  const counts = firstRun ? zeroCounts(config) : await currentCounts(project, names, env.kind)
  const imageTags = images as ImageTags
  const deployed = await deployStack(
    project,
    {
      stackName: names.appStack,
      title: `${isNew ? 'Create' : 'Update'} stack ${names.appStack}`,
      decisions: {
        yes: input.yes,
        approval: env.kind === 'prod' ? 'broadening' : 'never',
        ask: deps.ask,
      },
      build: (app) =>
        addEnvAppStack(app, env, {
          config,
          account: project.account,
          base,
          imageTags,
          desiredCounts: counts,
          secrets,
          listenerPriority: priority.priority,
        }),
    },
    deps,
  )

  let services = await describeServices(aws.ecs, names.cluster, configuredServices(config), region)
  if (firstRun) {
    await runOnCreation(project, names, base, deps, { what: 'Migrations', title: 'Run migrations' })
    if (collectstatic.run) {
      await runOnCreation(project, names, base, deps, {
        what: 'collectstatic',
        title: `Run ${collectstatic.command.join(' ')}`,
        command: collectstatic.command,
      })
    } else {
      deps.report.info(collectstatic.message)
    }
    const wanted = configuredCounts(config, env.kind, env.name)
    await deps.report.step(`Start ${Object.keys(wanted).join(', ')}`, async () => {
      for (const [svc, count] of Object.entries(wanted))
        await setDesiredCount(aws.ecs, names.cluster, svc, count, region)
    })
    services = await waitForServices(
      aws,
      region,
      names.cluster,
      Object.keys(wanted),
      { timeoutMs: input.timeoutMs },
      deps,
    )
  }

  const now = deps.clock.now().toISOString()
  if (firstRun) await putString(aws.ssm, state.createdAt, now, region)
  if (ttlMs !== undefined || firstRun)
    await putString(aws.ssm, state.ttl, input.ttl ?? config.adhoc.ttl, region)
  await putString(aws.ssm, state.deployedAt, now, region)
  for (const [task, tag] of Object.entries(images))
    await putString(aws.ssm, state.image(task), tag, region)

  const onBase = envStacksOn(
    await listProjectStacks(aws.cfn, config.project, region),
    names.base,
  ).length
  return {
    env: env.name,
    kind: env.kind,
    stack: names.appStack,
    outcome: firstRun ? 'created' : deployed.noOp ? 'unchanged' : 'updated',
    url: deployed.outputs.Url ?? names.url,
    images,
    listenerPriority: { value: priority.priority, source: priority.source },
    database: { name: names.databaseName, created: !databaseCreated },
    services: services.map((s) => ({ name: s.name, desired: s.desired, running: s.running })),
    outputs: deployed.outputs,
    cost: estimateEnvCost(config, runningShape(config, env.kind, env.name), Math.max(onBase, 1)),
    durationMs: deps.clock.now().getTime() - started,
  }
}

function parseTtl(ttl: string): number {
  const ms = parseDuration(ttl)
  if (ms === undefined)
    throw new DjenvError(
      'USAGE',
      `--ttl ${ttl} is not a duration.`,
      'Use a duration such as 12h, 3d or 2w.',
    )
  return ms
}

function distinct(images: Record<string, string>): string[] {
  return [...new Set(Object.values(images))]
}

/**
 * A stack whose creation stopped after the stack (a failed migration or collectstatic): no
 * `created-at` was recorded and no service runs a task. A live env is never taken for one, even
 * without `created-at`, as long as one of its services is scaled up.
 */
async function creationUnfinished(
  project: Project,
  names: EnvNames,
  createdAtPath: string,
): Promise<boolean> {
  const { aws, region, config } = project
  if ((await parameterValue(aws.ssm, createdAtPath, region)) !== undefined) return false
  const services = await describeServices(
    aws.ecs,
    names.cluster,
    configuredServices(config),
    region,
  )
  return services.every((s) => s.desired === 0)
}

/**
 * Runs the env's migrate task definition once, on creation, before any service starts: its own
 * command (migrations), or `command` (collectstatic). A failure leaves every service at 0.
 */
async function runOnCreation(
  project: Project,
  names: EnvNames,
  base: BaseAttributes,
  deps: EnvCreateDeps,
  task: { what: string; title: string; command?: string[] },
): Promise<void> {
  await deps.report.step(task.title, async (step) => {
    const outcome = await runToCompletion(
      project.aws,
      project.region,
      {
        cluster: names.cluster,
        taskDefinition: names.families.migrate,
        container: 'migrate',
        command: task.command,
        subnets: base.privateSubnetIds,
        securityGroups: [base.appSecurityGroupId],
        startedBy: 'djenv',
      },
      step,
      deps,
    )
    if (outcome.exitCode !== 0) {
      throw new DjenvError(
        'TASK_FAILED',
        `${task.what} failed with exit code ${outcome.exitCode}; no service was started.`,
        `Read the output in log group ${names.logGroup} (stream migrate/migrate/${taskIdOf(outcome.taskArn)}), fix the cause, and run \`djenv env create ${names.env}\` again.`,
      )
    }
  })
}
