import { configuredServices } from '../config/schema.js'
import type { Deps } from '../core/command.js'
import { type EnvKind, type EnvName } from '../config/names.js'
import { type EnvNames } from '../config/naming.js'
import { describeStack, stackState } from '../aws/cloudformation.js'
import {
  activeRevisions,
  deregisterTaskDefinition,
  describeServices,
  setDesiredCount,
} from '../aws/ecs.js'
import { deletePrefixes } from '../aws/s3.js'
import { deleteParameters, parametersByPath } from '../aws/ssm.js'
import {
  addEnvAppStack,
  baseAttributesFromOutputs,
  placeholderBaseAttributes,
  PROD_LISTENER_PRIORITY,
} from '../infra/index.js'
import { tasksOf, zeroCounts } from './app-inputs.js'
import { confirmDestroy } from './confirm.js'
import { manageDatabase } from './database.js'
import { destroyStack } from './deploy-stack.js'
import { envLockPath, withEnvLock } from './env-lock.js'
import { priorityClaim } from './env-state.js'
import { hashedPriority } from './priority.js'
import { openProject, type Project, type ProjectInput, projectEnv } from './project.js'
import { checkStackUsable, STACK_WAIT_MS } from './stack-checks.js'
import { storedSecrets } from '../secrets/store.js'

export interface EnvDestroyInput extends ProjectInput {
  name: string
  yes: boolean
  /** Required for production envs. */
  force: boolean
  /** The production env's name, typed in advance (CI). */
  confirm?: string
  /** Keep the env's database on the shared PostgreSQL. */
  keepDatabase: boolean
  /**
   * Keep the env's static and media files (`<env>/static/`, `<env>/media/`) in the base's
   * assets bucket. @default false
   */
  keepFiles?: boolean
  /** Keep the env's secrets in SSM (`djenv secret list` still shows them). @default false */
  keepSecrets?: boolean
  wait: boolean
}

export interface EnvDestroyResult {
  env: string
  kind: EnvKind
  stack: string
  /** destroyed: the stack was deleted; absent: there was none (leftovers were cleaned up). */
  outcome: 'destroyed' | 'absent'
  database: { name: string; dropped: boolean }
  /**
   * Objects deleted under the env's `<env>/static/` and `<env>/media/` prefixes of the base's
   * assets bucket (0 when the bucket or base is gone), or kept with --keep-files.
   */
  files: { deleted: number; kept: boolean }
  /** The env's own secrets (SECRET_KEY included) deleted, or kept with --keep-secrets. */
  secrets: { deleted: number; kept: boolean }
  /**
   * ACTIVE revisions of the env's task-definition families deregistered once the stack was gone:
   * those djenv registered itself (deploy-image, run), as CloudFormation removes only its own.
   */
  taskDefinitionsDeregistered: number
  /** SSM parameters djenv kept for the env (state, priority claim) that were deleted. */
  parametersDeleted: number
  durationMs: number
}

export type EnvDestroyDeps = Pick<
  Deps,
  'cwd' | 'env' | 'report' | 'ask' | 'clock' | 'signal' | 'terminal'
>

/**
 * Destroys an env (infrastructure.md §9.3): confirm, take the env lock, scale to 0, drop its
 * database, delete the stack, its files in the assets bucket and its secrets (unless kept),
 * deregister the task-definition revisions left, then delete its state and priority claim, and
 * the lock last. Production envs pass the typed confirmation before anything is deleted. Every
 * step is idempotent, so a failed destroy can be run again; a missing stack still gets its
 * leftovers cleaned up.
 */
export async function envDestroy(
  input: EnvDestroyInput,
  deps: EnvDestroyDeps,
): Promise<EnvDestroyResult> {
  const started = deps.clock.now().getTime()
  const project = await openProject(input, deps)
  const { config, aws, region } = project
  const { env, names } = projectEnv(config, input.name)

  await confirmDestroy(
    {
      kind: env.kind,
      name: env.name,
      description: `environment ${env.name} (stack ${names.appStack})`,
    },
    input,
    deps,
  )
  // Everything from here reads the env's state to delete it: under the env lock.
  return withEnvLock(
    {
      ssm: aws.ssm,
      region,
      names,
      command: 'env destroy',
      expectedMs: input.wait ? STACK_WAIT_MS : 0,
    },
    deps,
    () => destroyLocked(project, env, names, input, deps, started),
  )
}

/** envDestroy after the confirmation, holding the env lock. */
async function destroyLocked(
  project: Project,
  env: EnvName,
  names: EnvNames,
  input: EnvDestroyInput,
  deps: EnvDestroyDeps,
  started: number,
): Promise<EnvDestroyResult> {
  const { config, aws, region } = project
  const stack = await checkStackUsable(
    await describeStack(aws.cfn, names.appStack, region),
    names,
    { wait: input.wait, yes: input.yes, action: 'destroy' },
    project,
    deps,
  )

  const baseStack = await describeStack(aws.cfn, names.baseStack, region)
  const base = baseStack ? baseAttributesFromOutputs(names.baseStack, baseStack.outputs) : undefined
  const priority = Number(stack?.outputs.ListenerRulePriority)

  if (stack && stackState(stack.status) === 'stable') {
    await deps.report.step('Scale services to 0', async (step) => {
      for (const svc of await describeServices(
        aws.ecs,
        names.cluster,
        configuredServices(config),
        region,
      )) {
        if (svc.state === 'active' && svc.desired > 0) {
          step.detail(`${svc.name} ${svc.desired} → 0`)
          await setDesiredCount(aws.ecs, names.cluster, svc.name, 0, region)
        }
      }
    })
  }

  let dropped = false
  if (!input.keepDatabase && base) {
    await deps.report.step(`Drop database ${names.databaseName}`, (step) =>
      manageDatabase('drop', names.databaseName, base, aws, region, step, deps),
    )
    dropped = true
  } else if (!input.keepDatabase) {
    deps.report.warn(
      `Base ${names.baseStack} is gone, so database ${names.databaseName} went with it.`,
    )
  }

  if (stack) {
    if (stack.terminationProtection) {
      await deps.report.step(`Turn off termination protection of ${names.appStack}`, async () => {
        await aws.cfn.updateTerminationProtection({
          StackName: names.appStack,
          EnableTerminationProtection: false,
        })
      })
    }
    await destroyStack(
      project,
      {
        stackName: names.appStack,
        title: `Delete stack ${names.appStack}`,
        build: destroyBuild(project, env.kind, names),
      },
      deps,
    )
  }

  const files = input.keepFiles
    ? { deleted: 0, kept: true }
    : { deleted: await deleteFiles(project, base?.assetsBucketName, names, deps), kept: false }

  // The env's own path only: the base's shared secrets serve its other envs.
  const secrets = input.keepSecrets ? [] : await storedSecrets(aws.ssm, names, region, ['env'])
  if (secrets.length > 0) {
    await deps.report.step(`Delete the secrets of ${env.name} (${names.secretsPath})`, () =>
      deleteParameters(
        aws.ssm,
        secrets.map((s) => s.parameter),
        region,
      ),
    )
  }

  const deregistered = await deregisterRevisions(project, names, deps)

  // The lock is no leftover: it is this run's, and withEnvLock deletes it once everything else
  // under …/envs/<env>/ is gone, so no other run starts on the env while it is torn down.
  const lock = envLockPath(names)
  const leftovers = (await parametersByPath(aws.ssm, names.envSsmRoot, region))
    .map((p) => p.name)
    .filter((name) => name !== lock)
  const claims = await parametersByPath(aws.ssm, `${names.ssmRoot}/priorities`, region)
  for (const claim of claims) if (claim.value === env.name) leftovers.push(claim.name)
  if (Number.isInteger(priority) && env.kind === 'adhoc')
    leftovers.push(priorityClaim(names.ssmRoot, priority))
  const toDelete = [...new Set(leftovers)]
  await deleteParameters(aws.ssm, toDelete, region)

  return {
    env: env.name,
    kind: env.kind,
    stack: names.appStack,
    outcome: stack ? 'destroyed' : 'absent',
    database: { name: names.databaseName, dropped },
    files,
    secrets: { deleted: secrets.length, kept: Boolean(input.keepSecrets) },
    taskDefinitionsDeregistered: deregistered,
    parametersDeleted: toDelete.length,
    durationMs: deps.clock.now().getTime() - started,
  }
}

/**
 * Deregisters every ACTIVE revision of the env's task-definition families (web, worker, beat,
 * migrate); returns how many. Revisions of other envs' families never match (activeRevisions
 * keeps exact families only), and a re-run finds none left.
 */
async function deregisterRevisions(
  project: Project,
  names: EnvNames,
  deps: Pick<EnvDestroyDeps, 'report'>,
): Promise<number> {
  const { aws, region } = project
  return deps.report.step(`Deregister the task definitions of ${names.env}`, async (step) => {
    let count = 0
    for (const family of Object.values(names.families)) {
      const arns = await activeRevisions(aws.ecs, family, region)
      for (const arn of arns) await deregisterTaskDefinition(aws.ecs, arn, region)
      if (arns.length) step.detail(`${family}: ${arns.length} revision(s)`)
      count += arns.length
    }
    return count
  })
}

/**
 * Empties the env's prefixes in the base's assets bucket; returns how many objects went. The
 * trailing slash keeps `pr-4/` from matching `pr-42/`. No base or no bucket: a warning, as there
 * is nothing left to delete from (a re-run after a partial destroy lands here too).
 */
async function deleteFiles(
  project: Project,
  bucket: string | undefined,
  names: EnvNames,
  deps: Pick<EnvDestroyDeps, 'report'>,
): Promise<number> {
  const prefixes = [`${names.staticPrefix}/`, `${names.mediaPrefix}/`]
  if (!bucket) {
    deps.report.warn(
      `Base ${names.baseStack} is gone, so there is no assets bucket to delete ${prefixes.join(' and ')} from.`,
    )
    return 0
  }
  const result = await deps.report.step(
    `Delete the files of ${names.env} (${prefixes.join(', ')} in bucket ${bucket})`,
    async (step) => {
      const r = await deletePrefixes(project.aws.s3, bucket, prefixes, project.region)
      step.detail(`${r.deleted} object(s) deleted`)
      return r
    },
  )
  if (result.bucketMissing) {
    deps.report.warn(
      `Bucket ${bucket} of base ${names.baseStack} does not exist; no files to delete.`,
    )
  }
  return result.deleted
}

/**
 * toolkit-lib destroys from a synthesized assembly, but only the stack's name matters: the
 * app is built from placeholders, with no AWS reads.
 */
function destroyBuild(project: Project, kind: EnvKind, names: EnvNames) {
  const { config, account } = project
  const imageTags = Object.fromEntries(tasksOf(config).map((t) => [t, 'destroy']))
  const desiredCounts = zeroCounts(config)
  const ref = kind === 'prod' ? ({ kind, name: names.env } as const) : ({ kind } as const)
  const base = placeholderBaseAttributes(config, ref, account)
  const listenerPriority = kind === 'prod' ? PROD_LISTENER_PRIORITY : hashedPriority(names.env)
  return (app: Parameters<Parameters<typeof destroyStack>[1]['build']>[0]) => {
    addEnvAppStack(
      app,
      { name: names.env, kind },
      { config, account, base, imageTags, desiredCounts, secrets: [], listenerPriority },
    )
  }
}
