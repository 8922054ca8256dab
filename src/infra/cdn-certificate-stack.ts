import { LegacyStackSynthesizer, CfnOutput, Stack } from 'aws-cdk-lib'
import * as acm from 'aws-cdk-lib/aws-certificatemanager'
import * as route53 from 'aws-cdk-lib/aws-route53'
import type { Construct } from 'constructs'

import { djenvTags, tagResources } from './common.js'
import type { CdnCertificateSettings } from './settings.js'

/** Output holding the certificate's ARN, which djenv passes to the base by attribute (§7). */
export const CDN_CERTIFICATE_OUTPUT = 'CertificateArn'

/**
 * The small us-east-1 stack of a base whose CDN host no configured or base certificate
 * covers: CloudFront reads certificates from us-east-1 only, whatever the base's region. Its
 * ARN reaches the base as a plain string, never as an export or a cross-region reference
 * (both would need Lambda-backed custom resources, §1.4). It has no assets and a small
 * template, so it deploys without a CDK bootstrap in us-east-1, with the caller's credentials.
 */
export class CdnCertificateStack extends Stack {
  readonly certificate: acm.Certificate

  constructor(scope: Construct, s: CdnCertificateSettings) {
    const { names } = s
    const tags = djenvTags({ project: names.project, base: names.base, kind: names.kind })
    super(scope, names.cdnCertificateStack, {
      stackName: names.cdnCertificateStack,
      env: s.target,
      description: `djenv CDN certificate of ${names.kind === 'prod' ? 'production' : 'ad hoc'} base ${names.base} of ${names.project}`,
      terminationProtection: names.kind === 'prod',
      analyticsReporting: false,
      synthesizer: new LegacyStackSynthesizer(),
      tags,
    })
    tagResources(this, tags)
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: s.hostedZoneId,
      zoneName: s.domain,
    })
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: s.host,
      validation: acm.CertificateValidation.fromDns(zone),
    })
    new CfnOutput(this, CDN_CERTIFICATE_OUTPUT, {
      value: this.certificate.certificateArn,
      description: `djenv: certificate of ${s.host} for CloudFront`,
    })
  }
}
