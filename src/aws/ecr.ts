import type { EcrApi } from './clients.js'
import { mapAwsError } from './errors.js'

/** Whether `repository:tag` exists; a missing repository counts as a missing image. */
export async function imageExists(
  ecr: EcrApi,
  repository: string,
  tag: string,
  region: string,
): Promise<boolean> {
  try {
    const out = await ecr.describeImages({
      repositoryName: repository,
      imageIds: [{ imageTag: tag }],
    })
    return (out.imageDetails ?? []).length > 0
  } catch (err) {
    const name = (err as { name?: string }).name
    if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') return false
    throw mapAwsError(err, { action: 'ecr:DescribeImages', region })
  }
}
