import { DjenvError } from '../core/errors.js'
import type { S3Api } from './clients.js'
import { mapAwsError } from './errors.js'

/** What {@link deletePrefixes} removed. */
export interface PrefixesDeleted {
  /** Objects deleted, over all prefixes. */
  deleted: number
  /** The bucket does not exist (nothing to delete; not an error). */
  bucketMissing: boolean
}

/** Deletes every object under `prefix` (the whole bucket with ''), 1000 per call; returns how many. */
export async function deletePrefix(
  s3: S3Api,
  bucket: string,
  prefix: string,
  region: string,
): Promise<number> {
  return (await deletePrefixes(s3, bucket, [prefix], region)).deleted
}

/**
 * Deletes every object under each prefix, 1000 per call. A prefix is matched as a plain string,
 * so pass `pr-4/static/` (with the slash), or `pr-4/static` also takes `pr-4/static-old/…`. A
 * missing bucket is reported, not thrown, so a cleanup can be run again after its bucket went.
 */
export async function deletePrefixes(
  s3: S3Api,
  bucket: string,
  prefixes: readonly string[],
  region: string,
): Promise<PrefixesDeleted> {
  let deleted = 0
  for (const prefix of prefixes) {
    let token: string | undefined
    do {
      let page
      try {
        page = await s3.listObjectsV2({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchBucket')
          return { deleted, bucketMissing: true }
        throw mapAwsError(err, { action: 's3:ListObjectsV2', region })
      }
      const keys = (page.Contents ?? [])
        .map((o) => ({ Key: o.Key ?? '' }))
        .filter((k) => k.Key !== '')
      if (keys.length > 0) {
        const out = await s3
          .deleteObjects({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } })
          .catch((err: unknown) => {
            throw mapAwsError(err, { action: 's3:DeleteObjects', region })
          })
        // DeleteObjects answers 200 even when some keys were refused; quiet mode lists only those.
        const failed = out.Errors ?? []
        if (failed.length > 0) {
          const first = failed[0]
          throw new DjenvError(
            first?.Code === 'AccessDenied' ? 'AWS_ACCESS_DENIED' : 'AWS_FAILED',
            `s3:DeleteObjects failed in ${region} for ${failed.length} of ${keys.length} object(s) in bucket ${bucket}, e.g. ${first?.Key ?? '?'}: ${first?.Code ?? 'unknown'} ${first?.Message ?? ''}`.trimEnd(),
            'Run again once the cause is fixed; objects already deleted stay deleted.',
          )
        }
        deleted += keys.length
      }
      token = page.NextContinuationToken
    } while (token)
  }
  return { deleted, bucketMissing: false }
}
