import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as acm from 'aws-cdk-lib/aws-certificatemanager'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as ecs from 'aws-cdk-lib/aws-ecs'
import * as elasticache from 'aws-cdk-lib/aws-elasticache'
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as rds from 'aws-cdk-lib/aws-rds'
import * as route53 from 'aws-cdk-lib/aws-route53'
import * as s3 from 'aws-cdk-lib/aws-s3'
import type { Construct } from 'constructs'

import { Acknowledgements, type Acknowledging } from './acknowledgements.js'
import { djenvTags, publish, tagResources } from './common.js'
import { availabilityZonesContextKey } from './flags.js'
import { BASE_OUTPUTS, BASE_SCHEMA_VERSION, type BaseOutputKey } from './outputs.js'
import type { BaseSettings } from './settings.js'
import { StaticCdn } from './static-cdn.js'

const POSTGRES_PORT = 5432
const REDIS_PORT = 6379
const MASTER_USER = 'postgres'

/**
 * The shared base of an ad hoc project, or the dedicated base of a production env
 * (infrastructure.md §4.1, §5): network, load balancer, database, optional Redis, assets
 * bucket, optional bastion and the ops cluster with its db-admin task. It publishes what app
 * stacks need as outputs and SSM parameters; apps never reference its constructs.
 */
export class BaseStack extends Stack implements Acknowledging {
  readonly acknowledgements = new Acknowledgements()

  constructor(scope: Construct, s: BaseSettings) {
    const tags = djenvTags({ project: s.names.project, base: s.names.base, kind: s.kind })
    super(scope, s.names.baseStack, {
      stackName: s.names.baseStack,
      env: s.target,
      description: `djenv ${s.kind === 'prod' ? 'production' : 'ad hoc'} base ${s.names.base} of ${s.names.project}`,
      terminationProtection: s.protect,
      analyticsReporting: false,
      tags,
    })
    // Before any child exists: Vpc reads the zones from context even when given them.
    this.node.setContext(
      availabilityZonesContextKey(s.target.account, s.target.region),
      s.availabilityZones,
    )
    tagResources(this, tags)
    const ack = this.acknowledgements
    const retain = s.protect ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY

    // Network
    const natInstance =
      s.nat === 'instance'
        ? ec2.NatProvider.instanceV2({
            instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
            machineImage: amazonLinux2023Arm(),
            // The provider's default opens all inbound traffic from 0.0.0.0/0.
            defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
            associatePublicIpAddress: true,
          })
        : undefined
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(s.vpcCidr),
      availabilityZones: s.availabilityZones,
      ipProtocol: s.dualStack ? ec2.IpProtocol.DUAL_STACK : ec2.IpProtocol.IPV4_ONLY,
      natGateways: 1,
      natGatewayProvider: natInstance ?? ec2.NatProvider.gateway(),
      natGatewaySubnets: { subnetGroupName: 'public' },
      subnetConfiguration: [
        {
          name: 'public',
          subnetType: ec2.SubnetType.PUBLIC,
          cidrMask: 24,
          mapPublicIpOnLaunch: false,
        },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // Free: ECR layers (served from S3) and bucket traffic bypass the NAT.
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetGroupName: 'app' }] },
      },
      // `true` needs a Lambda-backed custom resource, i.e. an asset (§1.4).
      restrictDefaultSecurityGroup: false,
    })
    if (s.protect) {
      vpc.addFlowLog('RejectedTraffic', {
        trafficType: ec2.FlowLogTrafficType.REJECT,
        destination: ec2.FlowLogDestination.toCloudWatchLogs(
          new logs.LogGroup(this, 'FlowLogs', {
            retention: s.logRetentionDays,
            removalPolicy: retain,
          }),
        ),
      })
    } else {
      ack.add(
        vpc,
        'AwsSolutions-VPC7',
        'Ad hoc bases carry test data only; flow logs would cost more than the base itself. Production bases log rejected traffic.',
      )
    }
    if (natInstance) {
      natInstance.securityGroup.addIngressRule(
        ec2.Peer.ipv4(s.vpcCidr),
        ec2.Port.allTraffic(),
        'From the VPC to the internet',
      )
      for (const instance of natInstance.gatewayInstances) {
        hardenInstance(instance)
        ack.add(
          instance,
          'AwsSolutions-EC28',
          'The NAT instance is disposable and replaced on the next base deploy; basic monitoring is enough for it.',
        )
        ack.add(
          instance,
          'AwsSolutions-EC29',
          'The NAT instance holds no state; losing it costs a minute of egress until the next deploy recreates it.',
        )
      }
    }

    // Security groups: all here, none in apps (§4.1).
    const albSg = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc,
      description: 'djenv load balancer: HTTPS and HTTP from anywhere',
      allowAllOutbound: false,
    })
    const publicPeers = s.dualStack
      ? [ec2.Peer.anyIpv4(), ec2.Peer.anyIpv6()]
      : [ec2.Peer.anyIpv4()]
    for (const peer of publicPeers) {
      albSg.addIngressRule(peer, ec2.Port.tcp(443), 'HTTPS from anywhere')
      albSg.addIngressRule(peer, ec2.Port.tcp(80), 'HTTP from anywhere, redirected to HTTPS')
    }
    ack.add(
      albSg,
      'AwsSolutions-EC23',
      'The public load balancer of a web application accepts HTTP(S) from anywhere.',
    )
    const appSg = new ec2.SecurityGroup(this, 'AppSecurityGroup', {
      vpc,
      description: 'djenv app tasks of every env on this base',
      allowAllOutbound: true,
      allowAllIpv6Outbound: s.dualStack,
    })
    albSg.addEgressRule(appSg, ec2.Port.tcp(s.webPort), 'To app tasks')
    appSg.addIngressRule(albSg, ec2.Port.tcp(s.webPort), 'From the load balancer')
    const dbSg = new ec2.SecurityGroup(this, 'DbSecurityGroup', {
      vpc,
      description: 'djenv PostgreSQL: from app tasks and the bastion',
      allowAllOutbound: false,
    })
    dbSg.addIngressRule(appSg, ec2.Port.tcp(POSTGRES_PORT), 'PostgreSQL from app tasks')
    const redisSg =
      s.redisNodes > 0
        ? new ec2.SecurityGroup(this, 'RedisSecurityGroup', {
            vpc,
            description: 'djenv Redis: from app tasks and the bastion',
            allowAllOutbound: false,
          })
        : undefined
    redisSg?.addIngressRule(appSg, ec2.Port.tcp(REDIS_PORT), 'Redis from app tasks')
    const bastionSg = s.bastion
      ? new ec2.SecurityGroup(this, 'BastionSecurityGroup', {
          vpc,
          description: 'djenv bastion: no inbound; SSM over HTTPS, PostgreSQL and Redis out',
          allowAllOutbound: false,
        })
      : undefined
    if (bastionSg) {
      bastionSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Systems Manager endpoints')
      bastionSg.addEgressRule(dbSg, ec2.Port.tcp(POSTGRES_PORT), 'PostgreSQL')
      dbSg.addIngressRule(bastionSg, ec2.Port.tcp(POSTGRES_PORT), 'PostgreSQL from the bastion')
      if (redisSg) {
        bastionSg.addEgressRule(redisSg, ec2.Port.tcp(REDIS_PORT), 'Redis')
        redisSg.addIngressRule(bastionSg, ec2.Port.tcp(REDIS_PORT), 'Redis from the bastion')
      }
    }

    // Load balancer
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: s.hostedZoneId,
      zoneName: s.domain,
    })
    const certificate = this.certificate(s, zone)
    const alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetGroupName: 'public' },
      securityGroup: albSg,
      ipAddressType: s.dualStack ? elbv2.IpAddressType.DUAL_STACK : elbv2.IpAddressType.IPV4,
      dropInvalidHeaderFields: true,
      idleTimeout: Duration.seconds(60),
      deletionProtection: s.protect,
    })
    ack.add(
      alb,
      'AwsSolutions-ELB2',
      'Access logs are an opt-in (§5); requests are visible in the ALB metrics and the application logs.',
    )
    alb.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({
        protocol: 'HTTPS',
        port: '443',
        permanent: true,
      }),
    })
    const https = alb.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      open: false,
      certificates: [certificate.listener],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      // Unknown hosts must not look healthy; app rules forward their own hosts.
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'text/plain',
        messageBody: 'Not found',
      }),
    })

    // PostgreSQL, shared by the base's envs
    const db = new rds.DatabaseInstance(this, 'Database', {
      engine: rds.DatabaseInstanceEngine.postgres({
        // Major only: a pinned minor fails once RDS has moved past it.
        version: rds.PostgresEngineVersion.of(s.database.engineMajor, s.database.engineMajor),
      }),
      instanceType: new ec2.InstanceType(s.database.instanceClass.replace(/^db\./, '')),
      vpc,
      vpcSubnets: { subnetGroupName: 'data' },
      securityGroups: [dbSg],
      port: POSTGRES_PORT,
      credentials: rds.Credentials.fromGeneratedSecret(MASTER_USER, {
        secretName: s.names.dbMasterSecretName,
      }),
      allocatedStorage: s.database.allocatedStorage,
      maxAllocatedStorage: s.database.maxAllocatedStorage,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      multiAz: s.database.multiAz,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      backupRetention: Duration.days(s.database.backupRetentionDays),
      copyTagsToSnapshot: true,
      deletionProtection: s.database.deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      ...(s.database.cloudwatchLogsExports.length > 0
        ? { cloudwatchLogsExports: s.database.cloudwatchLogsExports }
        : {}),
    })
    const dbSecret = db.secret
    if (!dbSecret) throw new Error('a generated secret always exists') // narrows the type only
    ack.add(
      db,
      'AwsSolutions-RDS11',
      'Port 5432 is reachable only from the app and bastion security groups; a custom port adds no protection here.',
    )
    if (!s.database.multiAz) {
      ack.add(
        db,
        'AwsSolutions-RDS3',
        s.kind === 'prod'
          ? 'Multi-AZ is the production option `database.multiAz`, which this env leaves off; point-in-time backups (7 days or more) cover an instance loss.'
          : 'Ad hoc databases hold test data; a standby would double the base cost.',
      )
    }
    if (!s.database.deletionProtection) {
      ack.add(
        db,
        'AwsSolutions-RDS10',
        'Ad hoc bases are torn down with `base destroy`; removal leaves a final snapshot (RemovalPolicy.SNAPSHOT).',
      )
    }
    ack.add(
      db,
      'AwsSolutions-SMG4',
      'ECS injects the password at task start; a rotated password would not reach running tasks (§4.1).',
    )

    // Redis (Valkey, protocol-compatible and cheaper), shared through per-env key prefixes
    const redis = redisSg ? this.redis(vpc, redisSg, s) : undefined

    // Assets bucket: generated name, private, per-env prefixes (§7)
    const bucket = new s3.Bucket(this, 'AssetsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: s.protect,
      // No autoDeleteObjects (a Lambda asset): `base destroy` empties the bucket first.
      removalPolicy: retain,
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ...(s.protect ? [{ noncurrentVersionExpiration: Duration.days(30) }] : []),
      ],
    })
    ack.add(
      bucket,
      'AwsSolutions-S1',
      'Only app task roles write, each under its own env prefix; CloudTrail records their API calls. Server access logs would need a second bucket per base.',
    )

    // CloudFront over the bucket, sharing its stack: CDK cannot write an imported bucket's policy.
    const cdn = s.cdn
      ? new StaticCdn(this, 'Cdn', {
          settings: s.cdn,
          bucket,
          zone,
          certificate:
            s.cdn.certificate.kind === 'imported'
              ? acm.Certificate.fromCertificateArn(this, 'CdnCertificate', s.cdn.certificate.arn)
              : baseCertificate(certificate.own, s),
          comment: `djenv ${s.names.baseStack}: static and media files`,
          acknowledgements: ack,
        })
      : undefined

    // Bastion for port forwarding over Session Manager (no inbound, no key, no socat)
    const bastion = bastionSg ? this.bastion(vpc, bastionSg, s) : undefined

    // Ops cluster and the db-admin task (§4.1, §6)
    const opsCluster = new ecs.Cluster(this, 'OpsCluster', {
      clusterName: s.names.opsCluster,
      vpc,
      containerInsightsV2: ecs.ContainerInsights.DISABLED,
    })
    ack.add(
      opsCluster,
      'AwsSolutions-ECS4',
      'The ops cluster runs only short db-admin tasks, whose output is in their log group.',
    )
    const opsLogs = new logs.LogGroup(this, 'OpsLogs', {
      logGroupName: s.names.opsLogGroup,
      retention: s.logRetentionDays,
      removalPolicy: retain,
    })
    const dbAdmin = new ecs.FargateTaskDefinition(this, 'DbAdminTask', {
      family: s.names.dbAdminFamily,
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
    })
    dbAdmin.addContainer('DbAdmin', {
      containerName: s.names.dbAdminContainer,
      image: ecs.ContainerImage.fromRegistry(
        `public.ecr.aws/docker/library/postgres:${s.database.engineMajor}-alpine`,
      ),
      essential: true,
      // djenv overrides the command; run bare, the task only checks that the server answers.
      command: ['pg_isready'],
      environment: {
        PGHOST: db.dbInstanceEndpointAddress,
        PGPORT: db.dbInstanceEndpointPort,
        PGUSER: MASTER_USER,
        PGDATABASE: 'postgres',
        PGSSLMODE: 'require',
      },
      secrets: { PGPASSWORD: ecs.Secret.fromSecretsManager(dbSecret, 'password') },
      logging: ecs.LogDrivers.awsLogs({
        logGroup: opsLogs,
        streamPrefix: s.names.dbAdminContainer,
      }),
    })
    ack.add(
      dbAdmin,
      'AwsSolutions-ECS2',
      'The environment holds connection settings only; the password arrives as an ECS secret.',
    )

    // Outputs and their SSM copies (§3)
    const out = (key: BaseOutputKey, value: string | string[]) =>
      publish(this, s.names.ssmRoot, key, BASE_OUTPUTS[key], value)
    out('SchemaVersion', BASE_SCHEMA_VERSION)
    out('Kind', s.kind)
    out('VpcId', vpc.vpcId)
    out('AvailabilityZones', s.availabilityZones)
    out('PrivateSubnetIds', vpc.selectSubnets({ subnetGroupName: 'app' }).subnetIds)
    out('AppSecurityGroupId', appSg.securityGroupId)
    out('AlbSecurityGroupId', albSg.securityGroupId)
    out('AlbArn', alb.loadBalancerArn)
    out('AlbDnsName', alb.loadBalancerDnsName)
    out('AlbCanonicalHostedZoneId', alb.loadBalancerCanonicalHostedZoneId)
    out('HttpsListenerArn', https.listenerArn)
    out('DomainName', s.domain)
    out('HostedZoneId', s.hostedZoneId)
    out('DbHost', db.dbInstanceEndpointAddress)
    out('DbPort', db.dbInstanceEndpointPort)
    out('DbMasterSecretArn', dbSecret.secretArn)
    if (redis) {
      out('RedisHost', redis.host)
      out('RedisPort', redis.port)
    }
    out('AssetsBucketName', bucket.bucketName)
    out('OpsClusterName', opsCluster.clusterName)
    out('DbAdminTaskFamily', s.names.dbAdminFamily)
    out('DbAdminContainerName', s.names.dbAdminContainer)
    if (bastion) out('BastionInstanceId', bastion.instanceId)
    if (cdn) {
      out('CdnDomainName', cdn.settings.host)
      out('CdnDistributionId', cdn.distribution.distributionId)
      out('CdnMedia', cdn.settings.media)
    }
  }

  /** The HTTPS listener's certificate: imported by ARN, or the base's own, DNS-validated. */
  private certificate(
    s: BaseSettings,
    zone: route53.IHostedZone,
  ): { listener: elbv2.IListenerCertificate; own?: acm.ICertificate } {
    if (s.certificate.kind === 'imported') {
      return { listener: elbv2.ListenerCertificate.fromArn(s.certificate.arn) }
    }
    const own = new acm.Certificate(this, 'Certificate', {
      domainName: s.certificate.domainName,
      subjectAlternativeNames: s.certificate.alternativeNames,
      validation: acm.CertificateValidation.fromDns(zone),
    })
    return { listener: own, own }
  }

  private redis(
    vpc: ec2.IVpc,
    sg: ec2.ISecurityGroup,
    s: BaseSettings,
  ): { host: string; port: string } {
    const subnets = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: `djenv ${s.names.baseStack} Redis subnets`,
      subnetIds: vpc.selectSubnets({ subnetGroupName: 'data' }).subnetIds,
    })
    const failover = s.redisNodes > 1
    const group = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: `djenv ${s.names.baseStack} Redis`,
      engine: 'valkey',
      engineVersion: '8.0',
      cacheNodeType: failover ? 'cache.t4g.small' : 'cache.t4g.micro',
      numCacheClusters: s.redisNodes,
      automaticFailoverEnabled: failover,
      multiAzEnabled: failover,
      port: REDIS_PORT,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [sg.securityGroupId],
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: false,
    })
    const ack = this.acknowledgements
    ack.add(
      group,
      'AwsSolutions-AEC3',
      'Encrypted at rest; in-transit TLS is a production option (§5) that every app would have to speak. Only the app and bastion security groups reach the port, inside the VPC.',
    )
    ack.add(
      group,
      'AwsSolutions-AEC6',
      'AUTH needs in-transit TLS and a token in every app; only the app and bastion security groups reach the port.',
    )
    if (!failover) {
      ack.add(
        group,
        'AwsSolutions-AEC4',
        'One node per ad hoc base: losing it drops queued test jobs and cache entries, nothing more.',
      )
    }
    return { host: group.attrPrimaryEndPointAddress, port: group.attrPrimaryEndPointPort }
  }

  private bastion(vpc: ec2.IVpc, sg: ec2.ISecurityGroup, s: BaseSettings): ec2.Instance {
    const bastion = new ec2.Instance(this, 'Bastion', {
      vpc,
      vpcSubnets: { subnetGroupName: 'app' },
      securityGroup: sg,
      instanceName: `${s.names.baseStack}-bastion`,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
      // Amazon Linux 2023, resolved at deploy time from the public SSM parameter.
      machineImage: amazonLinux2023Arm(),
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(8, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
          }),
        },
      ],
    })
    hardenInstance(bastion)
    const ack = this.acknowledgements
    ack.add(
      bastion,
      'AwsSolutions-EC28',
      'The bastion only relays Session Manager port forwarding; basic monitoring is enough for it.',
    )
    ack.add(
      bastion,
      'AwsSolutions-EC29',
      'The bastion holds no state; a deleted one is recreated by the next base deploy.',
    )
    ack.add(
      bastion,
      'AwsSolutions-IAM5[Resource::*]',
      'The minimal Session Manager instance permissions (ssm:UpdateInstanceInformation and the ssmmessages channel actions) support no resource-level restriction.',
    )
    // The minimal Session Manager instance permissions; these actions take no resource ARN.
    bastion.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'ssm:UpdateInstanceInformation',
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        resources: ['*'],
      }),
    )
    return bastion
  }
}

/** The base's own `*.<domain>` certificate, which settings pick for the CDN in us-east-1 only. */
function baseCertificate(own: acm.ICertificate | undefined, s: BaseSettings): acm.ICertificate {
  if (!own) throw new Error(`${s.names.baseStack} has no certificate of its own for its CDN`)
  return own
}

/** IMDSv2 only, and an encrypted root volume where the construct does not set one. */
function hardenInstance(instance: ec2.Instance): void {
  const cfn = instance.instance
  cfn.metadataOptions = {
    httpTokens: 'required',
    httpEndpoint: 'enabled',
    httpPutResponseHopLimit: 1,
  }
  if (cfn.blockDeviceMappings === undefined) {
    cfn.blockDeviceMappings = [
      { deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', volumeSize: 8 } },
    ]
  }
}

/** Amazon Linux 2023 on Graviton, resolved at deploy time from its public SSM parameter (§1.3). */
function amazonLinux2023Arm(): ec2.IMachineImage {
  return ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 })
}
