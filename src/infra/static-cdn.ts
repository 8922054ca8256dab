import { Duration } from 'aws-cdk-lib'
import type * as acm from 'aws-cdk-lib/aws-certificatemanager'
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront'
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as route53 from 'aws-cdk-lib/aws-route53'
import * as targets from 'aws-cdk-lib/aws-route53-targets'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import { Construct } from 'constructs'

import type { Acknowledgements } from './acknowledgements.js'
import type { CdnSettings } from './settings.js'

/** Every env's uploads, `<env>/media/…`, in the assets bucket (infrastructure.md §7). */
export const MEDIA_PATH_PATTERN = '*/media/*'

export interface StaticCdnProps {
  settings: CdnSettings
  /** The base's own bucket: OAC writes its grant into this bucket's policy. */
  bucket: s3.Bucket
  zone: route53.IHostedZone
  /** In us-east-1, covering `settings.host`. */
  certificate: acm.ICertificate
  comment: string
  acknowledgements: Acknowledgements
}

/**
 * CloudFront over the private assets bucket with origin access control (§7): one
 * distribution per base, shared by its envs, at the base's CDN host. Static files cache
 * long (hashed names); media, when served at all, cache for an hour.
 */
export class StaticCdn extends Construct {
  readonly distribution: cloudfront.Distribution
  readonly settings: CdnSettings

  constructor(scope: Construct, id: string, p: StaticCdnProps) {
    super(scope, id)
    const { settings: s, bucket } = p
    this.settings = s
    // One origin object: each call of withOriginAccessControl would add an origin and an OAC.
    const origin = origins.S3BucketOrigin.withOriginAccessControl(bucket)
    const behaviour = (cachePolicy: cloudfront.ICachePolicy): cloudfront.BehaviorOptions => ({
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachePolicy,
      compress: true,
      // Fonts and modules from the CDN host on <env>.<domain> pages are cross-origin; bucket
      // CORS rules would do nothing, since CloudFront does not forward Origin to S3 here.
      responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS,
    })
    const mediaBehaviours: Record<string, cloudfront.BehaviorOptions> =
      s.media === 'cdn'
        ? {
            [MEDIA_PATH_PATTERN]: behaviour(
              new cloudfront.CachePolicy(this, 'MediaCachePolicy', {
                comment: 'djenv media: uploads keep their names when replaced, so cache briefly',
                defaultTtl: Duration.hours(1),
                maxTtl: Duration.days(1),
                minTtl: Duration.seconds(0),
                enableAcceptEncodingGzip: true,
                enableAcceptEncodingBrotli: true,
              }),
            ),
          }
        : {}
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: p.comment,
      defaultBehavior: behaviour(cloudfront.CachePolicy.CACHING_OPTIMIZED),
      additionalBehaviors: mediaBehaviours,
      domainNames: [s.host],
      certificate: p.certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      sslSupportMethod: cloudfront.SSLMethod.SNI,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    })
    if (s.media === 'signed') {
      // OAC grants the distribution every object; without this, a guessed media key would be
      // readable through the CDN although the app links media with pre-signed URLs only.
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyMediaToCloudFront',
          effect: iam.Effect.DENY,
          principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
          actions: ['s3:GetObject'],
          resources: [bucket.arnForObjects(MEDIA_PATH_PATTERN)],
          conditions: { StringEquals: { 'AWS:SourceArn': this.distribution.distributionArn } },
        }),
      )
    }

    const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution))
    new route53.ARecord(this, 'A', { zone: p.zone, recordName: s.host, target })
    new route53.AaaaRecord(this, 'AAAA', { zone: p.zone, recordName: s.host, target })

    const ack = p.acknowledgements
    ack.add(
      this.distribution,
      'AwsSolutions-CFR1',
      "Static files and media are public assets of a public site, served wherever the site is; restricting countries is the site's decision, not its assets'.",
    )
    ack.add(
      this.distribution,
      'AwsSolutions-CFR2',
      'The distribution only reads objects of a private bucket (GET/HEAD/OPTIONS, no origin code); a web ACL would add a fixed monthly charge per base without protecting anything the app serves.',
    )
    ack.add(
      this.distribution,
      'AwsSolutions-CFR3',
      'Standard logging needs a log bucket with ACLs enabled, which BUCKET_OWNER_ENFORCED buckets refuse; request counts and error rates are in the CloudWatch metrics of the distribution.',
    )
  }
}
