import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { baseNames } from '../config/naming.js'
import { describeStack, envStacksOn, listProjectStacks } from '../aws/cloudformation.js'
import { deletePrefix } from '../aws/s3.js'
import { addBaseStack, placeholderCdnCertificateArn } from '../infra/index.js'
import { baseRef, type BaseInput } from './base-deploy.js'
import { destroyCdnCertificate } from './cdn-certificate.js'
import { confirmDestroy } from './confirm.js'
import { destroyStack } from './deploy-stack.js'
import { openProject } from './project.js'

export interface BaseDestroyInput extends BaseInput {
  yes: boolean
  force: boolean
  confirm?: string
}

export interface BaseDestroyResult {
  base: string
  kind: 'adhoc' | 'prod'
  stack: string
  outcome: 'destroyed' | 'absent'
  objectsDeleted: number
  /** The us-east-1 certificate stack of the CDN host, deleted after the base. */
  cdnCertificateStackDeleted: boolean
  durationMs: number
}

export type BaseDestroyDeps = Pick<Deps, 'cwd' | 'env' | 'report' | 'ask' | 'clock' | 'terminal'>

/**
 * Destroys a base. Refuses while any env still runs on it (naming them); production needs
 * --force and the typed name. The ad hoc assets bucket is emptied first, since CloudFormation
 * deletes only empty buckets; a production bucket is retained with its data.
 */
export async function baseDestroy(
  input: BaseDestroyInput,
  deps: BaseDestroyDeps,
): Promise<BaseDestroyResult> {
  const started = deps.clock.now().getTime()
  const project = await openProject(input, deps)
  const { config, aws, region } = project
  const ref = baseRef(config, input)
  const names = baseNames(config, ref)

  const envs = envStacksOn(await listProjectStacks(aws.cfn, config.project, region), names.base)
  if (envs.length > 0) {
    throw new DjenvError(
      'ENVS_REMAIN',
      `Base ${names.baseStack} still has ${envs.length} environment${envs.length > 1 ? 's' : ''}: ${envs.map((s) => s.tags['djenv:env']).join(', ')}.`,
      'Destroy them first with `djenv env destroy NAME`.',
    )
  }
  const stack = await describeStack(aws.cfn, names.baseStack, region)
  await confirmDestroy(
    {
      kind: ref.kind,
      name: ref.kind === 'prod' ? ref.name : names.base,
      description: `base ${names.base} (stack ${names.baseStack})`,
    },
    input,
    deps,
  )
  if (!stack) {
    return {
      base: names.base,
      kind: ref.kind,
      stack: names.baseStack,
      outcome: 'absent',
      objectsDeleted: 0,
      cdnCertificateStackDeleted: await destroyCdnCertificate(project, ref, deps),
      durationMs: 0,
    }
  }

  let objectsDeleted = 0
  const bucket = stack.outputs.AssetsBucketName
  if (bucket && ref.kind === 'adhoc') {
    objectsDeleted = await deps.report.step(`Empty bucket ${bucket}`, () =>
      deletePrefix(aws.s3, bucket, '', region),
    )
  }
  if (stack.terminationProtection) {
    await deps.report.step(`Turn off termination protection of ${names.baseStack}`, async () => {
      await aws.cfn.updateTerminationProtection({
        StackName: names.baseStack,
        EnableTerminationProtection: false,
      })
    })
  }
  // A delete does not read the template: a placeholder certificate synthesizes it.
  const cdnCertificateArn = placeholderCdnCertificateArn(config, ref, project.account)
  const props = { config, account: project.account, cdnCertificateArn }
  await destroyStack(
    project,
    {
      stackName: names.baseStack,
      title: `Delete base stack ${names.baseStack}`,
      build: (app) => addBaseStack(app, ref, props),
    },
    deps,
  )
  const cdnCertificateStackDeleted = await destroyCdnCertificate(project, ref, deps)
  return {
    base: names.base,
    kind: ref.kind,
    stack: names.baseStack,
    outcome: 'destroyed',
    objectsDeleted,
    cdnCertificateStackDeleted,
    durationMs: deps.clock.now().getTime() - started,
  }
}
