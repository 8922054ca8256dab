import { Match, type Template } from 'aws-cdk-lib/assertions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { BaseStack } from '../../src/infra/base-stack.js'
import {
  BASE_OUTPUTS,
  addAdhocBaseStack,
  addProdBaseStack,
  type BaseOutputKey,
} from '../../src/infra/index.js'
import { resolveBaseSettings } from '../../src/infra/settings.js'
import {
  ACCOUNT,
  CDN_CERTIFICATE_ARN,
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

/** Security-group rules as `<sg> <in|out> <protocol>:<ports> <peer>`, peers named like their group. */
function sgRules(template: Template): string[] {
  const groups = resources(template, 'AWS::EC2::SecurityGroup')
  const short = (logicalId: string) => {
    const name = ['Alb', 'App', 'Db', 'Redis', 'Bastion', 'VpcNat'].find((p) =>
      logicalId.startsWith(p),
    )
    if (!name) throw new Error(`unknown security group ${logicalId}`)
    return name.toLowerCase().replace('vpcnat', 'nat')
  }
  const ref = (value: unknown) => {
    const att = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']
    return att ? short(att[0]) : String(value)
  }
  const rule = (sg: string, dir: string, r: Record<string, unknown>) => {
    const peer =
      r.CidrIp ?? r.CidrIpv6 ?? ref(r.SourceSecurityGroupId ?? r.DestinationSecurityGroupId)
    const ports =
      r.IpProtocol === '-1'
        ? 'all'
        : `${String(r.IpProtocol)}:${String(r.FromPort)}-${String(r.ToPort)}`
    return `${sg} ${dir} ${ports} ${String(peer)}`
  }
  const out: string[] = []
  for (const [id, g] of Object.entries(groups)) {
    for (const r of (g.Properties?.SecurityGroupIngress ?? []) as Record<string, unknown>[])
      out.push(rule(short(id), 'in', r))
    for (const r of (g.Properties?.SecurityGroupEgress ?? []) as Record<string, unknown>[])
      out.push(rule(short(id), 'out', r))
  }
  for (const r of Object.values(resources(template, 'AWS::EC2::SecurityGroupIngress'))) {
    out.push(rule(ref(r.Properties?.GroupId), 'in', r.Properties ?? {}))
  }
  for (const r of Object.values(resources(template, 'AWS::EC2::SecurityGroupEgress'))) {
    out.push(rule(ref(r.Properties?.GroupId), 'out', r.Properties ?? {}))
  }
  return out.sort()
}

/** CDK's placeholder rule for a group without egress. */
const NO_EGRESS = 'icmp:252-86 255.255.255.255/32'

describe('ad hoc base stack', () => {
  let t: TestApp
  let template: Template
  let stack: BaseStack

  beforeAll(() => {
    t = testApp()
    stack = addAdhocBaseStack(t.app, {
      config: shopConfig(),
      account: ACCOUNT,
      cdnCertificateArn: CDN_CERTIFICATE_ARN,
    })
    template = t.template(stack)
  })
  afterAll(() => t.cleanup())

  it('is the stack <project>-<base>, pinned to the account and region, without termination protection', () => {
    const artifact = t.synth().getStackByName('shop-dev')

    expect(stack.node.id).toBe('shop-dev')
    expect(artifact.environment).toMatchObject({ account: ACCOUNT, region: 'eu-west-1' })
    expect(artifact.terminationProtection ?? false).toBe(false)
  })

  it('synthesizes offline: the zones come from the stack, no context lookup is left missing', () => {
    expect(t.synth().manifest.missing ?? []).toEqual([])
    const zones = Object.values(resources(template, 'AWS::EC2::Subnet')).map(
      (s) => s.Properties?.AvailabilityZone,
    )
    expect(new Set(zones)).toEqual(new Set(['eu-west-1a', 'eu-west-1b']))
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
    const stale = unusedAcknowledgements(
      (app) =>
        new BaseStack(
          app,
          resolveBaseSettings(shopConfig(), { kind: 'adhoc' }, ACCOUNT, CDN_CERTIFICATE_ARN),
        ),
    )

    expect(stale).toEqual([])
  })

  it('fails synthesis when an acknowledgement is dropped', () => {
    const synth = synthWithout(
      'AwsSolutions-RDS11',
      (app) =>
        new BaseStack(
          app,
          resolveBaseSettings(shopConfig(), { kind: 'adhoc' }, ACCOUNT, CDN_CERTIFICATE_ARN),
        ),
    )

    expect(synth).toThrow(/AwsSolutions-RDS11/)
  })

  it('lays out public /24, app /20 and data /24 subnets in two zones', () => {
    const subnets = Object.values(resources(template, 'AWS::EC2::Subnet')).map(
      (s) => s.Properties?.CidrBlock,
    )

    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' })
    expect(subnets.sort()).toEqual([
      '10.0.0.0/24',
      '10.0.1.0/24',
      '10.0.16.0/20',
      '10.0.32.0/20',
      '10.0.48.0/24',
      '10.0.49.0/24',
    ])
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 0)
  })

  it('gives the data tier no route out', () => {
    const routes = Object.values(resources(template, 'AWS::EC2::Route')).map((r) =>
      JSON.stringify(r.Properties?.RouteTableId),
    )

    expect(routes.some((r) => r.includes('dataSubnet'))).toBe(false)
    expect(routes.filter((r) => r.includes('appSubnet'))).toHaveLength(2)
  })

  it('egresses through one t4g.nano NAT instance that accepts only the VPC range', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0)
    const nat = only(template, 'AWS::EC2::Instance', (p) => p.SourceDestCheck === false)
    expect(nat.Properties).toMatchObject({
      InstanceType: 't4g.nano',
      MetadataOptions: { HttpTokens: 'required' },
      BlockDeviceMappings: [{ Ebs: { Encrypted: true } }],
    })
    expect(sgRules(template).filter((r) => r.startsWith('nat '))).toEqual([
      'nat in all 10.0.0.0/16',
      'nat out all 0.0.0.0/0',
    ])
  })

  it('routes S3 through a free gateway endpoint from the app subnets', () => {
    const endpoint = only(template, 'AWS::EC2::VPCEndpoint')

    expect(endpoint.Properties.VpcEndpointType ?? 'Gateway').toBe('Gateway')
    expect(JSON.stringify(endpoint.Properties.ServiceName)).toContain('.s3')
    expect(JSON.stringify(endpoint.Properties.RouteTableIds)).toMatch(/appSubnet1.*appSubnet2/)
  })

  it('holds every security group with exactly the rules of infrastructure.md §4.1', () => {
    expect(sgRules(template)).toEqual(
      [
        'alb in tcp:443-443 0.0.0.0/0',
        'alb in tcp:80-80 0.0.0.0/0',
        'alb out tcp:8000-8000 app',
        'app in tcp:8000-8000 alb',
        'app out all 0.0.0.0/0',
        'db in tcp:5432-5432 app',
        'db in tcp:5432-5432 bastion',
        `db out ${NO_EGRESS}`,
        'redis in tcp:6379-6379 app',
        'redis in tcp:6379-6379 bastion',
        `redis out ${NO_EGRESS}`,
        'bastion out tcp:443-443 0.0.0.0/0',
        'bastion out tcp:5432-5432 db',
        'bastion out tcp:6379-6379 redis',
        'nat in all 10.0.0.0/16',
        'nat out all 0.0.0.0/0',
      ].sort(),
    )
  })

  it('serves HTTPS with TLS 1.3 and a 404 default, and redirects HTTP permanently', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      // In the template's order: arrayWith matches a subsequence.
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'false' },
        { Key: 'idle_timeout.timeout_seconds', Value: '60' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
      ]),
    })
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [
        {
          Type: 'redirect',
          RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' },
        },
      ],
    })
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [
        { Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '404' }) },
      ],
      Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp('^Certificate') } }],
    })
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 0)
  })

  it('creates a DNS-validated certificate for the domain and its wildcard when none is configured', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: '*.shop.example.com',
      SubjectAlternativeNames: ['shop.example.com'],
      ValidationMethod: 'DNS',
      DomainValidationOptions: [
        { DomainName: 'shop.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' },
      ],
    })
  })

  it('runs one encrypted, private, major-versioned PostgreSQL in the data subnets, kept as a snapshot', () => {
    const db = only(template, 'AWS::RDS::DBInstance')
    const subnetGroup = only(template, 'AWS::RDS::DBSubnetGroup')

    expect(db.Properties).toMatchObject({
      Engine: 'postgres',
      EngineVersion: '17',
      DBInstanceClass: 'db.t4g.micro',
      StorageType: 'gp3',
      StorageEncrypted: true,
      AllocatedStorage: '20',
      MaxAllocatedStorage: 100,
      MultiAZ: false,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      BackupRetentionPeriod: 1,
      DeletionProtection: false,
      MasterUsername: 'postgres',
    })
    expect(db.DeletionPolicy).toBe('Snapshot')
    expect(JSON.stringify(subnetGroup.Properties.SubnetIds)).toMatch(
      /^\[\{"Ref":"VpcdataSubnet1[^\]]*VpcdataSubnet2/,
    )
  })

  it('keeps the master credentials in a JSON secret whose name cannot pass for an ARN suffix', () => {
    const secret = only(template, 'AWS::SecretsManager::Secret')

    expect(secret.Properties).toMatchObject({
      Name: 'djenv/shop/dev/db-master-credentials',
      GenerateSecretString: {
        SecretStringTemplate: '{"username":"postgres"}',
        GenerateStringKey: 'password',
      },
    })
    expect(secret.Properties.Name).not.toMatch(/-[A-Za-z0-9]{6}$/)
  })

  it('runs Redis (Valkey) as one node in the data subnets when configured', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      CacheNodeType: 'cache.t4g.micro',
      NumCacheClusters: 1,
      AutomaticFailoverEnabled: false,
      AtRestEncryptionEnabled: true,
      Port: 6379,
    })
    const subnets = only(template, 'AWS::ElastiCache::SubnetGroup')
    expect(JSON.stringify(subnets.Properties.SubnetIds)).toMatch(/VpcdataSubnet1.*VpcdataSubnet2/)
  })

  it('keeps assets in a private, encrypted, TLS-only bucket that goes with the base and needs no Lambda', () => {
    const bucket = only(template, 'AWS::S3::Bucket')

    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    })
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined()
    expect(bucket.DeletionPolicy).toBe('Delete')
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    })
  })

  it('needs no assets besides the template: no Lambda, no custom resource, no image', () => {
    const types = Object.values(resources(template)).map((r) => r.Type)
    const assets = t.assetManifest('shop-dev')

    expect(
      types.filter((type) => type.startsWith('Custom::') || type === 'AWS::Lambda::Function'),
    ).toEqual([])
    expect(Object.values(assets.files).map((f) => f.source.path)).toEqual([
      'shop-dev.template.json',
    ])
    expect(assets.dockerImages).toEqual({})
  })

  it('runs an SSM-only bastion: t4g.nano in an app subnet, IMDSv2, no key, minimal permissions', () => {
    const bastion = only(template, 'AWS::EC2::Instance', (p) => p.SourceDestCheck === undefined)
    const policies = Object.entries(resources(template, 'AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('BastionInstanceRole'),
    )

    expect(bastion.Properties).toMatchObject({
      InstanceType: 't4g.nano',
      MetadataOptions: { HttpTokens: 'required' },
      SubnetId: { Ref: expect.stringMatching(/^VpcappSubnet/) as unknown },
      BlockDeviceMappings: [{ Ebs: { Encrypted: true, VolumeType: 'gp3' } }],
    })
    expect(bastion.Properties.KeyName).toBeUndefined()
    expect(JSON.stringify(template.toJSON().Parameters)).toMatch(
      /"\/aws\/service\/ami-amazon-linux-latest\/al2023-ami-kernel-[\d.]+-arm64"/,
    )
    expect(policies.map(([, p]) => p.Properties?.PolicyDocument)).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Resource: '*',
            Action: [
              'ssm:UpdateInstanceInformation',
              'ssmmessages:CreateControlChannel',
              'ssmmessages:CreateDataChannel',
              'ssmmessages:OpenControlChannel',
              'ssmmessages:OpenDataChannel',
            ],
          },
        ],
      },
    ])
  })

  it('defines the ops cluster and a db-admin task that alone reads the master secret', () => {
    const task = only(template, 'AWS::ECS::TaskDefinition')
    const [container] = task.Properties.ContainerDefinitions as Record<string, unknown>[]
    const secretRef = { Ref: Match.stringLikeRegexp('^DatabaseSecretAttachment') }
    const taskRole = (task.Properties.TaskRoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]

    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'shop-dev-ops',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }],
    })
    expect(task.Properties).toMatchObject({
      Family: 'shop-dev-db-admin',
      Cpu: '256',
      Memory: '512',
    })
    expect(container).toMatchObject({
      Name: 'db-admin',
      Image: 'public.ecr.aws/docker/library/postgres:17-alpine',
      Environment: expect.arrayContaining([{ Name: 'PGUSER', Value: 'postgres' }]) as unknown,
    })
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            {
              Name: 'PGHOST',
              Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Database'), 'Endpoint.Address'] },
            },
            {
              Name: 'PGPORT',
              Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Database'), 'Endpoint.Port'] },
            },
          ]),
          Secrets: [
            { Name: 'PGPASSWORD', ValueFrom: { 'Fn::Join': ['', [secretRef, ':password::']] } },
          ],
          LogConfiguration: Match.objectLike({
            Options: Match.objectLike({ 'awslogs-stream-prefix': 'db-admin' }),
          }),
        }),
      ],
    })
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/djenv/shop/dev/ops',
      RetentionInDays: 7,
    })
    expect(
      Object.keys(resources(template, 'AWS::IAM::Policy')).some((id) =>
        id.startsWith(taskRole as string),
      ),
    ).toBe(false)
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^DbAdminTaskExecutionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: secretRef,
          },
        ]),
      },
    })
  })

  it('publishes every base value as an output with a fixed id and no export, mirrored in SSM', () => {
    const outputs = template.toJSON().Outputs as Record<
      string,
      { Value: unknown; Export?: unknown }
    >
    const parameters = Object.values(resources(template, 'AWS::SSM::Parameter')).map(
      (p) => p.Properties,
    )

    expect(Object.keys(outputs).sort()).toEqual(Object.keys(BASE_OUTPUTS).sort())
    expect(Object.values(outputs).filter((o) => o.Export !== undefined)).toEqual([])
    for (const [key, spec] of Object.entries(BASE_OUTPUTS)) {
      const parameter = parameters.find((p) => p?.Name === `/djenv/shop/dev/${spec.ssm}`)
      expect(parameter, key).toMatchObject({ Type: 'list' in spec ? 'StringList' : 'String' })
      expect(JSON.stringify(parameter?.Value), key).toBe(JSON.stringify(outputs[key]?.Value))
    }
    expect(outputs.SchemaVersion?.Value).toBe('1')
    expect(outputs.Kind?.Value).toBe('adhoc')
    expect(outputs.AvailabilityZones?.Value).toBe('eu-west-1a,eu-west-1b')
    expect(outputs.DbMasterSecretArn?.Value).toEqual({
      Ref: expect.stringMatching(/^DatabaseSecretAttachment/),
    })
  })

  it('points the outputs at the resources runtime code acts on', () => {
    const outputs = template.toJSON().Outputs as Record<BaseOutputKey, { Value: unknown }>
    const ref = (key: BaseOutputKey) => JSON.stringify(outputs[key].Value)

    expect(ref('PrivateSubnetIds')).toMatch(/VpcappSubnet1.*VpcappSubnet2/)
    expect(ref('AppSecurityGroupId')).toMatch(/AppSecurityGroup.*GroupId/)
    expect(ref('HttpsListenerArn')).toMatch(/AlbHttps/)
    expect(ref('RedisHost')).toMatch(/Redis.*PrimaryEndPoint.Address/)
    expect(ref('BastionInstanceId')).toMatch(/"Ref":"Bastion/)
    expect(outputs.OpsClusterName.Value).toEqual({ Ref: expect.stringMatching(/^OpsCluster/) })
    expect(outputs.DbAdminTaskFamily.Value).toBe('shop-dev-db-admin')
  })

  it('tags every taggable resource with project, base and kind, and the stack itself', () => {
    const all = Object.entries(resources(template))
    const taggable = new Set(
      all.filter(([, r]) => r.Properties?.Tags !== undefined).map(([, r]) => r.Type),
    )
    const expected = { 'djenv:project': 'shop', 'djenv:base': 'dev', 'djenv:kind': 'adhoc' }

    for (const type of [
      'AWS::EC2::VPC',
      'AWS::RDS::DBInstance',
      'AWS::S3::Bucket',
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::ECS::Cluster',
    ]) {
      expect(taggable.has(type), type).toBe(true)
    }
    for (const [id, r] of all.filter(([, r]) => taggable.has(r.Type))) {
      expect(tagsOf(r.Properties ?? {}), id).toMatchObject(expected)
      expect(tagsOf(r.Properties ?? {})['djenv:env'], id).toBeUndefined()
    }
    expect(t.synth().getStackByName('shop-dev').tags).toEqual(expected)
  })

  it('matches the reviewed template', () => {
    expect(normalize(template.toJSON())).toMatchSnapshot()
  })
})

describe('ad hoc base stack, lean configuration', () => {
  let t: TestApp
  let template: Template

  beforeAll(() => {
    t = testApp({ nag: false })
    template = t.template(
      addAdhocBaseStack(t.app, {
        config: leanConfig(),
        account: ACCOUNT,
        cdnCertificateArn: CDN_CERTIFICATE_ARN,
      }),
    )
  })
  afterAll(() => t.cleanup())

  it('uses the configured certificate and creates none', () => {
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0)
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Certificates: [
        {
          CertificateArn:
            'arn:aws:acm:us-east-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
        },
      ],
    })
  })

  it('spans the configured three zones and range, and egresses through a NAT gateway when asked', () => {
    const zones = Object.values(resources(template, 'AWS::EC2::Subnet')).map(
      (s) => s.Properties?.AvailabilityZone,
    )

    expect(new Set(zones)).toEqual(new Set(['us-east-2a', 'us-east-2b', 'us-east-2c']))
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.8.0.0/17' })
    template.resourceCountIs('AWS::EC2::NatGateway', 1)
    template.resourceCountIs('AWS::EC2::Instance', 0)
  })

  it('leaves out Redis and the bastion, their groups, rules and outputs', () => {
    const outputs = Object.keys(template.toJSON().Outputs as object)

    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0)
    expect(sgRules(template)).toEqual(
      [
        'alb in tcp:443-443 0.0.0.0/0',
        'alb in tcp:80-80 0.0.0.0/0',
        'alb out tcp:9000-9000 app',
        'app in tcp:9000-9000 alb',
        'app out all 0.0.0.0/0',
        'db in tcp:5432-5432 app',
        `db out ${NO_EGRESS}`,
      ].sort(),
    )
    expect(outputs).not.toContain('RedisHost')
    expect(outputs).not.toContain('BastionInstanceId')
  })
})

describe('production base stack', () => {
  let t: TestApp
  let template: Template
  let stack: BaseStack

  beforeAll(() => {
    t = testApp()
    stack = addProdBaseStack(t.app, {
      config: shopConfig(),
      account: ACCOUNT,
      prodEnv: 'prod',
      cdnCertificateArn: CDN_CERTIFICATE_ARN,
    })
    template = t.template(stack)
  })
  afterAll(() => t.cleanup())

  it('is the stack <project>-<prodEnv> with termination protection, tagged as prod', () => {
    const artifact = t.synth().getStackByName('shop-prod')
    const expected = { 'djenv:project': 'shop', 'djenv:base': 'prod', 'djenv:kind': 'prod' }

    expect(stack.node.id).toBe('shop-prod')
    expect(artifact.terminationProtection).toBe(true)
    expect(artifact.tags).toEqual(expected)
    expect(tagsOf(only(template, 'AWS::RDS::DBInstance').Properties)).toEqual(expected)
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
    const ref = { kind: 'prod', name: 'prod' } as const
    const stale = unusedAcknowledgements(
      (app) =>
        new BaseStack(app, resolveBaseSettings(shopConfig(), ref, ACCOUNT, CDN_CERTIFICATE_ARN)),
    )

    expect(stale).toEqual([])
  })

  it('fails synthesis when an acknowledgement is dropped', () => {
    const ref = { kind: 'prod', name: 'prod' } as const
    const synth = synthWithout(
      'AwsSolutions-ELB2',
      (app) =>
        new BaseStack(app, resolveBaseSettings(shopConfig(), ref, ACCOUNT, CDN_CERTIFICATE_ARN)),
    )

    expect(synth).toThrow(/AwsSolutions-ELB2/)
  })

  it('egresses through a NAT gateway and logs rejected traffic for 90 days', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1)
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'REJECT',
      ResourceType: 'VPC',
    })
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 90, LogGroupName: Match.absent() },
      DeletionPolicy: 'Retain',
    })
  })

  it('serves IPv4 and IPv6 from a protected load balancer', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      IpAddressType: 'dualstack',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
      ]),
    })
    expect(sgRules(template).filter((r) => r.startsWith('alb in'))).toEqual([
      'alb in tcp:443-443 0.0.0.0/0',
      'alb in tcp:443-443 ::/0',
      'alb in tcp:80-80 0.0.0.0/0',
      'alb in tcp:80-80 ::/0',
    ])
  })

  it('covers the configured hostnames with the created certificate', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: '*.shop.example.com',
      SubjectAlternativeNames: ['shop.example.com'],
    })
  })

  it('keeps production data: Multi-AZ, 14-day backups, deletion protection, log exports, final snapshot', () => {
    const db = only(template, 'AWS::RDS::DBInstance')

    expect(db.Properties).toMatchObject({
      DBInstanceClass: 'db.t4g.small',
      MultiAZ: true,
      BackupRetentionPeriod: 14,
      DeletionProtection: true,
      StorageEncrypted: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    })
    expect(db.DeletionPolicy).toBe('Snapshot')
    expect(db.Properties).toMatchObject({ EngineVersion: '17' })
  })

  it('retains a versioned assets bucket whose old versions expire after 30 days', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            { NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' },
          ]),
        },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    })
  })

  it('runs Redis as a primary and a replica with automatic failover across zones', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
    })
  })

  it('publishes its outputs under its own SSM root as kind prod', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>

    expect(outputs.Kind?.Value).toBe('prod')
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/djenv/shop/prod/kind',
      Value: 'prod',
    })
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterName: 'shop-prod-ops' })
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'djenv/shop/prod/db-master-credentials',
    })
  })

  it('matches the reviewed template', () => {
    expect(normalize(template.toJSON())).toMatchSnapshot()
  })
})
