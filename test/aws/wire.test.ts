import { describe, expect, it } from 'vitest'

import { createAws } from '../../src/aws/clients.js'
import { callerIdentity } from '../../src/aws/identity.js'
import { replay } from '../support/replay.js'

// No mocks here: the SDK's own serializers, deserializers and credential chain run.
describe('createAws over the wire (replayed responses)', () => {
  it('reports a profile missing from ~/.aws/config as missing credentials', async () => {
    const aws = createAws({ region: 'eu-west-1', profile: 'nowhere' }, { maxAttempts: 1 })

    await expect(aws.sts.getCallerIdentity({})).rejects.toMatchObject({
      djenvCode: 'AWS_AUTH',
      message: 'No AWS credentials found for profile nowhere.',
    })
  })

  it('parses a real STS XML answer', async () => {
    const body = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/dev</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
    const handler = replay({
      GetCallerIdentity: [{ status: 200, headers: { 'content-type': 'text/xml' }, body }],
    })
    const aws = createAws({ region: 'eu-west-1' }, { requestHandler: handler, maxAttempts: 1 })

    expect(await callerIdentity(aws)).toEqual({
      account: '123456789012',
      arn: 'arn:aws:iam::123456789012:user/dev',
    })
  })

  it('maps a real ExpiredToken error response', async () => {
    const body = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error><RequestId>1</RequestId></ErrorResponse>`
    const handler = replay({
      GetCallerIdentity: [{ status: 403, headers: { 'content-type': 'text/xml' }, body }],
    })
    const aws = createAws({ region: 'eu-west-1' }, { requestHandler: handler, maxAttempts: 1 })

    await expect(aws.sts.getCallerIdentity({})).rejects.toMatchObject({
      djenvCode: 'AWS_AUTH',
      message: 'The AWS session of the default AWS credentials has expired.',
    })
  })
})
