import { describe, expect, it } from 'vitest'

import { placeholderBaseAttributes } from '../../src/infra/index.js'
import {
  resolveAdhocAppSettings,
  resolveBaseSettings,
  resolveCdnCertificateSettings,
  resolveProdAppSettings,
} from '../../src/infra/settings.js'
import { ACCOUNT, CDN_CERTIFICATE_ARN, SHOP_TAGS, leanConfig, shopConfig } from './helpers.js'

const config = shopConfig()
const adhocBase = placeholderBaseAttributes(config, { kind: 'adhoc' }, ACCOUNT)
const prodBase = placeholderBaseAttributes(config, { kind: 'prod', name: 'prod' }, ACCOUNT)
const adhoc = {
  config,
  account: ACCOUNT,
  env: 'pr-42',
  listenerPriority: 1230,
  base: adhocBase,
  imageTags: SHOP_TAGS,
  desiredCounts: { web: 0, worker: 0, beat: 0 },
  secrets: [],
}
const prod = {
  config,
  account: ACCOUNT,
  prodEnv: 'prod',
  base: prodBase,
  imageTags: SHOP_TAGS,
  desiredCounts: { beat: 0 },
  secrets: [],
}

describe('resolveBaseSettings', () => {
  it('applies the ad hoc defaults', () => {
    const s = resolveBaseSettings(
      shopConfig({ adhoc: { redis: true } }),
      { kind: 'adhoc' },
      ACCOUNT,
      CDN_CERTIFICATE_ARN,
    )

    expect(s).toMatchObject({
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      vpcCidr: '10.0.0.0/16',
      nat: 'instance',
      dualStack: false,
      protect: false,
      redisNodes: 1,
      bastion: true,
      database: {
        instanceClass: 'db.t4g.micro',
        engineMajor: '17',
        backupRetentionDays: 1,
        deletionProtection: false,
      },
    })
  })

  it('applies the production defaults', () => {
    const s = resolveBaseSettings(
      shopConfig({ production: { live: { redis: true } } }),
      { kind: 'prod', name: 'live' },
      ACCOUNT,
      CDN_CERTIFICATE_ARN,
    )

    expect(s).toMatchObject({
      nat: 'gateway',
      dualStack: true,
      protect: true,
      redisNodes: 2,
      database: {
        instanceClass: 'db.t4g.small',
        backupRetentionDays: 14,
        deletionProtection: true,
        multiAz: false,
      },
    })
  })

  it('adds hostnames the wildcard cannot cover to a created certificate', () => {
    const s = resolveBaseSettings(
      shopConfig({
        production: { prod: { hostnames: ['shop.example.com', 'api.eu.shop.example.com'] } },
      }),
      { kind: 'prod', name: 'prod' },
      ACCOUNT,
      CDN_CERTIFICATE_ARN,
    )

    expect(s.certificate).toEqual({
      kind: 'created',
      domainName: '*.shop.example.com',
      alternativeNames: ['shop.example.com', 'api.eu.shop.example.com'],
    })
  })

  it.each([
    [
      { adhoc: { vpcCidr: '10.0.0.0/19' } },
      { kind: 'adhoc' } as const,
      /adhoc\.vpcCidr: 10\.0\.0\.0\/19 is too small/,
    ],
    [
      { adhoc: { database: { multiAz: true } } },
      { kind: 'adhoc' } as const,
      /adhoc\.database\.multiAz/,
    ],
    [
      { production: { prod: { database: { backupRetentionDays: 3 } } } },
      { kind: 'prod', name: 'prod' } as const,
      /production\.prod\.database\.backupRetentionDays: 3 days is too short/,
    ],
    [
      { production: { prod: { hostnames: ['shop.example.org'] } } },
      { kind: 'prod', name: 'prod' } as const,
      /shop\.example\.org is not in the domain shop\.example\.com/,
    ],
  ])('refuses %j as a configuration error', (changes, ref, message) => {
    const run = () => resolveBaseSettings(shopConfig(changes), ref, ACCOUNT)

    expect(run).toThrow(message)
    expect(run).toThrow(expect.objectContaining({ djenvCode: 'CONFIG_INVALID' }))
  })

  it('refuses three zones in a range that fits only two', () => {
    const lean = leanConfig()
    const run = () =>
      resolveBaseSettings(
        { ...lean, adhoc: { ...lean.adhoc, vpcCidr: '10.8.0.0/18' } },
        { kind: 'adhoc' },
        ACCOUNT,
      )

    expect(run).toThrow(/too small for 3 zones/)
  })

  it('refuses an account other than the configured one, and a malformed one', () => {
    expect(() => resolveBaseSettings(config, { kind: 'adhoc' }, '210987654321')).toThrow(
      expect.objectContaining({
        djenvCode: 'CONFIG_INVALID',
        message: expect.stringContaining('123456789012'),
      }),
    )
    expect(() => resolveBaseSettings(config, { kind: 'adhoc' }, '1234')).toThrow(
      expect.objectContaining({ djenvCode: 'USAGE' }),
    )
  })

  it('refuses a production env the configuration does not define', () => {
    expect(() => resolveBaseSettings(config, { kind: 'prod', name: 'staging' }, ACCOUNT)).toThrow(
      expect.objectContaining({
        djenvCode: 'ENV_NOT_FOUND',
        hint: 'Configured production environments: prod.',
      }),
    )
  })
})

describe('CDN settings of a base', () => {
  const east = { region: 'us-east-1', availabilityZones: ['us-east-1a', 'us-east-1b'] }
  const OTHER_ARN =
    'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d'
  const PROD_ARN =
    'arn:aws:acm:us-east-1:123456789012:certificate/9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0'

  it('gives a base outside us-east-1 a certificate stack there, whose ARN the base then needs', () => {
    const needs = resolveCdnCertificateSettings(config, { kind: 'adhoc' }, ACCOUNT)
    const run = () => resolveBaseSettings(config, { kind: 'adhoc' }, ACCOUNT)

    expect(needs).toMatchObject({
      target: { account: ACCOUNT, region: 'us-east-1' },
      host: 'static.shop.example.com',
      domain: 'shop.example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      names: { cdnCertificateStack: 'shop-dev-static' },
    })
    expect(run).toThrow(/shop-dev needs the ARN of its CDN certificate \(stack shop-dev-static\)/)
    expect(
      resolveBaseSettings(config, { kind: 'adhoc' }, ACCOUNT, CDN_CERTIFICATE_ARN).cdn,
    ).toEqual({
      host: 'static.shop.example.com',
      certificate: { kind: 'imported', arn: CDN_CERTIFICATE_ARN },
      media: 'cdn',
    })
  })

  it('takes a configured certificate and needs no stack; a production env its own first', () => {
    const c = shopConfig({
      static: { certificateArn: OTHER_ARN, media: 'signed' },
      production: { prod: { static: { certificateArn: PROD_ARN } } },
    })
    const prodRef = { kind: 'prod', name: 'prod' } as const

    expect(resolveCdnCertificateSettings(c, { kind: 'adhoc' }, ACCOUNT)).toBeUndefined()
    expect(resolveCdnCertificateSettings(c, prodRef, ACCOUNT)).toBeUndefined()
    expect(resolveBaseSettings(c, { kind: 'adhoc' }, ACCOUNT).cdn).toEqual({
      host: 'static.shop.example.com',
      certificate: { kind: 'imported', arn: OTHER_ARN },
      media: 'signed',
    })
    expect(resolveBaseSettings(c, prodRef, ACCOUNT).cdn).toEqual({
      host: 'static-prod.shop.example.com',
      certificate: { kind: 'imported', arn: PROD_ARN },
      media: 'signed',
    })
  })

  it("uses the base's own certificate in us-east-1, the configured one when the base imports it", () => {
    const created = shopConfig(east)
    const imported = shopConfig({ ...east, certificateArn: OTHER_ARN })

    expect(resolveCdnCertificateSettings(created, { kind: 'adhoc' }, ACCOUNT)).toBeUndefined()
    expect(resolveBaseSettings(created, { kind: 'adhoc' }, ACCOUNT).cdn?.certificate).toEqual({
      kind: 'base',
    })
    expect(resolveBaseSettings(imported, { kind: 'adhoc' }, ACCOUNT).cdn?.certificate).toEqual({
      kind: 'imported',
      arn: OTHER_ARN,
    })
  })

  it('has no CDN and needs no certificate with static.cdn: false', () => {
    const off = shopConfig({ static: { cdn: false } })

    expect(resolveCdnCertificateSettings(off, { kind: 'adhoc' }, ACCOUNT)).toBeUndefined()
    expect(resolveBaseSettings(off, { kind: 'adhoc' }, ACCOUNT).cdn).toBeUndefined()
  })
})

describe('resolveAdhocAppSettings', () => {
  it('completes a partial task size with the smallest Fargate size that fits', () => {
    const s = resolveAdhocAppSettings({
      ...adhoc,
      config: shopConfig({
        services: {
          ...config.services,
          web: { ...config.services.web, cpu: 1024 },
          worker: { command: 'celery', memory: 4096 },
        },
      }),
    })

    expect(s.services.find((p) => p.name === 'web')?.size).toEqual({ cpu: 1024, memory: 2048 })
    expect(s.services.find((p) => p.name === 'worker')?.size).toEqual({ cpu: 512, memory: 4096 })
    expect(s.migrate.size).toEqual({ cpu: 1024, memory: 2048 })
  })

  it.each([
    [{ env: 'Bad_Name' }, 'NAME_INVALID', /Bad_Name/],
    [{ env: 'prod' }, 'NAME_INVALID', /production environment/],
    [{ listenerPriority: 0 }, 'USAGE', /priority 0/],
    [{ listenerPriority: 50001 }, 'USAGE', /priority 50001/],
    [{ imageTags: { ...SHOP_TAGS, migrate: undefined } }, 'USAGE', /No image tag for migrate/],
    [
      { imageTags: { ...SHOP_TAGS, web: 'latest' } },
      'USAGE',
      /"latest" is not a usable image tag for web/,
    ],
    [{ imageTags: { ...SHOP_TAGS, web: 'no spaces' } }, 'USAGE', /"no spaces"/],
    [{ desiredCounts: { web: 0, worker: 0 } }, 'USAGE', /No desired count for beat/],
    [{ desiredCounts: { web: 0, worker: 0, beat: 2 } }, 'USAGE', /Desired count 2 for beat/],
    [{ desiredCounts: { web: -1, worker: 0, beat: 0 } }, 'USAGE', /Desired count -1 for web/],
    [{ base: prodBase }, 'USAGE', /would run on a production base, but it is an ad hoc env/],
  ])('refuses %j', (change, djenvCode, message) => {
    const run = () => resolveAdhocAppSettings({ ...adhoc, ...change } as typeof adhoc)

    expect(run).toThrow(message)
    expect(run).toThrow(expect.objectContaining({ djenvCode }))
  })

  it('refuses tags and counts for services the configuration does not define', () => {
    const lean = leanConfig()
    const base = placeholderBaseAttributes(lean, { kind: 'adhoc' }, ACCOUNT)
    const input = {
      config: lean,
      account: ACCOUNT,
      env: 'pr-1',
      listenerPriority: 1000,
      base,
      secrets: [],
    }

    expect(() =>
      resolveAdhocAppSettings({
        ...input,
        imageTags: { web: 'a', migrate: 'a', worker: 'a' },
        desiredCounts: { web: 0 },
      }),
    ).toThrow(/image tag was given for worker/)
    expect(() =>
      resolveAdhocAppSettings({
        ...input,
        imageTags: { web: 'a', migrate: 'a' },
        desiredCounts: { web: 0, beat: 0 },
      }),
    ).toThrow(/desired count was given for beat/)
  })

  it('refuses a configured size Fargate does not offer', () => {
    const bad = shopConfig({
      services: {
        ...config.services,
        web: { ...config.services.web, memory: 512, cpu: undefined },
      },
    })
    const run = () =>
      resolveAdhocAppSettings({
        ...adhoc,
        config: { ...bad, services: { ...bad.services, web: { ...bad.services.web, cpu: 2048 } } },
      })

    expect(run).toThrow(/services\.web: Fargate does not offer 512 MiB with 2048 CPU units/)
  })
})

describe('app settings: container environment and secrets', () => {
  it('merges the plain settings of the configuration, the ad hoc block winning', () => {
    const s = resolveAdhocAppSettings({
      ...adhoc,
      config: shopConfig({
        environment: { LOG_LEVEL: 'INFO', FEATURE_X: 'off' },
        adhoc: { environment: { FEATURE_X: 'on' } },
      }),
    })

    expect(s.environment).toEqual({ FEATURE_X: 'on', LOG_LEVEL: 'INFO' })
  })

  it('takes a production env its own block, not the ad hoc one', () => {
    const s = resolveProdAppSettings({
      ...prod,
      config: shopConfig({
        environment: { FEATURE_X: 'off' },
        adhoc: { environment: { FEATURE_X: 'on' } },
        production: { prod: { environment: { ONLY_PROD: '1' } } },
      }),
    })

    expect(s.environment).toEqual({ FEATURE_X: 'off', ONLY_PROD: '1' })
  })

  it("injects SECRET_KEY from the env's own path first, then the user's secrets by name, the env's own winning", () => {
    const s = resolveAdhocAppSettings({
      ...adhoc,
      secrets: [
        { name: 'STRIPE_API_KEY', from: 'base' },
        { name: 'SENTRY_DSN', from: 'base' },
        { name: 'SENTRY_DSN', from: 'env' },
        { name: 'SECRET_KEY', from: 'base' },
      ],
    })

    expect(s.secrets).toEqual([
      {
        name: 'SECRET_KEY',
        from: 'env',
        parameterName: '/djenv/shop/pr-42/secrets/SECRET_KEY',
      },
      { name: 'SENTRY_DSN', from: 'env', parameterName: '/djenv/shop/pr-42/secrets/SENTRY_DSN' },
      {
        name: 'STRIPE_API_KEY',
        from: 'base',
        parameterName: '/djenv/shop/dev/secrets/STRIPE_API_KEY',
      },
    ])
    expect(s.secretPaths).toEqual(['/djenv/shop/pr-42/secrets', '/djenv/shop/dev/secrets'])
  })

  it("reads a production env's secrets from one path: its base is its own", () => {
    const s = resolveProdAppSettings(prod)

    expect(s.secretPaths).toEqual(['/djenv/shop/prod/secrets'])
  })

  it.each([
    [{ name: 'POSTGRES_PASSWORD', from: 'env' }, /POSTGRES_PASSWORD, which djenv sets itself/],
    [{ name: 'DJENV_TOKEN', from: 'base' }, /DJENV_ prefix/],
    [{ name: 'STRIPE_MODE', from: 'env' }, /plain setting adhoc\.environment\.STRIPE_MODE/],
    [{ name: 'bad-name', from: 'env' }, /not a variable name/],
  ] as const)('refuses the secret %j, naming both sides', (ref, message) => {
    const run = () => resolveAdhocAppSettings({ ...adhoc, secrets: [ref] })

    expect(run).toThrow(message)
    expect(run).toThrow(expect.objectContaining({ djenvCode: 'CONFIG_INVALID' }))
  })
})

describe('resolveProdAppSettings', () => {
  it('omits the count of autoscaled services unless one is given', () => {
    const later = resolveProdAppSettings(prod)
    const first = resolveProdAppSettings({ ...prod, desiredCounts: { web: 0, worker: 0, beat: 0 } })

    expect(later.services.map((s) => [s.name, s.desiredCount])).toEqual([
      ['web', undefined],
      ['worker', undefined],
      ['beat', 0],
    ])
    expect(first.services.map((s) => s.desiredCount)).toEqual([0, 0, 0])
  })

  it('scales between 2 and at least 4 tasks when the configuration gives no bounds', () => {
    const s = resolveProdAppSettings({
      ...prod,
      config: shopConfig({ production: { prod: { web: { min: 5 } } } }),
    })

    expect(s.services.find((p) => p.name === 'web')?.autoscaling).toEqual({ min: 5, max: 5 })
    expect(s.services.find((p) => p.name === 'worker')?.autoscaling).toEqual({ min: 2, max: 4 })
    expect(s.services.find((p) => p.name === 'beat')?.autoscaling).toBeUndefined()
  })

  it('needs a count for beat, which never autoscales', () => {
    expect(() => resolveProdAppSettings({ ...prod, desiredCounts: {} })).toThrow(
      /No desired count for beat/,
    )
  })

  it('refuses an ad hoc base and more than five hostnames', () => {
    const hosts = ['a', 'b', 'c', 'd', 'e', 'f'].map((h) => `${h}.shop.example.com`)

    expect(() => resolveProdAppSettings({ ...prod, base: adhocBase })).toThrow(
      /would run on an ad hoc base, but it is a production env/,
    )
    expect(() =>
      resolveProdAppSettings({
        ...prod,
        config: shopConfig({ production: { prod: { hostnames: hosts } } }),
      }),
    ).toThrow(/has 6 entries; the limit is 5/)
  })
})
