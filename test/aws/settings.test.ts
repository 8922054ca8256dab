import { describe, expect, it } from 'vitest'

import { resolveAwsSettings } from '../../src/aws/settings.js'

describe('resolveAwsSettings', () => {
  it.each([
    [
      '--region wins',
      { region: 'us-west-2' },
      { region: 'eu-west-1' },
      { AWS_REGION: 'ap-south-1' },
      'us-west-2',
    ],
    [
      'the configuration comes next',
      {},
      { region: 'eu-west-1' },
      { AWS_REGION: 'ap-south-1' },
      'eu-west-1',
    ],
    [
      'then AWS_REGION',
      {},
      undefined,
      { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'sa-east-1' },
      'ap-south-1',
    ],
    ['then AWS_DEFAULT_REGION', {}, undefined, { AWS_DEFAULT_REGION: 'sa-east-1' }, 'sa-east-1'],
  ])('region: %s', (_label, flags, config, env, region) => {
    expect(resolveAwsSettings({ flags, config, env }).region).toBe(region)
  })

  it.each([
    ['--profile wins', { profile: 'flag' }, { AWS_PROFILE: 'env' }, 'flag'],
    ['then AWS_PROFILE', {}, { AWS_PROFILE: 'env' }, 'env'],
    ['then the configuration', {}, {}, 'config'],
    [
      'but not when CI has credentials in the environment',
      {},
      { AWS_ACCESS_KEY_ID: 'AKID' },
      undefined,
    ],
    [
      'nor with GitHub OIDC web identity',
      {},
      { AWS_WEB_IDENTITY_TOKEN_FILE: '/tmp/token' },
      undefined,
    ],
  ])('profile: %s', (_label, flags, env, profile) => {
    expect(
      resolveAwsSettings({ flags, config: { region: 'eu-west-1', profile: 'config' }, env })
        .profile,
    ).toBe(profile)
  })

  it('exits 2 naming the ways to set a region when there is none', () => {
    expect(() => resolveAwsSettings({ flags: {}, env: {} })).toThrow(
      expect.objectContaining({
        djenvCode: 'REGION_MISSING',
        hint: expect.stringContaining('--region'),
      }),
    )
  })
})
