import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as ecr from 'aws-cdk-lib/aws-ecr'
import * as ecs from 'aws-cdk-lib/aws-ecs'
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as route53 from 'aws-cdk-lib/aws-route53'
import * as targets from 'aws-cdk-lib/aws-route53-targets'
import * as s3 from 'aws-cdk-lib/aws-s3'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import type { Construct } from 'constructs'

import type { DjenvVariable } from '../config/environment.js'
import type { TaskName } from '../config/naming.js'
import type { ServiceName } from '../config/schema.js'
import { Acknowledgements, type Acknowledging } from './acknowledgements.js'
import { djenvTags, publish, tagResources } from './common.js'
import { APP_OUTPUTS, type AppOutputKey } from './outputs.js'
import {
  PROD_REQUESTS_PER_TARGET,
  type AppSettings,
  type ServicePlan,
  type TaskSize,
} from './settings.js'

/**
 * One environment's app (infrastructure.md §4.3, §5): its cluster, services, migrate task,
 * target group, listener rule, DNS records, logs and roles. Every base value arrives as a
 * string and is imported by attribute, so the base template never changes and nothing is
 * exported or imported between stacks (§1.1).
 */
export class AppStack extends Stack implements Acknowledging {
  readonly acknowledgements = new Acknowledgements()

  /** The ARN of an SSM parameter (or `…/*` path) of this account and region, by full name. */
  parameterArn(name: string): string {
    return this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1) })
  }

  constructor(scope: Construct, s: AppSettings) {
    const { names, base } = s
    const tags = djenvTags({
      project: names.project,
      base: names.base,
      env: names.env,
      kind: s.kind,
    })
    super(scope, names.appStack, {
      stackName: names.appStack,
      env: s.target,
      description: `djenv ${s.kind === 'prod' ? 'production' : 'ad hoc'} env ${names.env} of ${names.project}`,
      terminationProtection: s.kind === 'prod',
      analyticsReporting: false,
      tags,
    })
    tagResources(this, tags)
    const ack = this.acknowledgements

    // Base values, imported by attribute from plain strings
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: base.vpcId,
      availabilityZones: base.availabilityZones,
      privateSubnetIds: base.privateSubnetIds,
    })
    ack.add(
      vpc,
      'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      'App stacks add no routes or gateway endpoints; routing belongs to the base.',
    )
    // Immutable: a mutable import would add ingress rules the base already has.
    const appSg = ec2.SecurityGroup.fromSecurityGroupId(
      this,
      'AppSecurityGroup',
      base.appSecurityGroupId,
      {
        mutable: false,
      },
    )
    const albSg = ec2.SecurityGroup.fromSecurityGroupId(
      this,
      'AlbSecurityGroup',
      base.albSecurityGroupId,
      {
        mutable: false,
      },
    )
    const listener = elbv2.ApplicationListener.fromApplicationListenerAttributes(
      this,
      'HttpsListener',
      {
        listenerArn: base.httpsListenerArn,
        securityGroup: albSg,
      },
    )
    const alb = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(this, 'Alb', {
      loadBalancerArn: base.albArn,
      securityGroupId: base.albSecurityGroupId,
      loadBalancerDnsName: base.albDnsName,
      loadBalancerCanonicalHostedZoneId: base.albCanonicalHostedZoneId,
    })
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: base.hostedZoneId,
      zoneName: base.domainName,
    })
    const masterSecret = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'DbMasterSecret',
      base.dbMasterSecretArn,
    )
    const bucket = s3.Bucket.fromBucketName(this, 'AssetsBucket', base.assetsBucketName)
    const repository = ecr.Repository.fromRepositoryName(this, 'Repository', s.repository)

    // Cluster with explicit capacity providers (§4.3)
    const cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: names.cluster,
      // Without `vpc` a Cluster creates its own VPC with NAT gateways.
      vpc,
      containerInsightsV2: s.containerInsights
        ? ecs.ContainerInsights.ENABLED
        : ecs.ContainerInsights.DISABLED,
    })
    if (!s.containerInsights) {
      ack.add(
        cluster,
        'AwsSolutions-ECS4',
        'Ad hoc envs skip Container Insights: one cluster per env makes its metrics a fixed cost per PR. Production enables it.',
      )
    }
    const capacity = new ecs.CfnClusterCapacityProviderAssociations(this, 'CapacityProviders', {
      cluster: cluster.clusterName,
      capacityProviders: s.capacityProviders,
      defaultCapacityProviderStrategy: [{ capacityProvider: s.capacityProvider, weight: 1 }],
    })

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: names.logGroup,
      retention: s.logRetentionDays,
      removalPolicy: s.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    })

    // Roles shared by the env's task definitions (two roles per env, not eight)
    const executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: ecsTasks(s),
      description: `djenv ${names.appStack}: pulls images, writes logs, reads the env's secrets`,
    })
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: ecsTasks(s),
      description: `djenv ${names.appStack}: the app's own permissions`,
    })
    grantAssets(taskRole, bucket, [names.staticPrefix, names.mediaPrefix])
    ack.add(
      taskRole,
      `AwsSolutions-IAM5[Resource::${bucket.arnForObjects(`${names.staticPrefix}/*`)}]`,
      "The env's collectstatic output: objects under its own static prefix only.",
    )
    ack.add(
      taskRole,
      `AwsSolutions-IAM5[Resource::${bucket.arnForObjects(`${names.mediaPrefix}/*`)}]`,
      "The env's uploads: objects under its own media prefix only.",
    )

    const environment = (task: TaskName): Record<string, string> => ({
      ...(djangoEnvironment(s) as Record<string, string>),
      DJENV_SERVICE: task,
      // The schema and settings refuse names djenv sets, so these never shadow one (§8).
      ...s.environment,
    })
    // SECRET_KEY, POSTGRES_PASSWORD, then the user's secrets by name.
    const [secretKey, ...userSecrets] = s.secrets.map(
      (secret) =>
        [secret.name, new SsmPathSecret(this.parameterArn(secret.parameterName))] as const,
    )
    const secrets: Record<string, ecs.Secret> = Object.fromEntries([
      ...(secretKey ? [secretKey] : []),
      ['POSTGRES_PASSWORD', ecs.Secret.fromSecretsManager(masterSecret, 'password')],
      ...userSecrets,
    ])
    grantSecretPaths(this, executionRole, s)
    const taskDefinition = (
      task: TaskName,
      command: string[],
      size: TaskSize,
      imageTag: string,
      opts: {
        port?: number
        stopTimeoutSeconds?: number
      },
    ) => {
      const def = new ecs.FargateTaskDefinition(this, `${title(task)}Task`, {
        family: names.families[task],
        cpu: size.cpu,
        memoryLimitMiB: size.memory,
        runtimePlatform: {
          operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
          cpuArchitecture: ecs.CpuArchitecture.X86_64,
        },
        executionRole,
        taskRole,
      })
      def.addContainer(title(task), {
        // The update flow edits the container named like the service (§9.2).
        containerName: task,
        image: ecs.ContainerImage.fromEcrRepository(repository, imageTag),
        essential: true,
        command,
        environment: environment(task),
        secrets,
        // Reaps the children ECS Exec sessions leave behind.
        linuxParameters: new ecs.LinuxParameters(this, `${title(task)}Linux`, {
          initProcessEnabled: true,
        }),
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: task }),
        ...(opts.port === undefined
          ? {}
          : { portMappings: [{ containerPort: opts.port, name: task }] }),
        ...(opts.stopTimeoutSeconds === undefined
          ? {}
          : { stopTimeout: Duration.seconds(opts.stopTimeoutSeconds) }),
      })
      ack.add(
        def,
        'AwsSolutions-ECS2',
        "The environment holds names, endpoints and the configuration's plain settings only (§8); SECRET_KEY, POSTGRES_PASSWORD and every `djenv secret` arrive as ECS secrets.",
      )
      return def
    }

    // Web target group and its rule on the base's HTTPS listener
    const targetGroup = new elbv2.ApplicationTargetGroup(this, 'WebTargetGroup', {
      vpc,
      port: s.webPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(s.deregistrationDelaySeconds),
      healthCheck: {
        path: s.healthCheckPath,
        healthyHttpCodes: '200-399',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    })
    new elbv2.ApplicationListenerRule(this, 'WebRule', {
      listener,
      priority: s.listenerPriority,
      conditions: [elbv2.ListenerCondition.hostHeaders(s.hosts)],
      targetGroups: [targetGroup],
    })

    const services: ecs.FargateService[] = []
    for (const plan of s.services) {
      const def = taskDefinition(plan.name, plan.command, plan.size, plan.imageTag, {
        ...(plan.name === 'web' ? { port: s.webPort } : {}),
        ...(plan.stopTimeoutSeconds === undefined
          ? {}
          : { stopTimeoutSeconds: plan.stopTimeoutSeconds }),
      })
      const service = new ecs.FargateService(this, `${title(plan.name)}Service`, {
        cluster,
        serviceName: plan.name,
        taskDefinition: def,
        ...(plan.desiredCount === undefined ? {} : { desiredCount: plan.desiredCount }),
        minHealthyPercent: plan.minHealthyPercent,
        maxHealthyPercent: plan.maxHealthyPercent,
        ...(plan.name === 'web' ? { healthCheckGracePeriod: Duration.seconds(60) } : {}),
        circuitBreaker: { rollback: true },
        enableExecuteCommand: true,
        propagateTags: ecs.PropagatedTagSource.SERVICE,
        enableECSManagedTags: true,
        securityGroups: [appSg],
        vpcSubnets: { subnets: vpc.privateSubnets },
        assignPublicIp: false,
        capacityProviderStrategies: [{ capacityProvider: s.capacityProvider, weight: 1 }],
      })
      // CDK adds no such dependency; without it a delete may remove the association first (§4.3).
      service.node.addDependency(capacity)
      if (plan.name === 'web') {
        targetGroup.addTarget(
          service.loadBalancerTarget({ containerName: 'web', containerPort: s.webPort }),
        )
      }
      if (plan.autoscaling) autoscale(service, plan, targetGroup)
      services.push(service)
    }
    ack.add(
      taskRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ECS Exec: the ssmmessages channel actions support no resource-level restriction (added by CDK for enableExecuteCommand).',
    )
    ack.add(
      executionRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken supports no resource-level restriction; image pulls are limited to the configured repository.',
    )
    taskDefinition('migrate', s.migrate.command, s.migrate.size, s.migrate.imageTag, {})

    // DNS
    for (const host of s.hosts) {
      const target = route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(alb))
      new route53.ARecord(this, `A ${host}`, { zone, recordName: host, target })
      if (s.recordTypes.includes('AAAA'))
        new route53.AaaaRecord(this, `AAAA ${host}`, { zone, recordName: host, target })
    }

    // Outputs and their SSM copies (§3)
    const out = (key: AppOutputKey, value: string | string[]) =>
      publish(this, names.envSsmRoot, key, APP_OUTPUTS[key], value)
    out('ClusterName', cluster.clusterName)
    out(
      'ServiceNames',
      s.services.map((p) => p.name),
    )
    out('TaskFamilies', [...s.services.map((p) => names.families[p.name]), names.families.migrate])
    out('LogGroupName', names.logGroup)
    out('Url', names.url)
    out('ListenerRulePriority', String(s.listenerPriority))
    out('DatabaseName', names.databaseName)
    out('TargetGroupArn', targetGroup.targetGroupArn)
  }
}

/**
 * An ECS secret read from an SSM parameter by ARN. Its read permission is not granted per
 * parameter: `grantSecretPaths` grants the env's and the base's secret paths once.
 */
class SsmPathSecret extends ecs.Secret {
  readonly hasField = false

  constructor(readonly arn: string) {
    super()
  }

  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.drop(grantee, 'ssm:GetParameters on the secret paths (grantSecretPaths)')
  }
}

/**
 * ECS reads every secret at task start with the execution role: `ssm:GetParameters` on the
 * env's and its base's secret paths (nothing wider), and `kms:Decrypt` through SSM with the
 * configured key. The AWS managed key aws/ssm needs no grant (§4.3).
 */
function grantSecretPaths(stack: AppStack, role: iam.Role, s: AppSettings): void {
  const paths = s.secretPaths.map((path) => stack.parameterArn(`${path}/*`))
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameters'], resources: paths }))
  for (const [i, path] of paths.entries()) {
    stack.acknowledgements.add(
      role,
      `AwsSolutions-IAM5[Resource::${path}]`,
      i === 0
        ? "ECS reads the env's secrets at task start: parameters under its own secret path only, which djenv writes."
        : "ECS reads the secrets the base's envs share: parameters under the base's secret path only.",
    )
  }
  if (s.secretsKmsKey !== undefined) {
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [
          s.secretsKmsKey.startsWith('arn:')
            ? s.secretsKmsKey
            : stack.formatArn({ service: 'kms', resource: 'key', resourceName: s.secretsKmsKey }),
        ],
        conditions: { StringEquals: { 'kms:ViaService': `ssm.${s.target.region}.amazonaws.com` } },
      }),
    )
  }
}

/** ECS tasks of this account only (confused-deputy protection). */
function ecsTasks(s: AppSettings): iam.IPrincipal {
  return new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({
    StringEquals: { 'aws:SourceAccount': s.target.account },
  })
}

/** Object access under the env's own prefixes, and listing of those prefixes only (§4.3). */
function grantAssets(role: iam.Role, bucket: s3.IBucket, prefixes: string[]): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: prefixes.map((p) => bucket.arnForObjects(`${p}/*`)),
    }),
  )
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.flatMap((p) => [`${p}/`, `${p}/*`]) } },
    }),
  )
}

function autoscale(
  service: ecs.FargateService,
  plan: ServicePlan,
  targetGroup: elbv2.ApplicationTargetGroup,
): void {
  if (!plan.autoscaling) return
  const scaling = service.autoScaleTaskCount({
    minCapacity: plan.autoscaling.min,
    maxCapacity: plan.autoscaling.max,
  })
  scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 })
  if (plan.name === 'web') {
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: PROD_REQUESTS_PER_TARGET,
      targetGroup,
    })
  }
}

/**
 * The container environment every task of an env shares (§8); DJENV_SERVICE is added per
 * task. Typed by the reserved list, so a variable djenv sets is one the configuration may not.
 */
export function djangoEnvironment(s: AppSettings): Partial<Record<DjenvVariable, string>> {
  const { names, base } = s
  const host = s.hosts[0] as string
  return {
    DJANGO_SETTINGS_MODULE: s.settingsModule,
    DEBUG: '0',
    APP_NAME: names.env,
    BASE_STACK_NAME: names.base,
    DOMAIN_NAME: base.domainName,
    FRONTEND_URL: `https://${host}`,
    POSTGRES_SERVICE_HOST: base.dbHost,
    POSTGRES_SERVICE_PORT: base.dbPort,
    POSTGRES_NAME: names.databaseName,
    POSTGRES_USERNAME: 'postgres',
    ...(base.redisHost === undefined ? {} : { REDIS_SERVICE_HOST: base.redisHost }),
    S3_BUCKET_NAME: base.assetsBucketName,
    AWS_REGION: s.target.region,
    AWS_DEFAULT_REGION: s.target.region,
    DJENV_PROJECT: names.project,
    DJENV_BASE: names.base,
    DJENV_ENV: names.env,
    DJENV_KIND: s.kind,
    DJENV_HOST: host,
    DJENV_URL: `https://${host}`,
    DJENV_STATIC_LOCATION: names.staticPrefix,
    DJENV_MEDIA_LOCATION: names.mediaPrefix,
    ...filesEnvironment(s),
    DJENV_REDIS_PREFIX: names.redisPrefix,
  }
}

/**
 * Where the env's files are served (§7): the base's CDN host for django-storages'
 * `custom_domain`, and URLs under the env's prefixes. Empty without a CDN, and the media URL
 * is empty when media are linked by pre-signed S3 URLs.
 */
function filesEnvironment(
  s: AppSettings,
): Pick<Record<DjenvVariable, string>, 'DJENV_CDN_HOST' | 'DJENV_STATIC_URL' | 'DJENV_MEDIA_URL'> {
  const { cdnHost, cdnMedia } = s.base
  if (cdnHost === undefined)
    return { DJENV_CDN_HOST: '', DJENV_STATIC_URL: '', DJENV_MEDIA_URL: '' }
  return {
    DJENV_CDN_HOST: cdnHost,
    DJENV_STATIC_URL: `https://${cdnHost}/${s.names.staticPrefix}/`,
    DJENV_MEDIA_URL: cdnMedia === 'cdn' ? `https://${cdnHost}/${s.names.mediaPrefix}/` : '',
  }
}

function title(task: TaskName | ServiceName): string {
  return task.charAt(0).toUpperCase() + task.slice(1)
}
