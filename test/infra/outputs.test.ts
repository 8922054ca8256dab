import { FLAGS } from 'aws-cdk-lib/cx-api'
import { describe, expect, it } from 'vitest'

import {
  BASE_OUTPUTS,
  DJENV_FEATURE_FLAGS,
  availabilityZonesContext,
  baseAttributesFromOutputs,
  placeholderBaseAttributes,
  placeholderCdnCertificateArn,
  type BaseAttributes,
  type BaseOutputKey,
} from '../../src/infra/index.js'
import { ACCOUNT, leanConfig, shopConfig } from './helpers.js'

/** What a base's DescribeStacks outputs would hold for these attributes (the §3 table). */
function outputsOf(a: BaseAttributes): Partial<Record<BaseOutputKey, string>> {
  return {
    SchemaVersion: '1',
    Kind: a.kind,
    VpcId: a.vpcId,
    AvailabilityZones: a.availabilityZones.join(','),
    PrivateSubnetIds: a.privateSubnetIds.join(','),
    AppSecurityGroupId: a.appSecurityGroupId,
    AlbSecurityGroupId: a.albSecurityGroupId,
    AlbArn: a.albArn,
    AlbDnsName: a.albDnsName,
    AlbCanonicalHostedZoneId: a.albCanonicalHostedZoneId,
    HttpsListenerArn: a.httpsListenerArn,
    DomainName: a.domainName,
    HostedZoneId: a.hostedZoneId,
    DbHost: a.dbHost,
    DbPort: a.dbPort,
    DbMasterSecretArn: a.dbMasterSecretArn,
    ...(a.redisHost ? { RedisHost: a.redisHost, RedisPort: a.redisPort } : {}),
    AssetsBucketName: a.assetsBucketName,
    OpsClusterName: a.opsClusterName,
    DbAdminTaskFamily: a.dbAdminTaskFamily,
    DbAdminContainerName: a.dbAdminContainerName,
    ...(a.bastionInstanceId ? { BastionInstanceId: a.bastionInstanceId } : {}),
    ...(a.cdnHost
      ? { CdnDomainName: a.cdnHost, CdnDistributionId: a.cdnDistributionId, CdnMedia: a.cdnMedia }
      : {}),
  }
}

const shop = placeholderBaseAttributes(shopConfig(), { kind: 'adhoc' }, ACCOUNT)

describe('baseAttributesFromOutputs', () => {
  it('reads every attribute of a base with Redis and bastion', () => {
    expect(baseAttributesFromOutputs('shop-dev', outputsOf(shop))).toEqual(shop)
    expect(shop.redisHost).toBeDefined()
    expect(shop.bastionInstanceId).toBeDefined()
  })

  it('reads a base without Redis and bastion', () => {
    const lean = placeholderBaseAttributes(leanConfig(), { kind: 'adhoc' }, ACCOUNT)

    const attrs = baseAttributesFromOutputs('lean-dev', outputsOf(lean))

    expect(attrs).toEqual(lean)
    expect('redisHost' in attrs || 'bastionInstanceId' in attrs).toBe(false)
  })

  it('reads the CDN host, distribution and media mode, and none of them without a CDN', () => {
    const off = placeholderBaseAttributes(
      shopConfig({ static: { cdn: false } }),
      { kind: 'adhoc' },
      ACCOUNT,
    )

    expect(baseAttributesFromOutputs('shop-dev', outputsOf(shop))).toMatchObject({
      cdnHost: 'static.shop.example.com',
      cdnDistributionId: shop.cdnDistributionId,
      cdnMedia: 'cdn',
    })
    const attrs = baseAttributesFromOutputs('shop-dev', outputsOf(off))
    expect(attrs).toEqual(off)
    expect(Object.keys(attrs).filter((key) => key.startsWith('cdn'))).toEqual([])
  })

  it.each([
    [{ SchemaVersion: undefined }, /shop-dev has no SchemaVersion output; it is not a djenv base/],
    [{ SchemaVersion: '2' }, /shop-dev has layout version 2; this djenv knows version 1/],
    [{ HttpsListenerArn: undefined }, /shop-dev has no HttpsListenerArn output/],
    [{ DbHost: '' }, /shop-dev has no DbHost output/],
    [{ Kind: 'staging' }, /unknown kind "staging"/],
    [{ CdnDistributionId: undefined }, /shop-dev publishes CdnDomainName without a valid/],
    [{ CdnMedia: 'public' }, /shop-dev publishes CdnDomainName without a valid/],
  ])('refuses outputs with %j', (change, message) => {
    const outputs = Object.fromEntries(
      Object.entries({ ...outputsOf(shop), ...change }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>

    expect(() => baseAttributesFromOutputs('shop-dev', outputs)).toThrow(message)
    expect(() => baseAttributesFromOutputs('shop-dev', outputs)).toThrow(
      expect.objectContaining({ djenvCode: 'BASE_NOT_FOUND' }),
    )
  })

  it('covers every output key a base publishes', () => {
    expect(Object.keys(outputsOf(shop)).sort()).toEqual(Object.keys(BASE_OUTPUTS).sort())
  })
})

describe('placeholderBaseAttributes', () => {
  it('looks like real ids and ARNs of the account and region', () => {
    expect(shop).toMatchObject({
      kind: 'adhoc',
      vpcId: expect.stringMatching(/^vpc-[0-9a-f]{17}$/),
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: [
        expect.stringMatching(/^subnet-[0-9a-f]{17}$/),
        expect.stringMatching(/^subnet-[0-9a-f]{17}$/),
      ],
      appSecurityGroupId: expect.stringMatching(/^sg-[0-9a-f]{17}$/),
      albSecurityGroupId: expect.stringMatching(/^sg-[0-9a-f]{17}$/),
      albArn: expect.stringMatching(
        /^arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer\/app\/[a-z0-9-]+\/[0-9a-f]{16}$/,
      ),
      albCanonicalHostedZoneId: expect.stringMatching(/^Z[0-9A-Z]{13}$/),
      dbMasterSecretArn: expect.stringMatching(
        /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:djenv\/shop\/dev\/db-master-credentials-[A-Za-z]{6}$/,
      ),
      assetsBucketName: expect.stringMatching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
      bastionInstanceId: expect.stringMatching(/^i-[0-9a-f]{17}$/),
      cdnHost: 'static.shop.example.com',
      cdnDistributionId: expect.stringMatching(/^E[0-9A-F]{13}$/),
      cdnMedia: 'cdn',
      dbPort: '5432',
      redisPort: '6379',
      opsClusterName: 'shop-dev-ops',
      dbAdminTaskFamily: 'shop-dev-db-admin',
      domainName: 'shop.example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    })
    expect(
      shop.httpsListenerArn.startsWith(shop.albArn.replace(':loadbalancer/', ':listener/')),
    ).toBe(true)
    expect(new Set([shop.appSecurityGroupId, shop.albSecurityGroupId]).size).toBe(2)
  })

  it('is the same for the same base and differs between bases', () => {
    const again = placeholderBaseAttributes(shopConfig(), { kind: 'adhoc' }, ACCOUNT)
    const prod = placeholderBaseAttributes(shopConfig(), { kind: 'prod', name: 'prod' }, ACCOUNT)

    expect(again).toEqual(shop)
    expect(prod.kind).toBe('prod')
    expect(prod.vpcId).not.toBe(shop.vpcId)
    expect(prod.opsClusterName).toBe('shop-prod-ops')
  })

  it('stands for the certificate stack output with a us-east-1 ARN, the same for the same base', () => {
    const arn = placeholderCdnCertificateArn(shopConfig(), { kind: 'adhoc' }, ACCOUNT)

    expect(arn).toMatch(
      /^arn:aws:acm:us-east-1:123456789012:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    )
    expect(placeholderCdnCertificateArn(shopConfig(), { kind: 'adhoc' }, ACCOUNT)).toBe(arn)
    expect(
      placeholderCdnCertificateArn(shopConfig(), { kind: 'prod', name: 'prod' }, ACCOUNT),
    ).not.toBe(arn)
  })

  it('uses the partition of the region', () => {
    const china = shopConfig({
      region: 'cn-north-1',
      availabilityZones: ['cn-north-1a', 'cn-north-1b'],
    })

    expect(placeholderBaseAttributes(china, { kind: 'adhoc' }, ACCOUNT).albArn).toMatch(
      /^arn:aws-cn:elasticloadbalancing:cn-north-1:/,
    )
  })
})

describe('DJENV_FEATURE_FLAGS', () => {
  it('makes validation findings errors', () => {
    expect(DJENV_FEATURE_FLAGS['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true)
  })

  it.each(Object.entries(DJENV_FEATURE_FLAGS))(
    'sets %s, a flag of the installed aws-cdk-lib, to its recommended value',
    (flag, value) => {
      expect(FLAGS[flag], flag).toBeDefined()
      expect(value).toBe(FLAGS[flag]?.recommendedValue)
    },
  )
})

describe('availabilityZonesContext', () => {
  it('is the entry Vpc reads for the account and region', () => {
    expect(availabilityZonesContext(ACCOUNT, 'eu-west-1', ['eu-west-1a', 'eu-west-1b'])).toEqual({
      'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b'],
    })
  })
})
