import { describe, expect, it } from 'vitest'

import { validateConfig } from '../../src/config/load.js'
import { configuredEnvironment, effectiveSecrets } from '../../src/config/environment.js'
import { MINIMAL_CONFIG } from '../support/tmp.js'

const valid = (patch: Record<string, unknown>) =>
  validateConfig({ ...MINIMAL_CONFIG, ...patch }, 'djenv.yml')

describe('environment and secrets in the configuration', () => {
  it('accepts plain settings for all envs, ad hoc envs and one production env, and secret names', () => {
    const config = valid({
      environment: { LOG_LEVEL: 'INFO', _PRIVATE: 'x' },
      adhoc: { environment: { FEATURE_X: 'on' } },
      production: { prod: { environment: { FEATURE_X: 'off' } } },
      secrets: {
        names: ['STRIPE_API_KEY', 'SECRET_KEY'],
        kmsKey: 'mrk-0123456789abcdef0123456789abcdef',
      },
    })

    expect(config.environment).toEqual({ LOG_LEVEL: 'INFO', _PRIVATE: 'x' })
    expect(config.adhoc.environment).toEqual({ FEATURE_X: 'on' })
    expect(config.production.prod?.environment).toEqual({ FEATURE_X: 'off' })
    expect(config.secrets).toEqual({
      names: ['STRIPE_API_KEY', 'SECRET_KEY'],
      kmsKey: 'mrk-0123456789abcdef0123456789abcdef',
    })
  })

  it('defaults to no settings and no secrets', () => {
    const config = valid({})

    expect(config.environment).toEqual({})
    expect(config.adhoc.environment).toEqual({})
    expect(config.secrets).toEqual({ names: [] })
  })

  it.each([
    [
      'a variable djenv sets, naming both',
      { environment: { DJANGO_SETTINGS_MODULE: 'x' } },
      'environment.DJANGO_SETTINGS_MODULE: clashes with DJANGO_SETTINGS_MODULE, which djenv sets itself (django.settingsModule)',
    ],
    [
      'a DJENV_ name in the ad hoc block',
      { adhoc: { environment: { DJENV_ANYTHING: 'x' } } },
      "adhoc.environment.DJENV_ANYTHING: clashes with the DJENV_ prefix, reserved for djenv's own variables",
    ],
    [
      "a production env's clash",
      { production: { prod: { environment: { S3_BUCKET_NAME: 'x' } } } },
      'production.prod.environment.S3_BUCKET_NAME: clashes with S3_BUCKET_NAME, which djenv sets itself',
    ],
    [
      'the secret key as a plain value',
      { environment: { SECRET_KEY: 'plain-text-key' } },
      'environment.SECRET_KEY: clashes with SECRET_KEY, which djenv sets itself',
    ],
    [
      'a name that is no variable name',
      { environment: { 'FEATURE-X': 'on' } },
      'environment.FEATURE-X: "FEATURE-X" is not a variable name',
    ],
    [
      'a value that is not a string',
      { environment: { WORKERS: 4 } },
      'environment.WORKERS: expected string, got number',
    ],
    [
      'a name both plain and secret',
      { environment: { SENTRY_DSN: 'x' }, secrets: { names: ['SENTRY_DSN'] } },
      'environment.SENTRY_DSN: SENTRY_DSN is also listed in secrets.names',
    ],
    [
      'a secret djenv sets itself',
      { secrets: { names: ['POSTGRES_PASSWORD'] } },
      'secrets.names.0: POSTGRES_PASSWORD clashes with POSTGRES_PASSWORD, which djenv sets itself',
    ],
    [
      'a KMS alias',
      { secrets: { kmsKey: 'alias/djenv' } },
      'secrets.kmsKey: expected a KMS key id or key ARN (an alias cannot be granted to the tasks)',
    ],
  ])('refuses %s (exit 2)', (_label, patch, message) => {
    const run = () => valid(patch)

    expect(run).toThrow(
      expect.objectContaining({
        djenvCode: 'CONFIG_INVALID',
        oclif: expect.objectContaining({ exit: 2 }),
      }),
    )
    expect(run).toThrow(message)
  })
})

describe('configuredEnvironment', () => {
  const config = valid({
    environment: { A: '1', B: '1' },
    adhoc: { environment: { B: 'adhoc' } },
    production: { prod: { environment: { B: 'prod' } } },
  })

  it("merges the top-level settings with the env's own block, which wins, and says where each came from", () => {
    expect(configuredEnvironment(config, { name: 'pr-1', kind: 'adhoc' })).toEqual({
      values: { A: '1', B: 'adhoc' },
      keys: { A: 'environment.A', B: 'adhoc.environment.B' },
    })
    expect(configuredEnvironment(config, { name: 'prod', kind: 'prod' }).values).toEqual({
      A: '1',
      B: 'prod',
    })
  })
})

describe('effectiveSecrets', () => {
  it("keeps one secret per name, the env's own whichever comes first", () => {
    expect(
      effectiveSecrets([
        { name: 'B', from: 'env' },
        { name: 'A', from: 'base' },
        { name: 'B', from: 'base' },
        { name: 'A', from: 'env' },
      ]),
    ).toEqual([
      { name: 'A', from: 'env' },
      { name: 'B', from: 'env' },
    ])
  })
})
