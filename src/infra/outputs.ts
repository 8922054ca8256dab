import { DjenvError } from '../core/errors.js'
import type { EnvKind } from '../config/names.js'

/**
 * Layout version of what a base publishes. djenv refuses a base whose `SchemaVersion` it does
 * not know (infrastructure.md §3); bump it when a key changes meaning or disappears.
 */
export const BASE_SCHEMA_VERSION = '1'

/** How one stack output is published: its SSM copy, and whether the value is a list. */
export interface OutputSpec {
  /** Parameter name below the stack's SSM root. */
  readonly ssm: string
  /** A comma-joined list in the output, a StringList in SSM. */
  readonly list?: true
  /** Present only with this option of the base. */
  readonly when?: 'redis' | 'bastion' | 'cdn'
}

/**
 * Outputs of a base stack (logical ids, declared at stack scope without `exportName`) and
 * their SSM copies under `/djenv/<project>/<base>/`. Runtime code reads the same keys.
 */
export const BASE_OUTPUTS = {
  SchemaVersion: { ssm: 'schema-version' },
  Kind: { ssm: 'kind' },
  VpcId: { ssm: 'vpc-id' },
  AvailabilityZones: { ssm: 'azs', list: true },
  PrivateSubnetIds: { ssm: 'private-subnet-ids', list: true },
  AppSecurityGroupId: { ssm: 'app-sg-id' },
  AlbSecurityGroupId: { ssm: 'alb-sg-id' },
  AlbArn: { ssm: 'alb-arn' },
  AlbDnsName: { ssm: 'alb-dns-name' },
  AlbCanonicalHostedZoneId: { ssm: 'alb-zone-id' },
  HttpsListenerArn: { ssm: 'https-listener-arn' },
  DomainName: { ssm: 'domain-name' },
  HostedZoneId: { ssm: 'hosted-zone-id' },
  DbHost: { ssm: 'db-host' },
  DbPort: { ssm: 'db-port' },
  DbMasterSecretArn: { ssm: 'db-master-secret-arn' },
  RedisHost: { ssm: 'redis-host', when: 'redis' },
  RedisPort: { ssm: 'redis-port', when: 'redis' },
  AssetsBucketName: { ssm: 'assets-bucket' },
  OpsClusterName: { ssm: 'ops-cluster' },
  DbAdminTaskFamily: { ssm: 'db-admin-family' },
  DbAdminContainerName: { ssm: 'db-admin-container' },
  BastionInstanceId: { ssm: 'bastion-instance-id', when: 'bastion' },
  CdnDomainName: { ssm: 'cdn-domain', when: 'cdn' },
  CdnDistributionId: { ssm: 'cdn-distribution-id', when: 'cdn' },
  CdnMedia: { ssm: 'cdn-media', when: 'cdn' },
} as const satisfies Record<string, OutputSpec>

export type BaseOutputKey = keyof typeof BASE_OUTPUTS

/** Outputs of an app stack and their SSM copies under `/djenv/<project>/<base>/envs/<env>/`. */
export const APP_OUTPUTS = {
  ClusterName: { ssm: 'cluster-name' },
  ServiceNames: { ssm: 'service-names', list: true },
  TaskFamilies: { ssm: 'task-families', list: true },
  LogGroupName: { ssm: 'log-group-name' },
  Url: { ssm: 'url' },
  ListenerRulePriority: { ssm: 'listener-rule-priority' },
  DatabaseName: { ssm: 'database-name' },
  TargetGroupArn: { ssm: 'target-group-arn' },
} as const satisfies Record<string, OutputSpec>

export type AppOutputKey = keyof typeof APP_OUTPUTS

/**
 * What an app stack takes from its base, as plain strings: read from the base's outputs
 * before synthesis, or placeholders offline. No construct crosses a stack boundary (§1.1).
 */
export interface BaseAttributes {
  kind: EnvKind
  vpcId: string
  availabilityZones: string[]
  privateSubnetIds: string[]
  appSecurityGroupId: string
  albSecurityGroupId: string
  albArn: string
  albDnsName: string
  albCanonicalHostedZoneId: string
  httpsListenerArn: string
  domainName: string
  hostedZoneId: string
  dbHost: string
  dbPort: string
  dbMasterSecretArn: string
  /** Absent when the base has no Redis. */
  redisHost?: string
  redisPort?: string
  assetsBucketName: string
  opsClusterName: string
  dbAdminTaskFamily: string
  dbAdminContainerName: string
  /** Absent when the base has no bastion. */
  bastionInstanceId?: string
  /** The CDN host, e.g. `static.<domain>`; the three CDN keys are absent with `static.cdn: false`. */
  cdnHost?: string
  /** The distribution serving the bucket, for invalidations. */
  cdnDistributionId?: string
  /** cdn: media served through the distribution; signed: media linked by pre-signed S3 URLs. */
  cdnMedia?: 'cdn' | 'signed'
}

/**
 * Turns a base stack's outputs (key → value, as DescribeStacks returns them) into attributes.
 * Refuses an unknown layout or a missing key, naming the stack.
 */
export function baseAttributesFromOutputs(
  stackName: string,
  outputs: Readonly<Record<string, string>>,
): BaseAttributes {
  const version = outputs.SchemaVersion
  if (version !== BASE_SCHEMA_VERSION) {
    throw new DjenvError(
      'BASE_NOT_FOUND',
      version === undefined
        ? `Stack ${stackName} has no SchemaVersion output; it is not a djenv base.`
        : `Base ${stackName} has layout version ${version}; this djenv knows version ${BASE_SCHEMA_VERSION}.`,
      'Deploy the base with this version of djenv (`djenv base deploy`), or use the djenv version that deployed it.',
    )
  }
  const get = (key: BaseOutputKey): string => {
    const value = outputs[key]
    if (value === undefined || value === '') {
      throw new DjenvError(
        'BASE_NOT_FOUND',
        `Base ${stackName} has no ${key} output.`,
        'Deploy the base again (`djenv base deploy`) so that it publishes every output.',
      )
    }
    return value
  }
  const optional = (key: BaseOutputKey): string | undefined => outputs[key] || undefined
  const list = (key: BaseOutputKey): string[] => get(key).split(',')
  const kind = get('Kind')
  if (kind !== 'adhoc' && kind !== 'prod') {
    throw new DjenvError('BASE_NOT_FOUND', `Base ${stackName} has an unknown kind "${kind}".`)
  }
  const redisHost = optional('RedisHost')
  const redisPort = optional('RedisPort')
  const bastionInstanceId = optional('BastionInstanceId')
  const cdn = cdnAttributes(stackName, optional)
  return {
    kind,
    vpcId: get('VpcId'),
    availabilityZones: list('AvailabilityZones'),
    privateSubnetIds: list('PrivateSubnetIds'),
    appSecurityGroupId: get('AppSecurityGroupId'),
    albSecurityGroupId: get('AlbSecurityGroupId'),
    albArn: get('AlbArn'),
    albDnsName: get('AlbDnsName'),
    albCanonicalHostedZoneId: get('AlbCanonicalHostedZoneId'),
    httpsListenerArn: get('HttpsListenerArn'),
    domainName: get('DomainName'),
    hostedZoneId: get('HostedZoneId'),
    dbHost: get('DbHost'),
    dbPort: get('DbPort'),
    dbMasterSecretArn: get('DbMasterSecretArn'),
    ...(redisHost && redisPort ? { redisHost, redisPort } : {}),
    assetsBucketName: get('AssetsBucketName'),
    opsClusterName: get('OpsClusterName'),
    dbAdminTaskFamily: get('DbAdminTaskFamily'),
    dbAdminContainerName: get('DbAdminContainerName'),
    ...(bastionInstanceId ? { bastionInstanceId } : {}),
    ...cdn,
  }
}

/** The three CDN keys, all or none: a base publishes them together. */
function cdnAttributes(
  stackName: string,
  optional: (key: BaseOutputKey) => string | undefined,
): Pick<BaseAttributes, 'cdnHost' | 'cdnDistributionId' | 'cdnMedia'> {
  const cdnHost = optional('CdnDomainName')
  if (cdnHost === undefined) return {}
  const cdnDistributionId = optional('CdnDistributionId')
  const cdnMedia = optional('CdnMedia')
  if (cdnDistributionId === undefined || (cdnMedia !== 'cdn' && cdnMedia !== 'signed')) {
    throw new DjenvError(
      'BASE_NOT_FOUND',
      `Base ${stackName} publishes CdnDomainName without a valid CdnDistributionId and CdnMedia.`,
      'Deploy the base again (`djenv base deploy`) so that it publishes every output.',
    )
  }
  return { cdnHost, cdnDistributionId, cdnMedia }
}
