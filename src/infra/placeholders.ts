import { createHash } from 'node:crypto'

import type { ConfigData } from '../config/schema.js'
import { baseNames, type BaseRef } from '../config/naming.js'
import type { BaseAttributes } from './outputs.js'
import { CLOUDFRONT_CERTIFICATE_REGION } from './settings.js'

/**
 * Base attributes for offline synthesis (`--dry-run` without a deployed base): shaped like
 * real ids and ARNs, since aws-cdk-lib validates formats, and derived from the names so the
 * same project always yields the same template. They point at nothing; never deploy them.
 */
export function placeholderBaseAttributes(
  config: ConfigData,
  ref: BaseRef,
  account: string,
): BaseAttributes {
  const names = baseNames(config, ref)
  const region = config.region
  const partition = partitionOf(region)
  const hex = (label: string, length: number) =>
    createHash('sha256').update(`${names.baseStack}/${label}`).digest('hex').slice(0, length)
  const zones = config.availabilityZones ?? [`${region}a`, `${region}b`]
  const network = ref.kind === 'prod' ? config.production[ref.name] : config.adhoc
  const albName = `${names.baseStack.slice(0, 20)}-alb`
  const albId = hex('alb', 16)
  const elb = `arn:${partition}:elasticloadbalancing:${region}:${account}`
  const redisId = `${names.baseStack.slice(0, 28)}-redis`
  return {
    kind: ref.kind,
    vpcId: `vpc-${hex('vpc', 17)}`,
    availabilityZones: zones,
    privateSubnetIds: zones.map((zone) => `subnet-${hex(`subnet/${zone}`, 17)}`),
    appSecurityGroupId: `sg-${hex('app-sg', 17)}`,
    albSecurityGroupId: `sg-${hex('alb-sg', 17)}`,
    albArn: `${elb}:loadbalancer/app/${albName}/${albId}`,
    albDnsName: `${albName}-${parseInt(hex('alb-dns', 8), 16)}.${region}.elb.amazonaws.com`,
    albCanonicalHostedZoneId: `Z${hex('alb-zone', 13).toUpperCase()}`,
    httpsListenerArn: `${elb}:listener/app/${albName}/${albId}/${hex('https', 16)}`,
    domainName: config.domain,
    hostedZoneId: config.hostedZoneId,
    dbHost: `${names.baseStack.slice(0, 40)}-db.${hex('rds', 12)}.${region}.rds.amazonaws.com`,
    dbPort: '5432',
    dbMasterSecretArn: `arn:${partition}:secretsmanager:${region}:${account}:secret:${names.dbMasterSecretName}-${secretSuffix(hex('secret', 12))}`,
    ...(network?.redis
      ? {
          redisHost: `${redisId}.${hex('redis', 6)}.ng.0001.${region}.cache.amazonaws.com`,
          redisPort: '6379',
        }
      : {}),
    assetsBucketName: `${names.baseStack.slice(0, 30)}-assetsbucket${hex('bucket', 12)}`,
    opsClusterName: names.opsCluster,
    dbAdminTaskFamily: names.dbAdminFamily,
    dbAdminContainerName: names.dbAdminContainer,
    ...(network?.bastion ? { bastionInstanceId: `i-${hex('bastion', 17)}` } : {}),
    ...(names.cdnHost === undefined
      ? {}
      : {
          cdnHost: names.cdnHost,
          cdnDistributionId: `E${hex('distribution', 13).toUpperCase()}`,
          cdnMedia: config.static.media,
        }),
  }
}

/**
 * A us-east-1 certificate ARN standing for the output of a base's certificate stack offline;
 * derived from the stack name, so plans stay the same from run to run.
 */
export function placeholderCdnCertificateArn(
  config: ConfigData,
  ref: BaseRef,
  account: string,
): string {
  const names = baseNames(config, ref)
  const hex = createHash('sha256').update(`${names.cdnCertificateStack}/certificate`).digest('hex')
  const id = [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32),
  ]
  return `arn:${partitionOf(config.region)}:acm:${CLOUDFRONT_CERTIFICATE_REGION}:${account}:certificate/${id.join('-')}`
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}

/** The six random letters Secrets Manager appends to a secret's ARN. */
function secretSuffix(hex: string): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
  let out = ''
  for (let i = 0; i < 6; i++)
    out += letters[parseInt(hex.slice(i * 2, i * 2 + 2), 16) % letters.length]
  return out
}
