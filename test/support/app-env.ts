import { fileURLToPath } from 'node:url'

import {
  CloudWatchLogsClient,
  type StartLiveTailResponseStream,
} from '@aws-sdk/client-cloudwatch-logs'
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr'
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
} from '@aws-sdk/client-ssm'
import { mockClient } from 'aws-sdk-client-mock'

import type { Terminal } from '../../src/core/interactive.js'
import { createAsker } from '../../src/ui/ask.js'
import type { Asker } from '../../src/ui/ask.js'
import { awsMocks, stack } from './aws-mocks.js'
import { fakeClock } from './fake-clock.js'
import { recordingReporter } from './recording-reporter.js'

/** The example project (examples/shop: project shop, base dev, eu-west-1, account 123456789012). */
export const SHOP = fileURLToPath(new URL('../../examples/shop', import.meta.url))
export const SHOP_CONFIG = `${SHOP}/djenv.yml`
export const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com'

/** Every output a base publishes, with plausible values. */
export function baseOutputs(kind: 'adhoc' | 'prod' = 'adhoc'): Record<string, string> {
  return {
    SchemaVersion: '1',
    Kind: kind,
    VpcId: 'vpc-1',
    AvailabilityZones: 'eu-west-1a,eu-west-1b',
    PrivateSubnetIds: 'subnet-a,subnet-b',
    AppSecurityGroupId: 'sg-app',
    AlbSecurityGroupId: 'sg-alb',
    AlbArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/1',
    AlbDnsName: 'shop-1.eu-west-1.elb.amazonaws.com',
    AlbCanonicalHostedZoneId: 'Z32O12XQLNTSW2',
    HttpsListenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2',
    DomainName: 'shop.example.com',
    HostedZoneId: 'Z0123456789ABCDEFGHIJ',
    DbHost: 'db.internal',
    DbPort: '5432',
    DbMasterSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-abc123',
    AssetsBucketName: 'shop-assets',
    OpsClusterName: 'shop-dev-ops',
    DbAdminTaskFamily: 'shop-dev-db-admin',
    DbAdminContainerName: 'db-admin',
  }
}

/** An env as the tests see it: its stacks' physical names. */
export interface EnvFixture {
  env: string
  kind: 'adhoc' | 'prod'
  baseStack: string
  appStack: string
  cluster: string
  logGroup: string
  ssmRoot: string
  family: (task: string) => string
  targetGroupArn: string
}

export function envFixture(env = 'pr-42'): EnvFixture {
  const prod = env === 'prod'
  const base = prod ? 'prod' : 'dev'
  const appEnv = prod ? 'app' : env
  const prefix = `shop-${base}-${appEnv}`
  return {
    env,
    kind: prod ? 'prod' : 'adhoc',
    baseStack: `shop-${base}`,
    appStack: prefix,
    cluster: prefix,
    logGroup: `/djenv/shop/${base}/${appEnv}`,
    ssmRoot: `/djenv/shop/${base}/envs/${appEnv}`,
    family: (task) => `${prefix}-${task}`,
    targetGroupArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${prefix}/1`,
  }
}

/**
 * Class-level mocks of every client the task and deploy workflows reach, rejecting what a
 * test did not set up, plus CloudFormation answering for the env's base and app stacks.
 */
export function appMocks() {
  const aws = awsMocks()
  const ecr = mockClient(ECRClient)
  const logs = mockClient(CloudWatchLogsClient)
  const elbv2 = mockClient(ElasticLoadBalancingV2Client)
  return {
    ...aws,
    ecr,
    logs,
    elbv2,
    reset() {
      aws.reset()
      const unexpected = new Error('unexpected AWS call')
      ecr.reset().onAnyCommand().rejects(unexpected)
      logs.reset().onAnyCommand().rejects(unexpected)
      elbv2.reset().onAnyCommand().rejects(unexpected)
    },
    /** The env's base and app stacks, both stable. */
    givenEnv(f: EnvFixture, o: { appStatus?: string } = {}) {
      aws.stacks([
        stack(f.baseStack, 'UPDATE_COMPLETE', { outputs: baseOutputs(f.kind) }),
        stack(f.appStack, o.appStatus ?? 'UPDATE_COMPLETE', {
          outputs: {
            ClusterName: f.cluster,
            ServiceNames: 'web,worker,beat',
            LogGroupName: f.logGroup,
            TargetGroupArn: f.targetGroupArn,
          },
          tags: { 'djenv:project': 'shop', 'djenv:env': f.env },
        }),
      ])
    },
    /** ECR holds these tags of `shop`; any other is ImageNotFoundException. */
    givenImages(...tags: string[]) {
      ecr.on(DescribeImagesCommand).callsFake((input: { imageIds?: { imageTag?: string }[] }) => {
        const tag = input.imageIds?.[0]?.imageTag ?? ''
        if (!tags.includes(tag))
          throw new ImageNotFoundException({ message: `no ${tag}`, $metadata: {} })
        return { imageDetails: [{ imageTags: [tag], repositoryName: 'shop' }] }
      })
    },
    /**
     * SSM state: these parameters exist; PutParameter stores into `params` (Overwrite: false
     * fails on an existing name, as a claim does), DeleteParameter deletes from it.
     */
    givenParameters(params: Map<string, string>) {
      aws.ssm.on(GetParameterCommand).callsFake((input: { Name?: string }) => {
        const value = params.get(input.Name ?? '')
        if (value === undefined)
          throw new ParameterNotFound({ message: 'not found', $metadata: {} })
        return { Parameter: { Name: input.Name, Value: value } }
      })
      aws.ssm
        .on(PutParameterCommand)
        .callsFake((input: { Name?: string; Value?: string; Overwrite?: boolean }) => {
          if (params.has(input.Name ?? '') && !input.Overwrite)
            throw new ParameterAlreadyExists({ message: 'exists', $metadata: {} })
          params.set(input.Name ?? '', input.Value ?? '')
          return { Version: 1 }
        })
      aws.ssm.on(DeleteParameterCommand).callsFake((input: { Name?: string }) => {
        if (!params.delete(input.Name ?? ''))
          throw new ParameterNotFound({ message: 'not found', $metadata: {} })
        return {}
      })
    },
  }
}

export type AppMocks = ReturnType<typeof appMocks>

/**
 * Task definitions as ECS keeps them: revision 5 of each family runs `shop:<tag>`, registering
 * adds the next revision, describing a family answers its latest ACTIVE revision.
 */
export function taskDefinitions(mocks: AppMocks, f: EnvFixture, tag = 'old1234') {
  const defs = new Map<string, TaskDefinition & { tags?: { key: string; value: string }[] }>()
  const registered: RegisterTaskDefinitionCommandInput[] = []
  const arnOf = (family: string, revision: number) =>
    `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`
  for (const task of ['web', 'worker', 'beat', 'migrate']) {
    const family = f.family(task)
    defs.set(arnOf(family, 5), {
      taskDefinitionArn: arnOf(family, 5),
      family,
      revision: 5,
      status: 'ACTIVE',
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      requiresCompatibilities: ['FARGATE'],
      compatibilities: ['EC2', 'FARGATE'],
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
      registeredAt: new Date('2026-11-01T00:00:00Z'),
      registeredBy: 'arn:aws:iam::123456789012:role/cfn',
      containerDefinitions: [
        {
          name: task,
          image: `${REGISTRY}/shop:${tag}`,
          essential: true,
          command: task === 'migrate' ? ['python', 'manage.py', 'migrate'] : ['run', task],
          environment: [{ name: 'DJENV_SERVICE', value: task }],
        },
        // A sidecar whose image deploy-image must leave alone.
        ...(task === 'web'
          ? [{ name: 'log-router', image: 'public.ecr.aws/aws-observability/fluent-bit:2' }]
          : []),
      ],
      tags: [{ key: 'djenv:env', value: f.env }],
    })
  }
  const latest = (family: string) =>
    [...defs.values()]
      .filter((d) => d.family === family && d.status === 'ACTIVE')
      .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0]
  mocks.ecs
    .on(DescribeTaskDefinitionCommand)
    .callsFake((input: { taskDefinition?: string; include?: string[] }) => {
      const key = input.taskDefinition ?? ''
      const def = defs.get(key) ?? latest(key)
      if (!def)
        throw Object.assign(new Error('Unable to describe task definition.'), {
          name: 'ClientException',
        })
      const { tags, ...taskDefinition } = def
      return { taskDefinition, ...(input.include?.includes('TAGS') ? { tags } : {}) }
    })
  mocks.ecs
    .on(RegisterTaskDefinitionCommand)
    .callsFake((input: RegisterTaskDefinitionCommandInput) => {
      registered.push(input)
      const family = input.family ?? ''
      const revision =
        Math.max(
          ...[...defs.values()].filter((d) => d.family === family).map((d) => d.revision ?? 0),
        ) + 1
      const arn = arnOf(family, revision)
      const { tags, ...rest } = input
      const def = {
        ...rest,
        taskDefinitionArn: arn,
        revision,
        status: 'ACTIVE' as const,
        tags: tags?.map((t) => ({ key: t.key ?? '', value: t.value ?? '' })),
      }
      defs.set(arn, def)
      return { taskDefinition: def }
    })
  mocks.ecs.on(DeregisterTaskDefinitionCommand).callsFake((input: { taskDefinition?: string }) => {
    const def = defs.get(input.taskDefinition ?? '')
    if (def) def.status = 'INACTIVE'
    return { taskDefinition: def }
  })
  return {
    defs,
    registered,
    arnOf: (task: string, revision: number) => arnOf(f.family(task), revision),
  }
}

/** A live tail event stream built by hand: a session start, the given batches, then silence. */
export function liveTailStream(
  batches: { stream: string; message: string; timestamp?: number }[][],
  o: { onDelivered?: () => void; end?: 'silence' | 'timeout' | 'close' } = {},
): AsyncIterable<StartLiveTailResponseStream> {
  return {
    async *[Symbol.asyncIterator]() {
      yield { sessionStart: { sessionId: 'session-1', logGroupIdentifiers: [] } }
      for (const batch of batches) {
        yield {
          sessionUpdate: {
            sessionMetadata: { sampled: false },
            sessionResults: batch.map((e, i) => ({
              logStreamName: e.stream,
              message: e.message,
              timestamp: e.timestamp ?? Date.parse('2026-11-20T10:00:00Z') + i,
            })),
          },
        }
      }
      o.onDelivered?.()
      if (o.end === 'timeout') {
        yield {
          SessionTimeoutException: { name: 'SessionTimeoutException', message: '3h' },
        } as never
        return
      }
      if (o.end === 'close') return
      await new Promise(() => undefined)
    },
  }
}

/** Workflow dependencies for tests: no terminal, a fake clock, a recording reporter. */
export function testDeps(o: { ask?: Asker; interactive?: boolean; signal?: AbortSignal } = {}) {
  const terminal: Terminal = {
    interactive: o.interactive ?? false,
    ci: !o.interactive,
    stderrIsTTY: o.interactive ?? false,
    color: false,
  }
  return {
    cwd: SHOP,
    env: { AWS_REGION: 'eu-west-1' } as NodeJS.ProcessEnv,
    terminal,
    ask: o.ask ?? createAsker({ interactive: false }),
    report: recordingReporter(),
    clock: fakeClock(),
    signal: o.signal ?? new AbortController().signal,
  }
}
