import { DjenvError } from '../core/errors.js'

/** Where djenv's AWS calls go: region and, when one applies, the named profile. */
export interface AwsSettings {
  region: string
  profile?: string
}

export interface AwsSettingsInput {
  flags: { profile?: string; region?: string }
  config?: { region?: string; profile?: string }
  env: NodeJS.ProcessEnv
}

/**
 * Region: --region, then the configuration (the project's stacks live there), then
 * AWS_REGION / AWS_DEFAULT_REGION. Profile: --profile, then AWS_PROFILE, then the
 * configuration's profile — unless credentials already come from the environment (CI with
 * OIDC or keys), where a profile from the file would point at a missing ~/.aws entry.
 */
export function resolveAwsSettings(input: AwsSettingsInput): AwsSettings {
  const { flags, config, env } = input
  const region = flags.region ?? config?.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION
  if (!region) {
    throw new DjenvError(
      'REGION_MISSING',
      'No AWS region is set.',
      'Pass --region, set AWS_REGION, or add `region:` to djenv.yml.',
    )
  }
  const fromEnvironment = Boolean(
    env.AWS_ACCESS_KEY_ID ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
    env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
  )
  const profile =
    flags.profile ??
    (env.AWS_PROFILE || undefined) ??
    (fromEnvironment ? undefined : config?.profile)
  return profile ? { region, profile } : { region }
}

/** True when AWS_ENDPOINT_URL (or a per-service variant) points djenv at another endpoint. */
export function customEndpoint(env: NodeJS.ProcessEnv): boolean {
  return Object.keys(env).some((k) => k === 'AWS_ENDPOINT_URL' || k.startsWith('AWS_ENDPOINT_URL_'))
}
