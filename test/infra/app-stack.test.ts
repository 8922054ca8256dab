import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { Match, type Template } from 'aws-cdk-lib/assertions'
import type * as ecs from 'aws-cdk-lib/aws-ecs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { AppStack } from '../../src/infra/app-stack.js'
import {
  APP_OUTPUTS,
  addAdhocAppStack,
  addAdhocBaseStack,
  addProdAppStack,
  placeholderBaseAttributes,
  type BaseAttributes,
} from '../../src/infra/index.js'
import { resolveAdhocAppSettings, resolveProdAppSettings } from '../../src/infra/settings.js'
import {
  ACCOUNT,
  CDN_CERTIFICATE_ARN,
  SHOP_TAGS,
  leanConfig,
  normalize,
  only,
  resources,
  shopConfig,
  synthWithout,
  tagsOf,
  testApp,
  unusedAcknowledgements,
  type TestApp,
} from './helpers.js'

const config = shopConfig()
const adhocBase = placeholderBaseAttributes(config, { kind: 'adhoc' }, ACCOUNT)
const prodBase = placeholderBaseAttributes(config, { kind: 'prod', name: 'prod' }, ACCOUNT)
const TAGS = { web: 'web-1a2b', worker: 'worker-3c4d', beat: 'beat-5e6f', migrate: 'migrate-7a8b' }
const PR42 = {
  config,
  account: ACCOUNT,
  env: 'pr-42',
  listenerPriority: 1230,
  base: adhocBase,
  imageTags: TAGS,
  desiredCounts: { web: 2, worker: 1, beat: 1 },
  secrets: [
    { name: 'STRIPE_API_KEY', from: 'base' },
    { name: 'SENTRY_DSN', from: 'base' },
    { name: 'SENTRY_DSN', from: 'env' },
  ],
} as const
const SSM = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter`

type Container = {
  Name: string
  Image: string
  Command?: string[]
  Environment: { Name: string; Value: unknown }[]
  Secrets: { Name: string; ValueFrom: unknown }[]
  LinuxParameters?: { InitProcessEnabled?: boolean }
  StopTimeout?: number
  PortMappings?: { ContainerPort: number }[]
  LogConfiguration: { Options: Record<string, unknown> }
}

function taskDefinitions(
  template: Template,
): Record<string, { props: Record<string, unknown>; container: Container }> {
  return Object.fromEntries(
    Object.values(resources(template, 'AWS::ECS::TaskDefinition')).map((r) => {
      const containers = r.Properties?.ContainerDefinitions as Container[]
      expect(containers).toHaveLength(1)
      return [
        String(r.Properties?.Family),
        { props: r.Properties ?? {}, container: containers[0]! },
      ]
    }),
  )
}

function services(
  template: Template,
): Record<string, { logicalId: string; props: Record<string, unknown>; dependsOn: string[] }> {
  const all = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }
  >
  return Object.fromEntries(
    Object.entries(all)
      .filter(([, r]) => r.Type === 'AWS::ECS::Service')
      .map(([id, r]) => [
        String(r.Properties.ServiceName),
        { logicalId: id, props: r.Properties, dependsOn: r.DependsOn ?? [] },
      ]),
  )
}

function environment(container: Container): Record<string, unknown> {
  return Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]))
}

/** Every Resource of every IAM policy statement in the template, with its actions. */
function statements(
  template: Template,
  rolePrefix: string,
): { Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  return Object.values(resources(template, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles).includes(`"${rolePrefix}`))
    .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: never[] }).Statement)
}

describe('ad hoc app stack', () => {
  let t: TestApp
  let template: Template
  let stack: AppStack

  beforeAll(() => {
    t = testApp()
    stack = addAdhocAppStack(t.app, PR42)
    template = t.template(stack)
  })
  afterAll(() => t.cleanup())

  it('is the stack <project>-<base>-<env>, pinned to the account and region', () => {
    const artifact = t.synth().getStackByName('shop-dev-pr-42')

    expect(stack.node.id).toBe('shop-dev-pr-42')
    expect(artifact.environment).toMatchObject({ account: ACCOUNT, region: 'eu-west-1' })
    expect(artifact.terminationProtection ?? false).toBe(false)
  })

  it('passes CloudFormation validation and cdk-nag with nothing left unacknowledged', () => {
    const report = t.validationReport()

    expect(
      report.pluginReports.flatMap((p) =>
        p.violations.map((v) => `${p.pluginName}: ${v.ruleName}`),
      ),
    ).toEqual([])
  })

  it('acknowledges only findings the AwsSolutions pack reports', () => {
    expect(
      unusedAcknowledgements((app) => new AppStack(app, resolveAdhocAppSettings(PR42))),
    ).toEqual([])
  })

  it('fails synthesis when an acknowledgement is dropped', () => {
    const synth = synthWithout(
      'AwsSolutions-ECS4',
      (app) => new AppStack(app, resolveAdhocAppSettings(PR42)),
    )

    expect(synth).toThrow(/AwsSolutions-ECS4/)
  })

  it('creates no security group, rule or export, and imports nothing from another stack', () => {
    const text = JSON.stringify(template.toJSON())
    const types = new Set(Object.values(resources(template)).map((r) => r.Type))

    expect([...types].filter((type) => type.startsWith('AWS::EC2::'))).toEqual([])
    expect(text).not.toContain('Fn::ImportValue')
    expect(text).not.toContain('"Export"')
  })

  it('runs a cluster without Container Insights on Fargate Spot, with an explicit association every service waits for', () => {
    const association = only(template, 'AWS::ECS::ClusterCapacityProviderAssociations')

    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'shop-dev-pr-42',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }],
    })
    expect(association.Properties).toMatchObject({
      CapacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
    })
    for (const [name, svc] of Object.entries(services(template))) {
      expect(svc.dependsOn, name).toContain(association.logicalId)
      expect(svc.props.CapacityProviderStrategy, name).toEqual([
        { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
      ])
    }
  })

  it('runs web, worker and beat with the given counts and per-service deployment settings', () => {
    const svcs = services(template)

    expect(Object.keys(svcs).sort()).toEqual(['beat', 'web', 'worker'])
    expect(svcs.web?.props).toMatchObject({
      DesiredCount: 2,
      DeploymentConfiguration: {
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      },
      HealthCheckGracePeriodSeconds: 60,
    })
    expect(svcs.worker?.props).toMatchObject({
      DesiredCount: 1,
      DeploymentConfiguration: {
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      },
    })
    expect(svcs.beat?.props).toMatchObject({
      DesiredCount: 1,
      DeploymentConfiguration: {
        MinimumHealthyPercent: 0,
        MaximumPercent: 100,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      },
    })
    for (const [name, svc] of Object.entries(svcs)) {
      expect(svc.props, name).toMatchObject({
        EnableExecuteCommand: true,
        PropagateTags: 'SERVICE',
        EnableECSManagedTags: true,
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            AssignPublicIp: 'DISABLED',
            SecurityGroups: [adhocBase.appSecurityGroupId],
            Subnets: adhocBase.privateSubnetIds,
          },
        },
      })
    }
  })

  it('defines one task per service plus migrate: family, container name, image, size and command', () => {
    const defs = taskDefinitions(template)

    expect(Object.keys(defs).sort()).toEqual([
      'shop-dev-pr-42-beat',
      'shop-dev-pr-42-migrate',
      'shop-dev-pr-42-web',
      'shop-dev-pr-42-worker',
    ])
    for (const task of ['web', 'worker', 'beat', 'migrate'] as const) {
      const def = defs[`shop-dev-pr-42-${task}`]!
      expect(def.props, task).toMatchObject({
        Cpu: '256',
        Memory: '512',
        NetworkMode: 'awsvpc',
        RequiresCompatibilities: ['FARGATE'],
        RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      })
      expect(def.container.Name).toBe(task)
      expect(JSON.stringify(def.container.Image), task).toMatch(
        new RegExp(`"${ACCOUNT}\\.dkr\\.ecr\\.eu-west-1\\.".*"/shop:${TAGS[task]}"`),
      )
      expect(def.container.LinuxParameters?.InitProcessEnabled, task).toBe(true)
      expect(def.container.LogConfiguration.Options).toMatchObject({
        'awslogs-stream-prefix': task,
      })
    }
    expect(defs['shop-dev-pr-42-web']!.container.Command).toEqual([
      'gunicorn',
      'shop.wsgi:application',
      '--bind',
      '0.0.0.0:8000',
      '--workers',
      '2',
      '--keep-alive',
      '75',
    ])
    expect(defs['shop-dev-pr-42-web']!.container.PortMappings).toEqual([
      expect.objectContaining({ ContainerPort: 8000 }),
    ])
    expect(defs['shop-dev-pr-42-worker']!.container.StopTimeout).toBe(120)
    expect(defs['shop-dev-pr-42-migrate']!.container.Command).toEqual([
      'python',
      'manage.py',
      'migrate',
      '--noinput',
    ])
    expect(defs['shop-dev-pr-42-migrate']!.container.PortMappings).toBeUndefined()
  })

  it('gives every container the env, base and Django settings of infrastructure.md §8', () => {
    const defs = taskDefinitions(template)

    for (const task of ['web', 'worker', 'beat', 'migrate'] as const) {
      expect(environment(defs[`shop-dev-pr-42-${task}`]!.container), task).toEqual({
        DJANGO_SETTINGS_MODULE: 'shop.settings.production',
        DEBUG: '0',
        APP_NAME: 'pr-42',
        BASE_STACK_NAME: 'dev',
        DOMAIN_NAME: 'shop.example.com',
        FRONTEND_URL: 'https://pr-42.shop.example.com',
        POSTGRES_SERVICE_HOST: adhocBase.dbHost,
        POSTGRES_SERVICE_PORT: '5432',
        POSTGRES_NAME: 'pr_42',
        POSTGRES_USERNAME: 'postgres',
        REDIS_SERVICE_HOST: adhocBase.redisHost,
        S3_BUCKET_NAME: adhocBase.assetsBucketName,
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
        DJENV_PROJECT: 'shop',
        DJENV_BASE: 'dev',
        DJENV_ENV: 'pr-42',
        DJENV_KIND: 'adhoc',
        DJENV_SERVICE: task,
        DJENV_HOST: 'pr-42.shop.example.com',
        DJENV_URL: 'https://pr-42.shop.example.com',
        DJENV_STATIC_LOCATION: 'pr-42/static',
        DJENV_MEDIA_LOCATION: 'pr-42/media',
        DJENV_CDN_HOST: 'static.shop.example.com',
        DJENV_STATIC_URL: 'https://static.shop.example.com/pr-42/static/',
        DJENV_MEDIA_URL: 'https://static.shop.example.com/pr-42/media/',
        DJENV_REDIS_PREFIX: 'pr-42:',
        // The configuration's plain settings: `environment`, then `adhoc.environment`.
        DJANGO_LOG_LEVEL: 'INFO',
        STRIPE_MODE: 'test',
      })
    }
  })

  it('injects the secret key, the database password and every given secret as ECS secrets by ARN, the env winning over the base', () => {
    const defs = taskDefinitions(template)

    for (const [family, def] of Object.entries(defs)) {
      expect(def.container.Secrets, family).toEqual([
        { Name: 'SECRET_KEY', ValueFrom: `${SSM}/djenv/shop/pr-42/secrets/SECRET_KEY` },
        { Name: 'POSTGRES_PASSWORD', ValueFrom: `${adhocBase.dbMasterSecretArn}:password::` },
        { Name: 'SENTRY_DSN', ValueFrom: `${SSM}/djenv/shop/pr-42/secrets/SENTRY_DSN` },
        { Name: 'STRIPE_API_KEY', ValueFrom: `${SSM}/djenv/shop/dev/secrets/STRIPE_API_KEY` },
      ])
      const plain = def.container.Environment.map((e) => e.Name)
      expect(plain.filter((name) => def.container.Secrets.some((x) => x.Name === name))).toEqual([])
    }
  })

  it('sets only names the configuration may not: every variable djenv sets is refused as a plain setting', () => {
    const web = taskDefinitions(template)['shop-dev-pr-42-web']!.container
    const djenvNames = web.Environment.map((e) => e.Name).filter(
      (name) => !['DJANGO_LOG_LEVEL', 'STRIPE_MODE'].includes(name),
    )

    expect(djenvNames.length).toBeGreaterThan(20)
    const djenvSecrets = web.Secrets.map((x) => x.Name).filter(
      (name) => !PR42.secrets.some((ref) => ref.name === name),
    )

    expect(djenvSecrets).toEqual(['SECRET_KEY', 'POSTGRES_PASSWORD'])
    for (const name of [...djenvNames, ...djenvSecrets]) {
      expect(() => shopConfig({ environment: { [name]: 'x' } }), name).toThrow(
        new RegExp(`environment\\.${name}: clashes with`),
      )
    }
  })

  it('logs to the env group for 3 days and deletes it with the env', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ LogGroupName: '/djenv/shop/dev/pr-42', RetentionInDays: 3 }),
      DeletionPolicy: 'Delete',
    })
  })

  it('forwards <env>.<domain> at the given priority on the base HTTPS listener to an IP target group', () => {
    const group = only(template, 'AWS::ElasticLoadBalancingV2::TargetGroup')

    expect(group.Properties).toMatchObject({
      TargetType: 'ip',
      Port: 8000,
      Protocol: 'HTTP',
      VpcId: adhocBase.vpcId,
      HealthCheckPath: '/api/health-check/',
      Matcher: { HttpCode: '200-399' },
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      TargetGroupAttributes: expect.arrayContaining([
        { Key: 'deregistration_delay.timeout_seconds', Value: '10' },
      ]),
    })
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: adhocBase.httpsListenerArn,
      Priority: 1230,
      Conditions: [
        { Field: 'host-header', HostHeaderConfig: { Values: ['pr-42.shop.example.com'] } },
      ],
      Actions: [{ Type: 'forward', TargetGroupArn: { Ref: group.logicalId } }],
    })
    expect(services(template).web?.props.LoadBalancers).toEqual([
      { ContainerName: 'web', ContainerPort: 8000, TargetGroupArn: { Ref: group.logicalId } },
    ])
  })

  it('points an alias A record for <env>.<domain> at the base load balancer', () => {
    const record = only(template, 'AWS::Route53::RecordSet')

    expect(record.Properties).toEqual({
      Name: 'pr-42.shop.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: {
        DNSName: `dualstack.${adhocBase.albDnsName}`,
        HostedZoneId: adhocBase.albCanonicalHostedZoneId,
      },
    })
  })

  it("lets the execution role pull, log and read only the env's and its base's secret paths, and no ECS Exec", () => {
    const exec = statements(template, 'ExecutionRole')

    expect(exec).toEqual([
      {
        Effect: 'Allow',
        Action: 'ssm:GetParameters',
        Resource: [`${SSM}/djenv/shop/dev/secrets/*`, `${SSM}/djenv/shop/pr-42/secrets/*`],
      },
      {
        Effect: 'Allow',
        Action: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
        ],
        Resource: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/shop`,
      },
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Logs/), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: adhocBase.dbMasterSecretArn,
      },
    ])
  })

  it('lets the task role reach only its env prefixes in the bucket, plus the ECS Exec channels', () => {
    const bucket = `arn:aws:s3:::${adhocBase.assetsBucketName}`

    expect(statements(template, 'TaskRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: [`${bucket}/pr-42/media/*`, `${bucket}/pr-42/static/*`],
      },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: bucket,
        Condition: {
          StringLike: {
            's3:prefix': ['pr-42/static/', 'pr-42/static/*', 'pr-42/media/', 'pr-42/media/*'],
          },
        },
      },
      {
        Effect: 'Allow',
        Action: [
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        Resource: '*',
      },
    ])
    template.resourceCountIs('AWS::IAM::Role', 2)
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0)
  })

  it('trusts only ECS tasks of its own account', () => {
    for (const role of Object.values(resources(template, 'AWS::IAM::Role'))) {
      expect(role.Properties?.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          },
        ],
      })
    }
  })

  it('publishes its outputs with fixed ids and no export, mirrored under the env SSM root', () => {
    const outputs = template.toJSON().Outputs as Record<
      string,
      { Value: unknown; Export?: unknown }
    >

    expect(Object.keys(outputs).sort()).toEqual(Object.keys(APP_OUTPUTS).sort())
    expect(outputs.ServiceNames?.Value).toBe('web,worker,beat')
    expect(outputs.TaskFamilies?.Value).toBe(
      'shop-dev-pr-42-web,shop-dev-pr-42-worker,shop-dev-pr-42-beat,shop-dev-pr-42-migrate',
    )
    expect(outputs.LogGroupName?.Value).toBe('/djenv/shop/dev/pr-42')
    expect(outputs.Url?.Value).toBe('https://pr-42.shop.example.com')
    expect(outputs.ListenerRulePriority?.Value).toBe('1230')
    expect(outputs.DatabaseName?.Value).toBe('pr_42')
    expect(outputs.ClusterName?.Value).toEqual({ Ref: expect.stringMatching(/^Cluster/) })
    expect(outputs.TargetGroupArn?.Value).toEqual({ Ref: expect.stringMatching(/^WebTargetGroup/) })
    const parameters = Object.values(resources(template, 'AWS::SSM::Parameter')).map(
      (p) => p.Properties,
    )
    for (const [key, spec] of Object.entries(APP_OUTPUTS)) {
      const parameter = parameters.find((p) => p?.Name === `/djenv/shop/dev/envs/pr-42/${spec.ssm}`)
      expect(parameter, key).toMatchObject({ Type: 'list' in spec ? 'StringList' : 'String' })
      expect(JSON.stringify(parameter?.Value), key).toBe(JSON.stringify(outputs[key]?.Value))
    }
  })

  it('tags every taggable resource with project, base, env and kind', () => {
    const expected = {
      'djenv:project': 'shop',
      'djenv:base': 'dev',
      'djenv:env': 'pr-42',
      'djenv:kind': 'adhoc',
    }
    const tagged = Object.entries(resources(template)).filter(
      ([, r]) => r.Properties?.Tags !== undefined,
    )

    expect(new Set(tagged.map(([, r]) => r.Type))).toEqual(
      new Set([
        'AWS::ECS::Cluster',
        'AWS::ECS::Service',
        'AWS::ECS::TaskDefinition',
        'AWS::IAM::Role',
        'AWS::Logs::LogGroup',
        'AWS::ElasticLoadBalancingV2::TargetGroup',
        'AWS::ElasticLoadBalancingV2::ListenerRule',
        'AWS::SSM::Parameter',
      ]),
    )
    for (const [id, r] of tagged) expect(tagsOf(r.Properties ?? {}), id).toEqual(expected)
    expect(t.synth().getStackByName('shop-dev-pr-42').tags).toEqual(expected)
  })

  it('matches the reviewed template', () => {
    expect(normalize(template.toJSON())).toMatchSnapshot()
  })
})

describe('ad hoc app stack beside its base', () => {
  it('leaves the base template byte-identical, whether 0 or 3 apps are in the app', () => {
    const alone = testApp({ nag: false, validation: false })
    const crowded = testApp({ nag: false, validation: false })
    try {
      addAdhocBaseStack(alone.app, {
        config,
        account: ACCOUNT,
        cdnCertificateArn: CDN_CERTIFICATE_ARN,
      })
      alone.synth()
      addAdhocBaseStack(crowded.app, {
        config,
        account: ACCOUNT,
        cdnCertificateArn: CDN_CERTIFICATE_ARN,
      })
      for (const [i, env] of ['pr-1', 'pr-2', 'feature-login'].entries()) {
        addAdhocAppStack(crowded.app, {
          ...PR42,
          env,
          listenerPriority: 1000 + 10 * i,
          desiredCounts: { web: 0, worker: 0, beat: 0 },
        })
      }
      crowded.synth()

      const read = (dir: string) => readFileSync(join(dir, 'shop-dev.template.json'), 'utf8')
      expect(
        crowded
          .synth()
          .stacks.map((s) => s.stackName)
          .sort(),
      ).toEqual(['shop-dev', 'shop-dev-feature-login', 'shop-dev-pr-1', 'shop-dev-pr-2'])
      expect(read(crowded.outdir)).toBe(read(alone.outdir))
      for (const name of ['shop-dev-pr-1', 'shop-dev-pr-2', 'shop-dev-feature-login']) {
        const text = readFileSync(join(crowded.outdir, `${name}.template.json`), 'utf8')
        expect(text, name).not.toMatch(/Fn::ImportValue|"Export"/)
      }
    } finally {
      alone.cleanup()
      crowded.cleanup()
    }
  })

  it('fails synthesis on an invalid template: built-in validation is on and fatal', () => {
    const t = testApp({ nag: false })
    try {
      const app = addAdhocAppStack(t.app, PR42)
      const web = app.node.findChild('WebService').node.defaultChild as ecs.CfnService
      web.addPropertyOverride('DesiredCount', 'many')

      expect(() => t.synth()).toThrow(/DesiredCount/)
    } finally {
      t.cleanup()
    }
  })
})

describe('ad hoc app stack with a KMS key for secrets', () => {
  const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab'

  it('lets the execution role decrypt with that key through SSM only, and passes cdk-nag', () => {
    const t = testApp()
    try {
      const stack = addAdhocAppStack(t.app, {
        ...PR42,
        config: shopConfig({ secrets: { kmsKey: KEY } }),
      })
      const template = t.template(stack)

      expect(statements(template, 'ExecutionRole')).toContainEqual({
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${KEY}`,
        Condition: { StringEquals: { 'kms:ViaService': 'ssm.eu-west-1.amazonaws.com' } },
      })
      expect(t.validationReport().pluginReports.flatMap((p) => p.violations)).toEqual([])
    } finally {
      t.cleanup()
    }
  })

  // Without a key (aws/ssm) the ad hoc stack's execution role has no kms statement at all:
  // its exact statements are asserted above.
  it('grants a key given by ARN as that ARN', () => {
    const arn = `arn:aws:kms:eu-west-1:210987654321:key/${KEY}`
    const withArn = resolveAdhocAppSettings({
      ...PR42,
      config: shopConfig({ secrets: { kmsKey: arn } }),
    })
    const t = testApp({ nag: false, validation: false })
    try {
      const keyed = t.template(new AppStack(t.app, withArn))
      const decrypts = statements(keyed, 'ExecutionRole').filter(
        (st) => st.Action === 'kms:Decrypt',
      )

      expect(decrypts.map((st) => st.Resource)).toEqual([arn])
    } finally {
      t.cleanup()
    }
  })
})

describe('ad hoc app stack: where static and media files are served', () => {
  /** The web container's file settings on a base with these CDN attributes. */
  function files(base: BaseAttributes): Record<string, unknown> {
    const t = testApp({ nag: false, validation: false })
    try {
      const template = t.template(addAdhocAppStack(t.app, { ...PR42, base }))
      const web = environment(taskDefinitions(template)['shop-dev-pr-42-web']!.container)
      return {
        DJENV_CDN_HOST: web.DJENV_CDN_HOST,
        DJENV_STATIC_URL: web.DJENV_STATIC_URL,
        DJENV_MEDIA_URL: web.DJENV_MEDIA_URL,
        DJENV_STATIC_LOCATION: web.DJENV_STATIC_LOCATION,
        DJENV_MEDIA_LOCATION: web.DJENV_MEDIA_LOCATION,
      }
    } finally {
      t.cleanup()
    }
  }

  it('links media by pre-signed URLs when the base serves no media: no media URL, static still on the CDN', () => {
    expect(files({ ...adhocBase, cdnMedia: 'signed' })).toEqual({
      DJENV_CDN_HOST: 'static.shop.example.com',
      DJENV_STATIC_URL: 'https://static.shop.example.com/pr-42/static/',
      DJENV_MEDIA_URL: '',
      DJENV_STATIC_LOCATION: 'pr-42/static',
      DJENV_MEDIA_LOCATION: 'pr-42/media',
    })
  })

  it('leaves host and URLs empty on a base without CDN, keeping the bucket prefixes', () => {
    const base = placeholderBaseAttributes(
      shopConfig({ static: { cdn: false } }),
      { kind: 'adhoc' },
      ACCOUNT,
    )

    expect(base.cdnHost).toBeUndefined()
    expect(files(base)).toEqual({
      DJENV_CDN_HOST: '',
      DJENV_STATIC_URL: '',
      DJENV_MEDIA_URL: '',
      DJENV_STATIC_LOCATION: 'pr-42/static',
      DJENV_MEDIA_LOCATION: 'pr-42/media',
    })
  })
})

describe('ad hoc app stack, lean configuration', () => {
  let t: TestApp
  let template: Template
  const lean = leanConfig()
  const base: BaseAttributes = placeholderBaseAttributes(lean, { kind: 'adhoc' }, ACCOUNT)

  beforeAll(() => {
    t = testApp({ nag: false })
    const stack = addAdhocAppStack(t.app, {
      config: lean,
      account: ACCOUNT,
      env: 'pr-7',
      listenerPriority: 4570,
      base,
      imageTags: { web: 'v1', migrate: 'v1' },
      desiredCounts: { web: 0 },
      secrets: [],
    })
    template = t.template(stack)
  })
  afterAll(() => t.cleanup())

  it('runs web alone, on on-demand Fargate when spot is off', () => {
    const svcs = services(template)

    expect(Object.keys(svcs)).toEqual(['web'])
    expect(svcs.web?.props).toMatchObject({
      DesiredCount: 0,
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    })
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    })
    expect(Object.keys(taskDefinitions(template)).sort()).toEqual([
      'lean-dev-pr-7-migrate',
      'lean-dev-pr-7-web',
    ])
  })

  it('uses the configured port and command, and sets no Redis host without Redis', () => {
    const web = taskDefinitions(template)['lean-dev-pr-7-web']!.container

    expect(web.Command).toEqual(['gunicorn', 'lean.wsgi', '--bind', '0.0.0.0:9000'])
    expect(web.PortMappings).toEqual([expect.objectContaining({ ContainerPort: 9000 })])
    expect(environment(web).REDIS_SERVICE_HOST).toBeUndefined()
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 9000 })
    expect(
      (template.toJSON().Outputs as Record<string, { Value: unknown }>).ServiceNames?.Value,
    ).toBe('web')
  })
})

describe('production app stack', () => {
  let t: TestApp
  let template: Template
  let stack: AppStack
  const PROD = {
    config,
    account: ACCOUNT,
    prodEnv: 'prod',
    base: prodBase,
    imageTags: SHOP_TAGS,
    desiredCounts: { beat: 1 },
    secrets: [{ name: 'STRIPE_API_KEY', from: 'env' }],
  } as const

  beforeAll(() => {
    t = testApp()
    stack = addProdAppStack(t.app, PROD)
    template = t.template(stack)
  })
  afterAll(() => t.cleanup())

  it('is the stack <project>-<prodEnv>-app with termination protection, tagged as prod', () => {
    const artifact = t.synth().getStackByName('shop-prod-app')
    const expected = {
      'djenv:project': 'shop',
      'djenv:base': 'prod',
      'djenv:env': 'prod',
      'djenv:kind': 'prod',
    }

    expect(stack.node.id).toBe('shop-prod-app')
    expect(artifact.terminationProtection).toBe(true)
    expect(artifact.tags).toEqual(expected)
    expect(tagsOf(only(template, 'AWS::ECS::Cluster').Properties)).toEqual(expected)
  })

  it('passes CloudFormation validation and cdk-nag with nothing left unacknowledged', () => {
    const report = t.validationReport()

    expect(
      report.pluginReports.flatMap((p) =>
        p.violations.map((v) => `${p.pluginName}: ${v.ruleName}`),
      ),
    ).toEqual([])
  })

  it('acknowledges only findings the AwsSolutions pack reports', () => {
    expect(
      unusedAcknowledgements((app) => new AppStack(app, resolveProdAppSettings(PROD))),
    ).toEqual([])
  })

  it('fails synthesis when an acknowledgement is dropped', () => {
    const synth = synthWithout(
      'AwsSolutions-ECS2',
      (app) => new AppStack(app, resolveProdAppSettings(PROD)),
    )

    expect(synth).toThrow(/AwsSolutions-ECS2/)
  })

  it('runs on on-demand Fargate only, with Container Insights', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'shop-prod-app',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    })
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: ['FARGATE'],
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    })
    for (const svc of Object.values(services(template))) {
      expect(svc.props.CapacityProviderStrategy).toEqual([
        { CapacityProvider: 'FARGATE', Weight: 1 },
      ])
    }
  })

  it('leaves the count of autoscaled web and worker to autoscaling, and runs one beat', () => {
    const svcs = services(template)

    expect(svcs.web?.props.DesiredCount).toBeUndefined()
    expect(svcs.worker?.props.DesiredCount).toBeUndefined()
    expect(svcs.beat?.props.DesiredCount).toBe(1)
  })

  it('autoscales web on CPU and requests per target, worker on CPU, within the configured bounds', () => {
    const targets = resources(template, 'AWS::ApplicationAutoScaling::ScalableTarget')
    const bounds = Object.values(targets).map((r) => [
      JSON.stringify(r.Properties?.ResourceId),
      r.Properties?.MinCapacity,
      r.Properties?.MaxCapacity,
    ])
    const policies = Object.values(
      resources(template, 'AWS::ApplicationAutoScaling::ScalingPolicy'),
    ).map((r) => {
      const cfg = r.Properties?.TargetTrackingScalingPolicyConfiguration as {
        TargetValue: number
        PredefinedMetricSpecification: { PredefinedMetricType: string; ResourceLabel?: unknown }
      }
      return `${String(JSON.stringify(r.Properties?.ScalingTargetId)).includes('Web') ? 'web' : 'worker'} ${cfg.PredefinedMetricSpecification.PredefinedMetricType} ${cfg.TargetValue}`
    })

    expect(bounds).toEqual([
      [expect.stringContaining('WebService'), 2, 6],
      [expect.stringContaining('WorkerService'), 2, 4],
    ])
    expect(policies.sort()).toEqual([
      'web ALBRequestCountPerTarget 1000',
      'web ECSServiceAverageCPUUtilization 60',
      'worker ECSServiceAverageCPUUtilization 60',
    ])
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: {
          PredefinedMetricType: 'ALBRequestCountPerTarget',
          ResourceLabel: {
            'Fn::Join': [
              '',
              [`app/${prodBase.albArn.split(':loadbalancer/app/')[1]}/`, Match.anyValue()],
            ],
          },
        },
      },
    })
  })

  it('sizes tasks from the production configuration', () => {
    const defs = taskDefinitions(template)

    expect(defs['shop-prod-app-web']?.props).toMatchObject({ Cpu: '1024', Memory: '2048' })
    expect(defs['shop-prod-app-worker']?.props).toMatchObject({ Cpu: '512', Memory: '1024' })
    expect(defs['shop-prod-app-beat']?.props).toMatchObject({ Cpu: '256', Memory: '512' })
    expect(defs['shop-prod-app-migrate']?.props).toMatchObject({ Cpu: '1024', Memory: '2048' })
  })

  it('serves the configured hostnames at priority 1000 with a 30 s deregistration delay', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: prodBase.httpsListenerArn,
      Priority: 1000,
      Conditions: [
        {
          Field: 'host-header',
          HostHeaderConfig: { Values: ['shop.example.com', 'www.shop.example.com'] },
        },
      ],
    })
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
      ]),
    })
  })

  it('points A and AAAA aliases for every hostname at the load balancer', () => {
    const records = Object.values(resources(template, 'AWS::Route53::RecordSet')).map(
      (r) => `${String(r.Properties?.Type)} ${String(r.Properties?.Name)}`,
    )

    expect(records.sort()).toEqual([
      'A shop.example.com.',
      'A www.shop.example.com.',
      'AAAA shop.example.com.',
      'AAAA www.shop.example.com.',
    ])
  })

  it('keeps logs for 90 days and retains them', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ LogGroupName: '/djenv/shop/prod/app', RetentionInDays: 90 }),
      DeletionPolicy: 'Retain',
    })
  })

  it('names the production env and its primary host in the container environment', () => {
    const web = taskDefinitions(template)['shop-prod-app-web']!.container

    expect(environment(web)).toMatchObject({
      APP_NAME: 'prod',
      DJENV_ENV: 'prod',
      DJENV_KIND: 'prod',
      DJENV_HOST: 'shop.example.com',
      POSTGRES_NAME: 'app',
      DJENV_STATIC_LOCATION: 'app/static',
      DJENV_CDN_HOST: 'static-prod.shop.example.com',
      DJENV_STATIC_URL: 'https://static-prod.shop.example.com/app/static/',
      DJENV_MEDIA_URL: 'https://static-prod.shop.example.com/app/media/',
      DJENV_REDIS_PREFIX: 'app:',
    })
    expect(environment(web)).toMatchObject({ DJANGO_LOG_LEVEL: 'INFO', STRIPE_MODE: 'live' })
    expect(web.Secrets).toEqual([
      {
        Name: 'SECRET_KEY',
        ValueFrom: `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/djenv/shop/prod/secrets/SECRET_KEY`,
      },
      { Name: 'POSTGRES_PASSWORD', ValueFrom: `${prodBase.dbMasterSecretArn}:password::` },
      {
        Name: 'STRIPE_API_KEY',
        ValueFrom: `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/djenv/shop/prod/secrets/STRIPE_API_KEY`,
      },
    ])
  })

  it("reads secrets under the production env's own path only", () => {
    const reads = statements(template, 'ExecutionRole').filter((st) =>
      JSON.stringify(st.Action).includes('ssm:'),
    )

    expect(reads).toEqual([
      {
        Effect: 'Allow',
        Action: 'ssm:GetParameters',
        Resource: `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/djenv/shop/prod/secrets/*`,
      },
    ])
  })

  it('matches the reviewed template', () => {
    expect(normalize(template.toJSON())).toMatchSnapshot()
  })
})
