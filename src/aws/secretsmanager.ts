import { DjenvError } from '../core/errors.js'
import type { SecretsManagerApi } from './clients.js'
import { mapAwsError } from './errors.js'

/** One key of a JSON secret (RDS master secrets hold `username`, `password`, …). */
export async function secretJsonValue(
  sm: SecretsManagerApi,
  secretId: string,
  key: string,
  region: string,
): Promise<string> {
  const out = await sm.getSecretValue({ SecretId: secretId }).catch((err: unknown) => {
    throw mapAwsError(err, { action: 'secretsmanager:GetSecretValue', region })
  })
  let value: unknown
  try {
    value = (JSON.parse(out.SecretString ?? '') as Record<string, unknown>)[key]
  } catch {
    value = undefined
  }
  if (typeof value !== 'string') {
    throw new DjenvError(
      'AWS_FAILED',
      `Secret ${secretId} has no JSON key ${key}.`,
      'It should be the database master secret the base created; check the base stack outputs.',
    )
  }
  return value
}
