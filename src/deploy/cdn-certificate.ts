import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { BaseRef } from '../config/naming.js'
import { createAws } from '../aws/clients.js'
import { describeStack } from '../aws/cloudformation.js'
import {
  addCdnCertificateStack,
  CDN_CERTIFICATE_OUTPUT,
  CLOUDFRONT_CERTIFICATE_REGION,
  resolveCdnCertificateSettings,
} from '../infra/index.js'
import { deployStack, destroyStack } from './deploy-stack.js'
import type { Decisions } from './io-host.js'
import type { Project } from './project.js'

/** What happened to a base's us-east-1 certificate stack. */
export interface CdnCertificateOutcome {
  stack: string
  region: string
  host: string
  arn: string
}

/**
 * Deploys the us-east-1 stack holding the certificate of a base's CDN host, when the base
 * needs one (CloudFront reads certificates from us-east-1 only), and returns its ARN for the
 * base to take by attribute. Undefined when the CDN is off or another certificate serves it.
 */
export async function deployCdnCertificate(
  project: Project,
  ref: BaseRef,
  decisions: Omit<Decisions, 'destroyConfirmed'>,
  deps: Pick<Deps, 'report' | 'terminal' | 'env'>,
): Promise<CdnCertificateOutcome | undefined> {
  const settings = resolveCdnCertificateSettings(project.config, ref, project.account)
  if (!settings) return undefined
  const stack = settings.names.cdnCertificateStack
  const deployed = await deployStack(
    project,
    {
      stackName: stack,
      region: CLOUDFRONT_CERTIFICATE_REGION,
      title: `Certificate for ${settings.host} (stack ${stack} in ${CLOUDFRONT_CERTIFICATE_REGION})`,
      decisions,
      build: (app) =>
        addCdnCertificateStack(app, { config: project.config, account: project.account, ref }),
    },
    deps,
  )
  const arn = deployed.outputs[CDN_CERTIFICATE_OUTPUT]
  if (!arn) {
    throw new DjenvError(
      'DEPLOY_FAILED',
      `Stack ${stack} (${CLOUDFRONT_CERTIFICATE_REGION}) has no ${CDN_CERTIFICATE_OUTPUT} output.`,
      'Run `djenv base deploy` again; if it persists, delete the stack and retry.',
    )
  }
  return { stack, region: CLOUDFRONT_CERTIFICATE_REGION, host: settings.host, arn }
}

/**
 * Deletes a base's us-east-1 certificate stack after the base (whose distribution used it) is
 * gone. Returns whether one existed.
 */
export async function destroyCdnCertificate(
  project: Project,
  ref: BaseRef,
  deps: Pick<Deps, 'report' | 'terminal' | 'ask' | 'env'>,
): Promise<boolean> {
  const settings = resolveCdnCertificateSettings(project.config, ref, project.account)
  if (!settings) return false
  const stack = settings.names.cdnCertificateStack
  const region = CLOUDFRONT_CERTIFICATE_REGION
  const cfn = createAws({ ...project.aws.settings, region }, {}, deps.env).cfn
  const found = await describeStack(cfn, stack, region)
  if (!found) return false
  if (found.terminationProtection) {
    await deps.report.step(`Turn off termination protection of ${stack}`, async () => {
      await cfn.updateTerminationProtection({
        StackName: stack,
        EnableTerminationProtection: false,
      })
    })
  }
  await destroyStack(
    project,
    {
      stackName: stack,
      region,
      title: `Delete certificate stack ${stack} (${region})`,
      build: (app) =>
        addCdnCertificateStack(app, { config: project.config, account: project.account, ref }),
    },
    deps,
  )
  return true
}
