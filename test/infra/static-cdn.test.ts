import type { Stack } from 'aws-cdk-lib'
import type { Template } from 'aws-cdk-lib/assertions'
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { BaseStack } from '../../src/infra/base-stack.js'
import {
  addAdhocBaseStack,
  addCdnCertificateStack,
  addProdBaseStack,
} from '../../src/infra/index.js'
import { resolveBaseSettings } from '../../src/infra/settings.js'
import {
  ACCOUNT,
  CDN_CERTIFICATE_ARN,
  only,
  resources,
  shopConfig,
  synthWithout,
  testApp,
  type TestApp,
} from './helpers.js'

interface Behaviour {
  PathPattern?: string
  ViewerProtocolPolicy: string
  AllowedMethods: string[]
  CachePolicyId: unknown
  Compress: boolean
  ResponseHeadersPolicyId: unknown
  TargetOriginId: string
}

interface DistributionConfig {
  Aliases: string[]
  DefaultCacheBehavior: Behaviour
  CacheBehaviors?: Behaviour[]
  Origins: Record<string, unknown>[]
  ViewerCertificate: Record<string, unknown>
  HttpVersion: string
  IPV6Enabled: boolean
  PriceClass: string
  Logging?: unknown
}

interface Statement {
  Effect: string
  Principal: unknown
  Action: string | string[]
  Resource: unknown
  Condition?: Record<string, Record<string, unknown>>
}

function distribution(template: Template): { logicalId: string; config: DistributionConfig } {
  const d = only(template, 'AWS::CloudFront::Distribution')
  return { logicalId: d.logicalId, config: d.Properties.DistributionConfig as DistributionConfig }
}

/** Statements of the assets bucket's policy whose principal is CloudFront. */
function cloudFrontStatements(template: Template): Statement[] {
  const policy = only(template, 'AWS::S3::BucketPolicy')
  return (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter(
    (st) => JSON.stringify(st.Principal) === '{"Service":"cloudfront.amazonaws.com"}',
  )
}

function records(template: Template): { name: unknown; type: unknown; target: string }[] {
  return Object.values(resources(template, 'AWS::Route53::RecordSet')).map((r) => ({
    name: r.Properties?.Name,
    type: r.Properties?.Type,
    target: JSON.stringify(r.Properties?.AliasTarget),
  }))
}

function outputs(template: Template): Record<string, unknown> {
  const all = template.toJSON().Outputs as Record<string, { Value: unknown }>
  return Object.fromEntries(Object.entries(all).map(([key, o]) => [key, o.Value]))
}

const adhoc = { kind: 'adhoc' } as const

describe('CDN of the ad hoc base, media through the CDN', () => {
  let t: TestApp
  let template: Template

  beforeAll(() => {
    t = testApp()
    const stack = addAdhocBaseStack(t.app, {
      config: shopConfig(),
      account: ACCOUNT,
      cdnCertificateArn: CDN_CERTIFICATE_ARN,
    })
    template = t.template(stack)
  })
  afterAll(() => t.cleanup())

  it('reads the private bucket through origin access control, never a legacy access identity', () => {
    const { config } = distribution(template)
    const oac = only(template, 'AWS::CloudFront::OriginAccessControl')

    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0)
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    })
    expect(config.Origins).toEqual([
      expect.objectContaining({
        DomainName: {
          'Fn::GetAtt': [expect.stringMatching(/^AssetsBucket/), 'RegionalDomainName'],
        },
        OriginAccessControlId: { 'Fn::GetAtt': [oac.logicalId, 'Id'] },
        S3OriginConfig: { OriginAccessIdentity: '' },
      }),
    ])
    const bucket = only(template, 'AWS::S3::Bucket').Properties
    expect(bucket.WebsiteConfiguration).toBeUndefined()
    expect(bucket.AccessControl).toBeUndefined()
  })

  it('lets this distribution alone read objects: the grant is conditioned on its ARN', () => {
    const { logicalId } = distribution(template)

    const statements = cloudFrontStatements(template)

    expect(statements).toHaveLength(1)
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 's3:GetObject' })
    expect(JSON.stringify(statements[0]?.Resource)).toMatch(/AssetsBucket.*"\/\*"/)
    const sourceArn = JSON.stringify(statements[0]?.Condition?.StringEquals?.['AWS:SourceArn'])
    expect(sourceArn).toContain(':cloudfront::')
    expect(sourceArn).toContain(`{"Ref":"${logicalId}"}`)
  })

  it('redirects every behaviour to HTTPS and allows only GET, HEAD and OPTIONS', () => {
    const { config } = distribution(template)
    const behaviours = [config.DefaultCacheBehavior, ...(config.CacheBehaviors ?? [])]

    expect(behaviours).toHaveLength(2)
    for (const b of behaviours) {
      expect(b.ViewerProtocolPolicy).toBe('redirect-to-https')
      expect(b.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS'])
    }
  })

  it('caches static files with the managed CachingOptimized policy, compressed, with CORS for env pages', () => {
    const { config } = distribution(template)

    expect(config.DefaultCacheBehavior).toMatchObject({
      CachePolicyId: cloudfront.CachePolicy.CACHING_OPTIMIZED.cachePolicyId,
      Compress: true,
      ResponseHeadersPolicyId:
        cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS.responseHeadersPolicyId,
    })
    expect(config.DefaultCacheBehavior.PathPattern).toBeUndefined()
  })

  it('serves every env media prefix for an hour by default and a day at most', () => {
    const { config } = distribution(template)
    const policy = only(template, 'AWS::CloudFront::CachePolicy')

    expect(config.CacheBehaviors).toEqual([
      expect.objectContaining({
        PathPattern: '*/media/*',
        CachePolicyId: { Ref: policy.logicalId },
        Compress: true,
        TargetOriginId: config.DefaultCacheBehavior.TargetOriginId,
      }),
    ])
    expect(policy.Properties.CachePolicyConfig).toMatchObject({
      DefaultTTL: 3600,
      MaxTTL: 86400,
      MinTTL: 0,
      ParametersInCacheKeyAndForwardedToOrigin: {
        EnableAcceptEncodingGzip: true,
        EnableAcceptEncodingBrotli: true,
        QueryStringsConfig: { QueryStringBehavior: 'none' },
        CookiesConfig: { CookieBehavior: 'none' },
        HeadersConfig: { HeaderBehavior: 'none' },
      },
    })
    expect(cloudFrontStatements(template).filter((st) => st.Effect === 'Deny')).toEqual([])
  })

  it('answers at static.<domain> with the us-east-1 certificate over TLS 1.2 (2021), SNI only', () => {
    const { config } = distribution(template)

    expect(config).toMatchObject({
      Aliases: ['static.shop.example.com'],
      ViewerCertificate: {
        AcmCertificateArn: CDN_CERTIFICATE_ARN,
        MinimumProtocolVersion: 'TLSv1.2_2021',
        SslSupportMethod: 'sni-only',
      },
      HttpVersion: 'http2and3',
      IPV6Enabled: true,
      PriceClass: 'PriceClass_100',
    })
    expect(config.Logging).toBeUndefined()
  })

  it('points A and AAAA aliases for static.<domain> in the zone at the distribution', () => {
    const { logicalId } = distribution(template)

    expect(records(template).map((r) => [r.name, r.type])).toEqual([
      ['static.shop.example.com.', 'A'],
      ['static.shop.example.com.', 'AAAA'],
    ])
    for (const record of records(template)) expect(record.target).toContain(logicalId)
    template.allResourcesProperties('AWS::Route53::RecordSet', {
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
    })
  })

  it('publishes the CDN host, distribution id and media mode', () => {
    const { logicalId } = distribution(template)

    expect(outputs(template)).toMatchObject({
      CdnDomainName: 'static.shop.example.com',
      CdnDistributionId: { Ref: logicalId },
      CdnMedia: 'cdn',
    })
  })

  it('fails synthesis when the access-logging acknowledgement is dropped', () => {
    const synth = synthWithout(
      'AwsSolutions-CFR3',
      (app) =>
        new BaseStack(app, resolveBaseSettings(shopConfig(), adhoc, ACCOUNT, CDN_CERTIFICATE_ARN)),
    )

    expect(synth).toThrow(/AwsSolutions-CFR3/)
  })
})

describe('CDN of the ad hoc base, media by pre-signed URLs', () => {
  let t: TestApp
  let template: Template

  beforeAll(() => {
    t = testApp()
    const stack = addAdhocBaseStack(t.app, {
      config: shopConfig({ static: { media: 'signed' } }),
      account: ACCOUNT,
      cdnCertificateArn: CDN_CERTIFICATE_ARN,
    })
    template = t.template(stack)
  })
  afterAll(() => t.cleanup())

  it('has no media behaviour and no media cache policy', () => {
    const { config } = distribution(template)

    expect(config.CacheBehaviors).toBeUndefined()
    template.resourceCountIs('AWS::CloudFront::CachePolicy', 0)
  })

  it('denies this distribution every media object, so guessed keys expose nothing', () => {
    const { logicalId } = distribution(template)
    const bucket = only(template, 'AWS::S3::Bucket').logicalId

    const deny = cloudFrontStatements(template).filter((st) => st.Effect === 'Deny')

    expect(deny).toHaveLength(1)
    expect(deny[0]).toMatchObject({
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/*/media/*']] },
    })
    expect(JSON.stringify(deny[0]?.Condition?.StringEquals?.['AWS:SourceArn'])).toContain(
      `{"Ref":"${logicalId}"}`,
    )
  })

  it('publishes media mode signed and passes cdk-nag and CloudFormation validation', () => {
    const report = t.validationReport()

    expect(outputs(template).CdnMedia).toBe('signed')
    expect(report.pluginReports.flatMap((p) => p.violations.map((v) => v.ruleName))).toEqual([])
  })
})

describe('static.cdn: false', () => {
  let t: TestApp
  let template: Template
  const config = shopConfig({ static: { cdn: false } })

  beforeAll(() => {
    t = testApp({ nag: false })
    template = t.template(addAdhocBaseStack(t.app, { config, account: ACCOUNT }))
  })
  afterAll(() => t.cleanup())

  it('creates no distribution, access control, record or CDN output, and needs no certificate stack', () => {
    const keys = Object.keys(outputs(template))

    template.resourceCountIs('AWS::CloudFront::Distribution', 0)
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 0)
    template.resourceCountIs('AWS::Route53::RecordSet', 0)
    expect(cloudFrontStatements(template)).toEqual([])
    expect(keys.filter((key) => key.startsWith('Cdn'))).toEqual([])
    expect(addCdnCertificateStack(t.app, { config, account: ACCOUNT, ref: adhoc })).toBeUndefined()
  })
})

describe('CDN of a base in us-east-1', () => {
  const east = { region: 'us-east-1', availabilityZones: ['us-east-1a', 'us-east-1b'] }

  function build(changes: Record<string, unknown>): { t: TestApp; stack: Stack } {
    const t = testApp({ nag: false })
    const config = shopConfig({ ...east, ...changes })
    expect(addCdnCertificateStack(t.app, { config, account: ACCOUNT, ref: adhoc })).toBeUndefined()
    return { t, stack: addAdhocBaseStack(t.app, { config, account: ACCOUNT }) }
  }

  it("uses the base's own *.<domain> certificate, created once for the load balancer and the CDN", () => {
    const { t, stack } = build({})
    try {
      const template = t.template(stack)
      const certificate = only(template, 'AWS::CertificateManager::Certificate')

      expect(certificate.Properties.DomainName).toBe('*.shop.example.com')
      expect(distribution(template).config.ViewerCertificate).toMatchObject({
        AcmCertificateArn: { Ref: certificate.logicalId },
        MinimumProtocolVersion: 'TLSv1.2_2021',
      })
      expect(t.synth().stacks.map((s) => s.stackName)).toEqual(['shop-dev'])
    } finally {
      t.cleanup()
    }
  })

  it('uses the configured base certificate when there is one', () => {
    const arn =
      'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d'
    const { t, stack } = build({ certificateArn: arn })
    try {
      const template = t.template(stack)

      template.resourceCountIs('AWS::CertificateManager::Certificate', 0)
      expect(distribution(template).config.ViewerCertificate.AcmCertificateArn).toBe(arn)
    } finally {
      t.cleanup()
    }
  })
})

describe('CDN of a production base', () => {
  let t: TestApp
  let template: Template

  beforeAll(() => {
    t = testApp({ nag: false })
    const stack = addProdBaseStack(t.app, {
      config: shopConfig(),
      account: ACCOUNT,
      prodEnv: 'prod',
      cdnCertificateArn: CDN_CERTIFICATE_ARN,
    })
    template = t.template(stack)
  })
  afterAll(() => t.cleanup())

  it('has a distribution of its own at static-<env>.<domain>', () => {
    const { config } = distribution(template)

    expect(config.Aliases).toEqual(['static-prod.shop.example.com'])
    expect(config.ViewerCertificate.AcmCertificateArn).toBe(CDN_CERTIFICATE_ARN)
    expect(records(template).map((r) => [r.name, r.type])).toEqual([
      ['static-prod.shop.example.com.', 'A'],
      ['static-prod.shop.example.com.', 'AAAA'],
    ])
    expect(outputs(template).CdnDomainName).toBe('static-prod.shop.example.com')
  })
})
