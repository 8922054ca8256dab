import type { Template } from 'aws-cdk-lib/assertions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { BaseRef } from '../../src/config/naming.js'
import {
  CDN_CERTIFICATE_OUTPUT,
  addCdnCertificateStack,
  type CdnCertificateStack,
} from '../../src/infra/index.js'
import { ACCOUNT, only, resources, shopConfig, tagsOf, testApp, type TestApp } from './helpers.js'

const adhoc: BaseRef = { kind: 'adhoc' }
const prod: BaseRef = { kind: 'prod', name: 'prod' }
const OTHER_ARN =
  'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d'

describe('CDN certificate stack of a base outside us-east-1', () => {
  let t: TestApp
  let stack: CdnCertificateStack
  let template: Template

  beforeAll(() => {
    t = testApp()
    const added = addCdnCertificateStack(t.app, {
      config: shopConfig(),
      account: ACCOUNT,
      ref: adhoc,
    })
    if (!added) throw new Error('shop in eu-west-1 needs a certificate stack')
    stack = added
    template = t.template(stack)
  })
  afterAll(() => t.cleanup())

  it('is the stack <project>-<base>-static in us-east-1 of the account, tagged like its base', () => {
    const artifact = t.synth().getStackByName('shop-dev-static')
    const expected = { 'djenv:project': 'shop', 'djenv:base': 'dev', 'djenv:kind': 'adhoc' }

    expect(stack.node.id).toBe('shop-dev-static')
    expect(artifact.environment).toMatchObject({ account: ACCOUNT, region: 'us-east-1' })
    expect(artifact.terminationProtection ?? false).toBe(false)
    expect(artifact.tags).toEqual(expected)
    expect(tagsOf(only(template, 'AWS::CertificateManager::Certificate').Properties)).toMatchObject(
      expected,
    )
  })

  it('holds one DNS-validated certificate for static.<domain>, validated in the hosted zone', () => {
    const certificate = only(template, 'AWS::CertificateManager::Certificate')

    expect(Object.keys(resources(template))).toEqual([certificate.logicalId])
    expect(certificate.Properties).toMatchObject({
      DomainName: 'static.shop.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [
        { DomainName: 'static.shop.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' },
      ],
    })
    expect(certificate.Properties.SubjectAlternativeNames).toBeUndefined()
  })

  it('outputs the certificate ARN under a fixed id, without an export', () => {
    const outputs = template.toJSON().Outputs as Record<
      string,
      { Value: unknown; Export?: unknown }
    >
    const certificate = only(template, 'AWS::CertificateManager::Certificate')

    expect(CDN_CERTIFICATE_OUTPUT).toBe('CertificateArn')
    expect(Object.keys(outputs)).toEqual(['CertificateArn'])
    expect(outputs.CertificateArn).toEqual({
      Value: { Ref: certificate.logicalId },
      Description: 'djenv: certificate of static.shop.example.com for CloudFront',
    })
  })

  it('passes CloudFormation validation and cdk-nag, and deploys without a CDK bootstrap', () => {
    const report = t.validationReport()
    const artifact = t.synth().getStackByName('shop-dev-static')

    expect(report.pluginReports.flatMap((p) => p.violations.map((v) => v.ruleName))).toEqual([])
    // No assets, no deploy role, no bootstrap version check: the caller's credentials deploy
    // it, so us-east-1 needs no CDKToolkit stack of its own.
    expect(artifact.assets).toEqual([])
    expect(artifact.assumeRoleArn).toBeUndefined()
    expect(artifact.requiresBootstrapStackVersion).toBeUndefined()
    expect(artifact.stackTemplateAssetObjectUrl).toBeUndefined()
  })
})

describe('addCdnCertificateStack', () => {
  it('gives a production base its own protected stack for static-<env>.<domain>', () => {
    const t = testApp({ nag: false })
    try {
      const stack = addCdnCertificateStack(t.app, {
        config: shopConfig(),
        account: ACCOUNT,
        ref: prod,
      })
      const artifact = t.synth().getStackByName('shop-prod-static')

      expect(stack?.stackName).toBe('shop-prod-static')
      expect(artifact.terminationProtection).toBe(true)
      expect(artifact.environment.region).toBe('us-east-1')
      expect(
        only(t.template('shop-prod-static'), 'AWS::CertificateManager::Certificate').Properties
          .DomainName,
      ).toBe('static-prod.shop.example.com')
    } finally {
      t.cleanup()
    }
  })

  it.each([
    ['the CDN is off', { static: { cdn: false } }, adhoc],
    ['static.certificateArn is configured', { static: { certificateArn: OTHER_ARN } }, adhoc],
    [
      'the production env configures its own certificate',
      { production: { prod: { static: { certificateArn: OTHER_ARN } } } },
      prod,
    ],
    [
      'the base is in us-east-1, where its own certificate covers the host',
      { region: 'us-east-1', availabilityZones: ['us-east-1a', 'us-east-1b'] },
      adhoc,
    ],
  ])('adds nothing when %s', (_, changes, ref) => {
    const t = testApp({ nag: false })
    try {
      const stack = addCdnCertificateStack(t.app, {
        config: shopConfig(changes),
        account: ACCOUNT,
        ref,
      })

      expect(stack).toBeUndefined()
      expect(t.app.node.children).toEqual([])
    } finally {
      t.cleanup()
    }
  })

  it('adds one in us-east-1 too when the CDN host is deeper than the wildcard covers', () => {
    const t = testApp({ nag: false })
    try {
      const config = shopConfig({
        region: 'us-east-1',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        static: { domain: 'cdn.assets.shop.example.com' },
      })

      const stack = addCdnCertificateStack(t.app, { config, account: ACCOUNT, ref: adhoc })

      expect(stack?.stackName).toBe('shop-dev-static')
      expect(
        only(t.template('shop-dev-static'), 'AWS::CertificateManager::Certificate').Properties
          .DomainName,
      ).toBe('cdn.assets.shop.example.com')
    } finally {
      t.cleanup()
    }
  })
})
