import { DjenvError } from '../core/errors.js'
import type { FailedEvent } from './io-host.js'

type Guard = (err: unknown) => boolean

interface ToolkitGuards {
  isBootstrapError: Guard
  isAuthenticationError: Guard
  isAbortError: Guard
  isContextLookupsDisabledError: Guard
  isAssemblyError: Guard
  isDeploymentError: Guard
  isLockError: Guard
}

/** The first error in `err`'s cause chain that `guard` accepts. */
export function findInChain(err: unknown, guard: Guard, depth = 6): unknown {
  let current: unknown = err
  for (let i = 0; i < depth && current !== undefined && current !== null; i++) {
    if (guard(current)) return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

export interface ToolkitErrorContext {
  stack: string
  region: string
  profile?: string
  /** A question the IoHost could not ask (INPUT_REQUIRED), kept to rethrow. */
  pending?: unknown
  failures: readonly FailedEvent[]
  /** The toolkit action that failed (the IoHost's last message): a destroy is no deployment. */
  action?: string
}

/**
 * Maps what toolkit-lib throws to djenv's errors (cdk-toolkit-lib.md §10), recognising
 * errors with toolkit-lib's own guards over the whole cause chain.
 */
export function mapToolkitError(
  err: unknown,
  guards: ToolkitGuards,
  ctx: ToolkitErrorContext,
): DjenvError {
  const djenv = findInChain(err, (e) => e instanceof DjenvError)
  if (djenv) return djenv as DjenvError
  if (findInChain(err, guards.isAbortError)) {
    if (ctx.pending instanceof DjenvError) return ctx.pending
    return new DjenvError(
      'CANCELLED',
      `Deployment of ${ctx.stack} was cancelled; nothing was changed.`,
      undefined,
      err,
    )
  }
  const bootstrap = findInChain(err, guards.isBootstrapError) as
    { environment?: { account?: string; region?: string } } | undefined
  if (bootstrap) {
    const where = `aws://${bootstrap.environment?.account ?? '<account>'}/${bootstrap.environment?.region ?? ctx.region}`
    return new DjenvError(
      'BOOTSTRAP_REQUIRED',
      `The AWS environment ${where} is not bootstrapped for CDK (or its bootstrap is too old).`,
      'Run `djenv base deploy`, which offers to bootstrap it (pass --yes in CI).',
      err,
    )
  }
  if (findInChain(err, guards.isAuthenticationError)) {
    const login = ctx.profile ? `aws sso login --profile ${ctx.profile}` : 'aws sso login'
    return new DjenvError(
      'AWS_AUTH',
      `No usable AWS credentials for ${ctx.profile ? `profile ${ctx.profile}` : 'the default AWS credentials'} in ${ctx.region}.`,
      `Run \`${login}\`, or pass --profile NAME.`,
      err,
    )
  }
  const lookups = findInChain(err, guards.isContextLookupsDisabledError)
  if (lookups) {
    return new DjenvError(
      'CONTEXT_MISSING',
      `Synthesis of ${ctx.stack} needs values that are looked up in AWS: ${firstLine(lookups)}`,
      'Set availabilityZones and account in djenv.yml so synthesis works offline.',
      err,
    )
  }
  if (findInChain(err, guards.isLockError)) {
    return new DjenvError(
      'SYNTH_FAILED',
      'Another djenv run is using the same output directory.',
      'Wait for it, or pass another --out.',
      err,
    )
  }
  if (findInChain(err, guards.isDeploymentError)) {
    const failure = ctx.failures.find((f) => f.reason !== '') ?? ctx.failures[0]
    const reason = failure
      ? `${failure.logicalId} (${failure.type}) ${failure.status}: ${failure.reason}`
      : firstLine(err)
    if (ctx.action === 'destroy') {
      return new DjenvError(
        'DESTROY_FAILED',
        `Deletion of ${ctx.stack} failed: ${reason}`,
        `See \`djenv env status\` for the stack's events; remove what blocks the deletion and run the command again.`,
        err,
      )
    }
    return new DjenvError(
      'DEPLOY_FAILED',
      `Deployment of ${ctx.stack} failed: ${reason}`,
      `See \`djenv env status\` for the stack's events; fix the cause and run the command again.`,
      err,
    )
  }
  if (findInChain(err, guards.isAssemblyError)) {
    return new DjenvError(
      'SYNTH_FAILED',
      `Synthesis of ${ctx.stack} failed: ${firstLine(err)}`,
      'Run again with --verbose for the details.',
      err,
    )
  }
  return new DjenvError(
    'DEPLOY_FAILED',
    `${ctx.stack}: ${firstLine(err)}`,
    'Run again with --verbose for the details.',
    err,
  )
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return (message.split('\n')[0] ?? message).replace(/^❌\s*/, '')
}
