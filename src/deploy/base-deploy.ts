import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { baseNames, type BaseRef } from '../config/naming.js'
import type { ConfigData } from '../config/schema.js'
import { describeStack, stackState } from '../aws/cloudformation.js'
import { parameterValue } from '../aws/ssm.js'
import { addBaseStack } from '../infra/index.js'
import { deployCdnCertificate, type CdnCertificateOutcome } from './cdn-certificate.js'
import { deployStack } from './deploy-stack.js'
import { openProject, type Project, type ProjectInput } from './project.js'
import { openToolkit, toolkitError } from './toolkit.js'

/** The SSM parameter of the default CDK bootstrap (qualifier hnb659fds) holding its version. */
export const BOOTSTRAP_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version'
/** Oldest bootstrap version djenv's stacks deploy with. */
export const MIN_BOOTSTRAP_VERSION = 6

export interface BaseInput extends ProjectInput {
  /** The ad hoc base's name; must be the configured `adhoc.base` when given. */
  base?: string
  /** A production env: its dedicated base instead of the ad hoc one. */
  prod?: string
}

export interface BaseDeployInput extends BaseInput {
  yes: boolean
}

export interface BaseDeployResult {
  base: string
  kind: 'adhoc' | 'prod'
  stack: string
  outcome: 'created' | 'updated' | 'unchanged'
  bootstrapped: boolean
  /** The us-east-1 certificate stack of the CDN host, when djenv manages one. */
  cdnCertificate: CdnCertificateOutcome | null
  outputs: Record<string, string>
  durationMs: number
}

export type BaseDeployDeps = Pick<Deps, 'cwd' | 'env' | 'report' | 'ask' | 'clock' | 'terminal'>

/** Which base a command means: `--prod ENV`, else the configured ad hoc base. */
export function baseRef(config: ConfigData, input: BaseInput): BaseRef {
  if (input.prod !== undefined) {
    if (!(input.prod in config.production)) {
      throw new DjenvError(
        'USAGE',
        `"${input.prod}" is not a production env of the configuration.`,
        `Configured: ${Object.keys(config.production).join(', ') || 'none'} (production: in djenv.yml).`,
      )
    }
    return { kind: 'prod', name: input.prod }
  }
  if (input.base !== undefined && input.base !== config.adhoc.base) {
    throw new DjenvError(
      'USAGE',
      `The configuration's ad hoc base is "${config.adhoc.base}", not "${input.base}".`,
      `Omit the name, or set adhoc.base: ${input.base} in the configuration.`,
    )
  }
  return { kind: 'adhoc' }
}

/**
 * Deploys a base: bootstraps the account and region for CDK first when needed (asking on a
 * terminal, --yes in CI), then creates or updates the base stack.
 */
export async function baseDeploy(
  input: BaseDeployInput,
  deps: BaseDeployDeps,
): Promise<BaseDeployResult> {
  const started = deps.clock.now().getTime()
  const project = await openProject(input, deps)
  const { config, aws, region } = project
  const ref = baseRef(config, input)
  const names = baseNames(config, ref)

  const found = await describeStack(aws.cfn, names.baseStack, region)
  const existing = found && stackState(found.status) !== 'never-created' ? found : undefined
  if (existing && stackState(existing.status) === 'busy') {
    throw new DjenvError(
      'STACK_BUSY',
      `Stack ${names.baseStack} is ${existing.status}: another operation is running on it.`,
      'Wait until it has finished, then run the command again.',
    )
  }
  const bootstrapped = await ensureBootstrap(project, input.yes, deps)
  const decisions = {
    yes: input.yes,
    approval: ref.kind === 'prod' ? 'broadening' : 'never',
    ask: deps.ask,
  } as const
  // First the certificate (us-east-1), whose ARN the distribution takes by attribute.
  const certificate = await deployCdnCertificate(project, ref, decisions, deps)
  const props = { config, account: project.account, cdnCertificateArn: certificate?.arn }
  const deployed = await deployStack(
    project,
    {
      stackName: names.baseStack,
      title: `${existing ? 'Update' : 'Create'} base stack ${names.baseStack}`,
      decisions,
      build: (app) => addBaseStack(app, ref, props),
    },
    deps,
  )
  return {
    base: names.base,
    kind: ref.kind,
    stack: names.baseStack,
    outcome:
      !existing || stackState(existing.status) === 'failed-create'
        ? 'created'
        : deployed.noOp
          ? 'unchanged'
          : 'updated',
    bootstrapped,
    cdnCertificate: certificate ?? null,
    outputs: deployed.outputs,
    durationMs: deps.clock.now().getTime() - started,
  }
}

/** Bootstraps `aws://<account>/<region>` when its CDK bootstrap is missing or too old. */
async function ensureBootstrap(
  project: Project,
  yes: boolean,
  deps: BaseDeployDeps,
): Promise<boolean> {
  const version = Number(
    await parameterValue(project.aws.ssm, BOOTSTRAP_VERSION_PARAMETER, project.region),
  )
  if (Number.isInteger(version) && version >= MIN_BOOTSTRAP_VERSION) return false
  const environment = `aws://${project.account}/${project.region}`
  const ok =
    yes ||
    (await deps.ask.confirm({
      message: `${environment} is not bootstrapped for CDK (the CDKToolkit stack: a bucket for templates and deploy roles). Bootstrap it now?`,
      flag: '--yes',
      default: true,
    }))
  if (!ok) {
    throw new DjenvError(
      'BOOTSTRAP_REQUIRED',
      `${environment} is not bootstrapped; nothing was deployed.`,
      'Run again with --yes to bootstrap it.',
    )
  }
  await deps.report.step(`Bootstrap ${environment} for CDK`, async (step) => {
    const h = await openToolkit({
      offline: false,
      region: project.region,
      profile: project.profile,
      color: deps.terminal.color,
      sink: step,
      decisions: { yes: true, destroyConfirmed: false, approval: 'never', ask: deps.ask },
    })
    try {
      await h.toolkit.bootstrap(h.lib.BootstrapEnvironments.fromList([environment]), {})
    } catch (err) {
      throw toolkitError(h, err, 'CDKToolkit')
    }
  })
  return true
}
