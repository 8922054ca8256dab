import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  S3Client,
  type ListObjectsV2CommandInput,
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'

import { createAws } from '../../src/aws/clients.js'
import { deletePrefix, deletePrefixes } from '../../src/aws/s3.js'

const s3 = mockClient(S3Client)
const BUCKET = 'shop-dev-assetsbucket0123456789ab'
const REGION = 'eu-west-1'

/**
 * A bucket holding `keys`, listed two keys a page (so pagination is exercised); as in S3, a
 * continuation token resumes after the last key listed, whatever was deleted since.
 */
function givenBucket(keys: string[]) {
  const objects = new Set(keys)
  s3.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => {
    const after = input.ContinuationToken ?? ''
    const matching = [...objects]
      .filter((k) => k.startsWith(input.Prefix ?? '') && k > after)
      .sort()
    const page = matching.slice(0, 2)
    return {
      Contents: page.map((Key) => ({ Key })),
      NextContinuationToken: matching.length > 2 ? page.at(-1) : undefined,
    }
  })
  s3.on(DeleteObjectsCommand).callsFake((input: { Delete?: { Objects?: { Key?: string }[] } }) => {
    for (const o of input.Delete?.Objects ?? []) objects.delete(o.Key ?? '')
    return {}
  })
  return objects
}

beforeEach(() => {
  s3.reset()
  s3.onAnyCommand().rejects(new Error('unexpected AWS call'))
})

describe('deletePrefixes', () => {
  it('deletes every object under each prefix, page by page, and nothing else', async () => {
    const objects = givenBucket([
      'pr-4/static/app.css',
      'pr-4/static/app.js',
      'pr-4/static/admin/base.css',
      'pr-4/media/avatar.png',
      'pr-42/static/app.css',
      'pr-4/static-old/app.css',
    ])

    const result = await deletePrefixes(
      createAws({ region: REGION }).s3,
      BUCKET,
      ['pr-4/static/', 'pr-4/media/'],
      REGION,
    )

    expect(result).toEqual({ deleted: 4, bucketMissing: false })
    expect([...objects].sort()).toEqual(['pr-4/static-old/app.css', 'pr-42/static/app.css'])
    expect(s3).toHaveReceivedCommandTimes(DeleteObjectsCommand, 3)
    expect(s3).toHaveReceivedCommandWith(DeleteObjectsCommand, {
      Bucket: BUCKET,
      Delete: { Objects: [{ Key: 'pr-4/media/avatar.png' }], Quiet: true },
    })
  })

  it('reports a missing bucket instead of failing', async () => {
    s3.on(ListObjectsV2Command).rejects(
      new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} }),
    )

    const result = await deletePrefixes(createAws({ region: REGION }).s3, BUCKET, ['a/'], REGION)

    expect(result).toEqual({ deleted: 0, bucketMissing: true })
    expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand)
  })

  it('fails when S3 refuses some keys, though DeleteObjects answered 200', async () => {
    givenBucket(['a/1', 'a/2'])
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'a/2', Code: 'AccessDenied', Message: 'Access Denied' }],
    })

    const run = deletePrefixes(createAws({ region: REGION }).s3, BUCKET, ['a/'], REGION)

    await expect(run).rejects.toMatchObject({
      djenvCode: 'AWS_ACCESS_DENIED',
      message: expect.stringContaining('a/2'),
    })
  })
})

describe('deletePrefix', () => {
  it('empties the whole bucket with an empty prefix and returns the count', async () => {
    const objects = givenBucket(['a/1', 'b/2', 'c'])

    const deleted = await deletePrefix(createAws({ region: REGION }).s3, BUCKET, '', REGION)

    expect(deleted).toBe(3)
    expect(objects.size).toBe(0)
  })
})
