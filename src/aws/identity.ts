import { DjenvError } from '../core/errors.js'
import type { Aws } from './clients.js'

export interface CallerIdentity {
  account: string
  arn: string
}

/**
 * Who the credentials belong to. When the configuration names an account, credentials for
 * any other account are refused before anything is changed.
 */
export async function callerIdentity(
  aws: Pick<Aws, 'sts' | 'settings'>,
  expectedAccount?: string,
): Promise<CallerIdentity> {
  const out = await aws.sts.getCallerIdentity({})
  const account = out.Account ?? ''
  if (expectedAccount && account !== expectedAccount) {
    throw new DjenvError(
      'AWS_AUTH',
      `The AWS credentials are for account ${account}, but the configuration names account ${expectedAccount}.`,
      aws.settings.profile
        ? `Profile ${aws.settings.profile} points at the wrong account: pass --profile for ${expectedAccount}.`
        : `Pass --profile for account ${expectedAccount}.`,
    )
  }
  return { account, arn: out.Arn ?? '' }
}
