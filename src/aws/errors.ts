import { DjenvError } from '../core/errors.js'

interface SdkLikeError {
  name?: string
  message?: string
  code?: string
  $metadata?: { httpStatusCode?: number }
}

const EXPIRED = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
  'InvalidGrantException',
  'UnauthorizedException',
  'RequestExpired',
])
const REJECTED = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'IncompleteSignature',
  'AuthFailure',
])
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'NotAuthorized',
])
const NETWORK = new Set([
  'ENOTFOUND',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'TimeoutError',
])

export interface AwsErrorContext {
  /** What djenv was doing, e.g. `ecs:DescribeServices`. */
  action: string
  profile?: string
  region: string
}

/**
 * Maps the failures any AWS call can meet — missing, expired or rejected credentials,
 * denied permissions, an unreachable endpoint — to a DjenvError that says how to fix it.
 * Returns undefined for anything else: the operation that made the call decides.
 */
export function mapCommonAwsError(err: unknown, ctx: AwsErrorContext): DjenvError | undefined {
  if (err instanceof DjenvError) return err
  const e = (err ?? {}) as SdkLikeError
  const name = e.name ?? ''
  const message = e.message ?? String(err)
  const who = ctx.profile ? `profile ${ctx.profile}` : 'the default AWS credentials'
  const login = ctx.profile ? `aws sso login --profile ${ctx.profile}` : 'aws sso login'

  if (
    name === 'CredentialsProviderError' ||
    /Could not load credentials|credentials? (is|are) missing/i.test(message)
  ) {
    if (/sso|token/i.test(message) && /expired|refresh/i.test(message))
      return expired(who, login, err)
    return new DjenvError(
      'AWS_AUTH',
      `No AWS credentials found for ${who}.`,
      `Run \`${login}\`, pass --profile NAME, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`,
      err,
    )
  }
  if (EXPIRED.has(name) || /(token|session).*(expired|has expired)/i.test(message))
    return expired(who, login, err)
  if (REJECTED.has(name)) {
    return new DjenvError(
      'AWS_AUTH',
      `AWS rejected the credentials of ${who} (${name}).`,
      `Check them, or run \`${login}\`.`,
      err,
    )
  }
  if (DENIED.has(name) || e.$metadata?.httpStatusCode === 403) {
    return new DjenvError(
      'AWS_ACCESS_DENIED',
      `AWS denied ${ctx.action} in ${ctx.region}: ${firstLine(message)}`,
      `Use a role allowed to call ${ctx.action} (--profile), or ask an administrator for the permission.`,
      err,
    )
  }
  if (NETWORK.has(name) || NETWORK.has(e.code ?? '')) {
    return new DjenvError(
      'AWS_FAILED',
      `Cannot reach AWS for ${ctx.action} in ${ctx.region} (${e.code ?? name}).`,
      'Check the network connection, a proxy, or AWS_ENDPOINT_URL.',
      err,
    )
  }
  return undefined
}

/** Maps any AWS failure: the common ones as above, the rest as AWS_FAILED naming the action. */
export function mapAwsError(err: unknown, ctx: AwsErrorContext): DjenvError {
  const common = mapCommonAwsError(err, ctx)
  if (common) return common
  const e = (err ?? {}) as SdkLikeError
  return new DjenvError(
    'AWS_FAILED',
    `${ctx.action} failed in ${ctx.region}: ${firstLine(e.message ?? String(err))}`,
    'Run again with --verbose for the full AWS response.',
    err,
  )
}

function expired(who: string, login: string, err: unknown): DjenvError {
  return new DjenvError(
    'AWS_AUTH',
    `The AWS session of ${who} has expired.`,
    `Run \`${login}\` and try again.`,
    err,
  )
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}
