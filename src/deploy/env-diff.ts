import type { Deps } from '../core/command.js'
import { type EnvKind } from '../config/names.js'
import { describeStack, stackState } from '../aws/cloudformation.js'
import {
  addEnvAppStack,
  baseAttributesFromOutputs,
  djenvContext,
  type ImageTags,
  PROD_LISTENER_PRIORITY,
} from '../infra/index.js'
import { currentCounts, existingPriority, resolveImages, zeroCounts } from './app-inputs.js'
import { stripAnsi } from './io-host.js'
import { hashedPriority } from './priority.js'
import { openProject, type ProjectInput, projectEnv } from './project.js'
import { requireBase } from './stack-checks.js'
import { secretsForDeploy } from '../secrets/store.js'
import { one, openToolkit, synthesize, toolkitError } from './toolkit.js'

export interface EnvDiffInput extends ProjectInput {
  name: string
  imageTag?: string
}

export interface ResourceChange {
  logicalId: string
  type: string
  /** CloudFormation's impact: WILL_CREATE, WILL_UPDATE, WILL_REPLACE, MAY_REPLACE, WILL_DESTROY, WILL_ORPHAN, … */
  impact: string
}

export interface EnvDiffResult {
  env: string
  kind: EnvKind
  stack: string
  exists: boolean
  changes: ResourceChange[]
  permissionsBroadened: boolean
  /** The diff as CloudFormation would apply it, for people. */
  text: string
}

export type EnvDiffDeps = Pick<Deps, 'cwd' | 'env' | 'report' | 'ask' | 'terminal'>

/**
 * What `env create` would change, read from a CloudFormation change set that is created and
 * deleted again: the same inputs as a create (live images, kept priority, current counts),
 * with nothing claimed or written.
 */
export async function envDiff(input: EnvDiffInput, deps: EnvDiffDeps): Promise<EnvDiffResult> {
  const project = await openProject(input, deps)
  const { config, aws, region, account } = project
  const { env, names } = projectEnv(config, input.name)
  const base = baseAttributesFromOutputs(
    names.baseStack,
    (await requireBase(aws.cfn, names, region)).outputs,
  )
  const existing = await describeStack(aws.cfn, names.appStack, region)
  const isNew = !existing || stackState(existing.status) === 'failed-create'
  const imageTags = (await resolveImages(
    project,
    names,
    isNew ? undefined : existing,
    input.imageTag,
  )) as ImageTags
  const desiredCounts = isNew ? zeroCounts(config) : await currentCounts(project, names, env.kind)
  const secrets = await secretsForDeploy(aws.ssm, config, names, region, deps)
  const listenerPriority =
    existingPriority(existing, isNew) ??
    (env.kind === 'prod' ? PROD_LISTENER_PRIORITY : hashedPriority(env.name))

  return deps.report.step(`Compare ${names.appStack} with AWS`, async (step) => {
    const texts: string[] = []
    const h = await openToolkit({
      offline: false,
      region,
      profile: project.profile,
      color: false,
      sink: { detail: (text) => step.detail(text) },
      decisions: { yes: false, destroyConfirmed: false, approval: 'never', ask: deps.ask },
    })
    const notify = h.host.notify.bind(h.host)
    h.host.notify = async (msg) => {
      if (msg.code === 'CDK_TOOLKIT_I4002') {
        const data = msg.data as { formattedDiff?: { diff?: string } }
        texts.push(stripAnsi(data.formattedDiff?.diff ?? msg.message))
      }
      return notify(msg)
    }
    try {
      const asm = await synthesize(
        h,
        (app) =>
          addEnvAppStack(app, env, {
            config,
            account,
            base,
            imageTags,
            desiredCounts,
            secrets,
            listenerPriority,
          }),
        { context: djenvContext(config, account), validate: false, lookups: false },
      )
      try {
        const diffs = await h.toolkit.diff(asm, {
          stacks: one(h, names.appStack),
          method: h.lib.DiffMethod.ChangeSet(),
        })
        const changes: ResourceChange[] = []
        let broadened = false
        for (const diff of Object.values(diffs)) {
          broadened ||= diff.permissionsBroadened
          diff.resources.forEachDifference((logicalId, change) => {
            const type = change.newResourceType ?? change.oldResourceType ?? ''
            if (type !== 'AWS::CDK::Metadata')
              changes.push({ logicalId, type, impact: String(change.changeImpact) })
          })
        }
        return {
          env: env.name,
          kind: env.kind,
          stack: names.appStack,
          exists: !isNew,
          changes: changes.sort((a, b) => a.logicalId.localeCompare(b.logicalId)),
          permissionsBroadened: broadened,
          text: texts.join('\n').trim(),
        }
      } finally {
        await asm.dispose()
      }
    } catch (err) {
      throw toolkitError(h, err, names.appStack)
    }
  })
}
