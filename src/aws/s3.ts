import type { S3Api } from './clients.js'
import { mapAwsError } from './errors.js'

/** Deletes every object under `prefix` (the whole bucket with ''), 1000 per call; returns how many. */
export async function deletePrefix(
  s3: S3Api,
  bucket: string,
  prefix: string,
  region: string,
): Promise<number> {
  let deleted = 0
  let token: string | undefined
  do {
    const page = await s3
      .listObjectsV2({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })
      .catch((err: unknown) => {
        if ((err as { name?: string }).name === 'NoSuchBucket')
          return { Contents: [], NextContinuationToken: undefined }
        throw mapAwsError(err, { action: 's3:ListObjectsV2', region })
      })
    const keys = (page.Contents ?? [])
      .map((o) => ({ Key: o.Key ?? '' }))
      .filter((k) => k.Key !== '')
    if (keys.length > 0) {
      await s3
        .deleteObjects({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } })
        .catch((err: unknown) => {
          throw mapAwsError(err, { action: 's3:DeleteObjects', region })
        })
      deleted += keys.length
    }
    token = page.NextContinuationToken
  } while (token)
  return deleted
}
