import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'

import { createAws, sdkConfig } from '../../src/aws/clients.js'
import { callerIdentity } from '../../src/aws/identity.js'

const sts = mockClient(STSClient)

beforeEach(() => {
  sts.reset()
  sts.onAnyCommand().rejects(new Error('unexpected AWS call'))
})

function sdkError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })
}

describe('createAws', () => {
  it('sends through the SDK client and returns its answer', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/dev' })
    const aws = createAws({ region: 'eu-west-1' })

    const who = await callerIdentity(aws, '123456789012')

    expect(who).toEqual({ account: '123456789012', arn: 'arn:aws:iam::123456789012:user/dev' })
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1)
  })

  it('refuses credentials for another account than the configuration names', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/dev' })
    const aws = createAws({ region: 'eu-west-1', profile: 'shop-dev' })

    await expect(callerIdentity(aws, '123456789012')).rejects.toMatchObject({
      djenvCode: 'AWS_AUTH',
      message: expect.stringContaining('account 999999999999'),
      hint: expect.stringContaining('Profile shop-dev'),
    })
  })

  it.each([
    [
      'CredentialsProviderError',
      'Could not load credentials from any providers',
      'AWS_AUTH',
      /No AWS credentials found for profile shop-dev/,
      /aws sso login --profile shop-dev/,
    ],
    [
      'ExpiredTokenException',
      'The security token included in the request is expired',
      'AWS_AUTH',
      /has expired/,
      /aws sso login --profile shop-dev/,
    ],
    [
      'CredentialsProviderError',
      'The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login',
      'AWS_AUTH',
      /has expired/,
      /aws sso login --profile shop-dev/,
    ],
    [
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
      'AWS_AUTH',
      /rejected the credentials/,
      /aws sso login/,
    ],
    [
      'AccessDenied',
      'User arn:aws:iam::1:user/x is not authorized to perform: sts:GetCallerIdentity',
      'AWS_ACCESS_DENIED',
      /AWS denied sts:GetCallerIdentity in eu-west-1/,
      /--profile/,
    ],
  ])(
    'maps %s (%s) to %s with a hint that says how to fix it',
    async (name, message, code, text, hint) => {
      sts.on(GetCallerIdentityCommand).rejects(sdkError(name, message))
      const aws = createAws({ region: 'eu-west-1', profile: 'shop-dev' })

      const run = aws.sts.getCallerIdentity({})

      await expect(run).rejects.toMatchObject({
        djenvCode: code,
        message: expect.stringMatching(text),
        hint: expect.stringMatching(hint),
      })
    },
  )

  it('passes other AWS errors through untouched for the operation to handle', async () => {
    const original = sdkError('ValidationError', 'Stack with id shop-dev does not exist')
    sts.on(GetCallerIdentityCommand).rejects(original)

    await expect(createAws({ region: 'eu-west-1' }).sts.getCallerIdentity({})).rejects.toBe(
      original,
    )
  })

  it('turns off host prefixes for a custom endpoint and passes test overrides', () => {
    expect(sdkConfig({ region: 'eu-west-1' }, {}, {})).toEqual({ region: 'eu-west-1' })
    expect(
      sdkConfig(
        { region: 'eu-west-1', profile: 'p' },
        { maxAttempts: 1 },
        { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' },
      ),
    ).toEqual({
      region: 'eu-west-1',
      profile: 'p',
      disableHostPrefix: true,
      maxAttempts: 1,
    })
  })
})
