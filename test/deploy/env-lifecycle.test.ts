import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { CreateChangeSetCommand } from '@aws-sdk/client-cloudformation'
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr'
import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RunTaskCommand,
  UpdateServiceCommand,
  type ListTaskDefinitionsCommandInput,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs'
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  type DeleteObjectsCommandInput,
  type ListObjectsV2CommandInput,
} from '@aws-sdk/client-s3'
import { DeleteParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'

import { envCreate, type EnvCreateInput } from '../../src/deploy/env-create.js'
import { envDestroy } from '../../src/deploy/env-destroy.js'
import { envGc } from '../../src/deploy/env-gc.js'
import { hashedPriority } from '../../src/deploy/priority.js'
import { createAsker } from '../../src/ui/ask.js'
import { fakeAws, type FakeAws } from '../support/fake-aws.js'
import { fakeClock } from '../support/fake-clock.js'
import { recordingReporter } from '../support/recording-reporter.js'
import { tempTree } from '../support/tmp.js'

const cwd = fileURLToPath(new URL('../../examples/shop', import.meta.url))
const ecr = mockClient(ECRClient)
const ecs = mockClient(ECSClient)
const elb = mockClient(ElasticLoadBalancingV2Client)
const REGION = 'eu-west-1'
const SUBNETS = ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb']
const APP_SG = 'sg-0cccccccccccccccc'

/** The outputs a deployed ad hoc base publishes (infrastructure.md §3). */
const BASE_OUTPUTS: Record<string, string> = {
  SchemaVersion: '1',
  Kind: 'adhoc',
  VpcId: 'vpc-0ddddddddddddddddd',
  AvailabilityZones: 'eu-west-1a,eu-west-1b',
  PrivateSubnetIds: SUBNETS.join(','),
  AppSecurityGroupId: APP_SG,
  AlbSecurityGroupId: 'sg-0eeeeeeeeeeeeeeee',
  AlbArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-dev-alb/0123456789abcdef',
  AlbDnsName: 'shop-dev-alb-1.eu-west-1.elb.amazonaws.com',
  AlbCanonicalHostedZoneId: 'Z32O12XQLNTSW2',
  HttpsListenerArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-dev-alb/0123456789abcdef/fedcba9876543210',
  DomainName: 'shop.example.com',
  HostedZoneId: 'Z0123456789ABCDEFGHIJ',
  DbHost: 'shop-dev-db.abcdefghijkl.eu-west-1.rds.amazonaws.com',
  DbPort: '5432',
  DbMasterSecretArn:
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:djenv/shop/dev/db-master-credentials-AbCdEf',
  RedisHost: 'shop-dev-redis.abc123.ng.0001.euw1.cache.amazonaws.com',
  RedisPort: '6379',
  AssetsBucketName: 'shop-dev-assetsbucket0123456789ab',
  OpsClusterName: 'shop-dev-ops',
  DbAdminTaskFamily: 'shop-dev-db-admin',
  DbAdminContainerName: 'db-admin',
  BastionInstanceId: 'i-0ffffffffffffffff',
}

let aws: FakeAws
let tasks: RunTaskCommandInput[]
let exitCodes: Record<string, number>
let services: Map<string, { desired: number; taskDefinition: string }>
/** Task definition revisions ECS holds outside any stack: ARN → status. */
let revisions: Map<string, 'ACTIVE' | 'INACTIVE'>
/** For each DeregisterTaskDefinition: the revision and the stacks still live then. */
let deregistered: { arn: string; liveStacks: string[] }[]

const LOCK = '/djenv/shop/dev/envs/pr-42/lock'
const revisionArn = (family: string, revision: number) =>
  `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`

/** The SSM parameters written, but for the env lock (every run takes and releases it). */
function ssmWrites(): string[] {
  return aws.mocks.ssm
    .commandCalls(PutParameterCommand)
    .map((c) => c.args[0].input.Name ?? '')
    .filter((name) => name !== LOCK)
}

/** What a one-off task ran: db-admin, migrations (no override) or collectstatic. */
function taskName(t: RunTaskCommandInput | undefined): string {
  if (t?.taskDefinition?.endsWith('db-admin')) return 'db-admin'
  const command = t?.overrides?.containerOverrides?.[0]?.command
  if (!command) return 'migrate'
  return command.includes('collectstatic') ? 'collectstatic' : command.join(' ')
}

/** Every ECS command sent, in order, with each RunTask named after its task. */
function ecsCalls(): string[] {
  return ecs.calls().map((c) => {
    const command = c.args[0] as { constructor: { name: string }; input: RunTaskCommandInput }
    const name = command.constructor.name.replace(/Command$/, '')
    return name === 'RunTask' ? `RunTask(${taskName(command.input)})` : name
  })
}

const input: EnvCreateInput = { name: 'pr-42', yes: true, wait: false, timeoutMs: 60_000 }
const deps = () => ({
  cwd,
  env: { DJENV_STACK_POLL_MS: '5' },
  report: recordingReporter(),
  ask: createAsker({ interactive: false }),
  clock: fakeClock(),
  signal: new AbortController().signal,
  terminal: { interactive: false, ci: true, stderrIsTTY: false, color: false },
})

beforeEach(() => {
  aws = fakeAws({ region: REGION })
  aws.cfn.givenStack({
    name: 'shop-dev',
    template: {
      Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: Object.fromEntries(Object.entries(BASE_OUTPUTS).map(([k, v]) => [k, { Value: v }])),
    },
    tags: { 'djenv:project': 'shop', 'djenv:base': 'dev', 'djenv:kind': 'adhoc' },
  })
  tasks = []
  exitCodes = {}
  services = new Map()
  revisions = new Map()
  deregistered = []
  for (const m of [ecr, ecs, elb]) m.reset()
  ecr.onAnyCommand().rejects(new Error('unexpected ECR call'))
  ecs.onAnyCommand().rejects(new Error('unexpected ECS call'))
  elb.onAnyCommand().rejects(new Error('unexpected ELB call'))
  ecr.on(DescribeImagesCommand).callsFake((i: { imageIds: { imageTag: string }[] }) => {
    if (i.imageIds[0]?.imageTag === 'missing')
      throw new ImageNotFoundException({ message: 'not found', $metadata: {} })
    return { imageDetails: [{ imageTags: [i.imageIds[0]?.imageTag] }] }
  })
  elb.on(DescribeRulesCommand).resolves({ Rules: [{ Priority: 'default', IsDefault: true }] })
  // One-off tasks stop at once with the exit code the test set for their family.
  ecs.on(RunTaskCommand).callsFake((i: RunTaskCommandInput) => {
    tasks.push(i)
    return {
      tasks: [
        { taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/${i.cluster}/task${tasks.length}` },
      ],
    }
  })
  ecs.on(DescribeTasksCommand).callsFake((i: { tasks: string[] }) => {
    const n = Number(i.tasks[0]?.split('task').pop()) - 1
    const family = tasks[n]?.taskDefinition ?? ''
    const container = family.endsWith('db-admin') ? 'db-admin' : 'migrate'
    // collectstatic is the migrate family with a command override: its own key.
    const key = taskName(tasks[n]) === 'collectstatic' ? 'collectstatic' : family
    return {
      tasks: [
        {
          lastStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          containers: [{ name: container, exitCode: exitCodes[key] ?? 0 }],
        },
      ],
    }
  })
  // Services as ECS reports them: counts follow UpdateService at once; rollouts complete.
  ecs.on(DescribeServicesCommand).callsFake((i: { services: string[] }) => ({
    services: i.services
      .filter((name) => services.has(name))
      .map((name) => {
        const s = services.get(name) as { desired: number; taskDefinition: string }
        return {
          serviceName: name,
          status: 'ACTIVE',
          desiredCount: s.desired,
          runningCount: s.desired,
          pendingCount: 0,
          taskDefinition: s.taskDefinition,
          deployments: [
            { status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: s.taskDefinition },
          ],
          events: [],
        }
      }),
    failures: i.services
      .filter((name) => !services.has(name))
      .map((name) => ({ arn: name, reason: 'MISSING' })),
  }))
  // The fake ECS does not read templates: a service exists once djenv first scales it.
  ecs.on(UpdateServiceCommand).callsFake((i: { service: string; desiredCount: number }) => {
    const s = services.get(i.service) ?? {
      desired: 0,
      taskDefinition: `shop-dev-pr-42-${i.service}:3f2c1d0`,
    }
    services.set(i.service, { ...s, desired: i.desiredCount })
    return {}
  })
  // ListTaskDefinitions as loosely as its API allows: familyPrefix matched as a string prefix,
  // two ARNs a page.
  ecs.on(ListTaskDefinitionsCommand).callsFake((i: ListTaskDefinitionsCommandInput) => {
    const matching = [...revisions]
      .filter(([, status]) => status === (i.status ?? 'ACTIVE'))
      .map(([arn]) => arn)
      .filter((arn) => (arn.split('/').pop() ?? '').startsWith(i.familyPrefix ?? ''))
    const start = Number(i.nextToken ?? 0)
    return {
      taskDefinitionArns: matching.slice(start, start + 2),
      nextToken: start + 2 < matching.length ? String(start + 2) : undefined,
    }
  })
  ecs.on(DeregisterTaskDefinitionCommand).callsFake((i: { taskDefinition: string }) => {
    revisions.set(i.taskDefinition, 'INACTIVE')
    deregistered.push({ arn: i.taskDefinition, liveStacks: aws.cfn.liveStackNames() })
    return { taskDefinition: { taskDefinitionArn: i.taskDefinition, status: 'INACTIVE' } }
  })
  ecs.on(DescribeTaskDefinitionCommand).callsFake((i: { taskDefinition: string }) => {
    const service = i.taskDefinition.split(':')[0]?.split('-').pop() ?? ''
    return {
      taskDefinition: {
        containerDefinitions: [
          {
            name: service,
            image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:${i.taskDefinition.split(':').pop()}`,
          },
        ],
      },
    }
  })
})

afterEach(() => {
  expect(aws.unexpected()).toEqual([])
  aws.restore()
})

describe('envCreate', () => {
  it('creates a new env: priority claimed, SECRET_KEY, database, stack, migrations, then services started', async () => {
    const result = await envCreate(input, deps())

    expect(result).toMatchObject({
      env: 'pr-42',
      kind: 'adhoc',
      stack: 'shop-dev-pr-42',
      outcome: 'created',
      images: { web: '3f2c1d0', worker: '3f2c1d0', beat: '3f2c1d0', migrate: '3f2c1d0' },
      listenerPriority: { value: hashedPriority('pr-42'), source: 'claimed' },
      database: { name: 'pr_42', created: true },
      services: [
        { name: 'web', desired: 1, running: 1 },
        { name: 'worker', desired: 1, running: 1 },
        { name: 'beat', desired: 1, running: 1 },
      ],
      cost: { envMonthlyUsd: 8.1 },
    })
    expect(aws.cfn.stack('shop-dev-pr-42')?.status).toBe('CREATE_COMPLETE')
    expect(aws.parameters.get(`/djenv/shop/dev/priorities/${hashedPriority('pr-42')}`)).toBe(
      'pr-42',
    )
    expect(
      aws.parameters.get('/djenv/shop/pr-42/secrets/SECRET_KEY')?.length,
    ).toBeGreaterThanOrEqual(50)
    expect(aws.parameters.get('/djenv/shop/dev/envs/pr-42/state/images/web')).toBe('3f2c1d0')
    // The database first (db-admin on the ops cluster), then migrations, then collectstatic
    // (the migrate family with the configured command), all on-demand Fargate, no public IP.
    expect(tasks.map((t) => [t.cluster, t.taskDefinition, t.launchType, taskName(t)])).toEqual([
      ['shop-dev-ops', 'shop-dev-db-admin', 'FARGATE', 'db-admin'],
      ['shop-dev-pr-42', 'shop-dev-pr-42-migrate', 'FARGATE', 'migrate'],
      ['shop-dev-pr-42', 'shop-dev-pr-42-migrate', 'FARGATE', 'collectstatic'],
    ])
    expect(tasks[2]?.overrides?.containerOverrides).toEqual([
      { name: 'migrate', command: ['python', 'manage.py', 'collectstatic', '--noinput'] },
    ])
    expect(tasks[2]?.networkConfiguration?.awsvpcConfiguration).toEqual({
      subnets: SUBNETS,
      securityGroups: [APP_SG],
      assignPublicIp: 'DISABLED',
    })
    expect(tasks[0]?.networkConfiguration?.awsvpcConfiguration).toEqual({
      subnets: SUBNETS,
      securityGroups: [APP_SG],
      assignPublicIp: 'DISABLED',
    })
    expect(tasks[0]?.overrides?.containerOverrides?.[0]?.command?.[2]).toContain(
      'CREATE DATABASE "pr_42"',
    )
  })

  it('is idempotent: a second run keeps the running images and priority, and changes nothing', async () => {
    await envCreate(input, deps())
    // CI deployed another image since; the live services run it.
    for (const s of services.values())
      s.taskDefinition = s.taskDefinition.replace('3f2c1d0', 'beefcafe')
    tasks = []

    const again = await envCreate(input, deps())

    expect(again).toMatchObject({
      images: { web: 'beefcafe', worker: 'beefcafe', beat: 'beefcafe' },
      listenerPriority: { source: 'kept' },
      database: { created: false },
    })
    expect(['updated', 'unchanged']).toContain(again.outcome)
    expect(tasks).toEqual([]) // no database task, no migrations on an update
  })

  it('refuses an image missing from ECR before changing anything', async () => {
    const run = envCreate({ ...input, imageTag: 'missing' }, deps())

    await expect(run).rejects.toMatchObject({
      djenvCode: 'IMAGE_MISSING',
      message: 'Image shop:missing is not in ECR (eu-west-1); nothing was changed.',
    })
    expect(aws.mocks.cloudFormation).not.toHaveReceivedCommand(CreateChangeSetCommand)
    expect(ssmWrites()).toEqual([])
    expect(aws.parameters.has(LOCK)).toBe(false)
    expect(tasks).toEqual([])
  })

  it('stops before starting any service when migrations fail', async () => {
    exitCodes['shop-dev-pr-42-migrate'] = 3

    await expect(envCreate(input, deps())).rejects.toMatchObject({
      djenvCode: 'TASK_FAILED',
      message: 'Migrations failed with exit code 3; no service was started.',
    })
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
  })

  it('stops before starting any service when collectstatic fails, naming the logs and the retry', async () => {
    exitCodes.collectstatic = 1

    const error = await envCreate(input, deps()).catch((e: unknown) => e)

    expect(error).toMatchObject({
      djenvCode: 'TASK_FAILED',
      oclif: { exit: 1 },
      message: 'collectstatic failed with exit code 1; no service was started.',
      hint: expect.stringMatching(
        /log group \/djenv\/shop\/dev\/pr-42 \(stream migrate\/migrate\/task3\).*`djenv env create pr-42`/,
      ),
    })
    expect(tasks.map(taskName)).toEqual(['db-admin', 'migrate', 'collectstatic'])
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
    expect(aws.parameters.has('/djenv/shop/dev/envs/pr-42/state/created-at')).toBe(false)
  })

  it('runs collectstatic after migrations and before any service is scaled up', async () => {
    await envCreate(input, deps())

    const calls = ecsCalls()
    expect(calls.indexOf('RunTask(collectstatic)')).toBeGreaterThan(
      calls.indexOf('RunTask(migrate)'),
    )
    expect(calls.indexOf('UpdateService')).toBeGreaterThan(calls.indexOf('RunTask(collectstatic)'))
  })

  it('resumes a creation that stopped at collectstatic: runs it again, then starts the services', async () => {
    exitCodes.collectstatic = 1
    await expect(envCreate(input, deps())).rejects.toMatchObject({ djenvCode: 'TASK_FAILED' })
    delete exitCodes.collectstatic
    tasks = []
    const report = recordingReporter()

    const result = await envCreate(input, { ...deps(), report })

    expect(result.outcome).toBe('created')
    expect(tasks.map(taskName)).toEqual(['migrate', 'collectstatic'])
    expect(result.services.map((s) => s.desired)).toEqual([1, 1, 1])
    expect(report.infos).toContain(
      'pr-42 was never started (its creation stopped before the services); finishing it',
    )
    expect(aws.parameters.get('/djenv/shop/dev/envs/pr-42/state/created-at')).toBeDefined()
  })

  it('never takes a live env without created-at for an unfinished creation', async () => {
    await envCreate(input, deps())
    aws.parameters.delete('/djenv/shop/dev/envs/pr-42/state/created-at')
    tasks = []
    ecs.resetHistory()

    const again = await envCreate(input, deps())

    expect(['updated', 'unchanged']).toContain(again.outcome)
    expect(tasks).toEqual([])
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
  })

  it('does not run collectstatic with skipCollectstatic', async () => {
    const report = recordingReporter()

    await envCreate({ ...input, skipCollectstatic: true }, { ...deps(), report })

    expect(tasks.map(taskName)).toEqual(['db-admin', 'migrate'])
    expect(report.infos).toContain('collectstatic skipped (--skip-collectstatic)')
    expect(ecs).toHaveReceivedCommand(UpdateServiceCommand)
  })

  it('does not run collectstatic with static.cdn: false', async () => {
    const tree = tempTree()
    const config = parse(readFileSync(`${cwd}/djenv.yml`, 'utf8')) as Record<string, unknown>
    const configPath = tree.write('djenv.yml', stringify({ ...config, static: { cdn: false } }))
    const report = recordingReporter()

    try {
      await envCreate({ ...input, configPath }, { ...deps(), report })
    } finally {
      tree.cleanup()
    }

    expect(tasks.map(taskName)).toEqual(['db-admin', 'migrate'])
    expect(report.infos.filter((t) => t.includes('static.cdn is false'))).toHaveLength(1)
  })

  it('stops when the database cannot be created, before any stack change', async () => {
    exitCodes['shop-dev-db-admin'] = 2

    await expect(envCreate(input, deps())).rejects.toMatchObject({
      djenvCode: 'TASK_FAILED',
      message: expect.stringContaining('Could not create database pr_42: psql exited 2'),
    })
    expect(aws.mocks.cloudFormation).not.toHaveReceivedCommand(CreateChangeSetCommand)
  })

  it('reports the resource CloudFormation could not create, with its reason', async () => {
    aws.cfn.failResource({
      logicalId: 'WebService7F8A1763',
      during: 'create',
      reason: 'Resource handler returned message: "Invalid request provided"',
    })

    const error = await envCreate(input, deps()).catch((e: unknown) => e)

    expect(error).toMatchObject({ djenvCode: 'DEPLOY_FAILED', oclif: { exit: 1 } })
    expect((error as Error).message).toMatch(
      /Deployment of shop-dev-pr-42 failed: .*Invalid request provided/,
    )
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
  })

  it('recreates a stack whose creation failed only when confirmed', async () => {
    aws.cfn.givenStack({
      name: 'shop-dev-pr-42',
      status: 'ROLLBACK_COMPLETE',
      statusReason: 'The following resource(s) failed to create: [WebService]',
    })

    await expect(envCreate({ ...input, yes: false }, deps())).rejects.toMatchObject({
      djenvCode: 'INPUT_REQUIRED',
      hint: 'Pass --yes.',
    })
    expect(aws.mocks.cloudFormation).not.toHaveReceivedCommand(CreateChangeSetCommand)

    const result = await envCreate(input, deps())

    expect(result.outcome).toBe('created')
    expect(aws.cfn.stack('shop-dev-pr-42')?.status).toBe('CREATE_COMPLETE')
  })

  it('names the command that creates a missing base', async () => {
    aws.restore()
    aws = fakeAws({ region: REGION })

    await expect(envCreate(input, deps())).rejects.toMatchObject({
      djenvCode: 'BASE_NOT_FOUND',
      hint: 'Create it first with `djenv base deploy dev`.',
    })
  })

  it('refuses a stack another operation holds, unless told to --wait', async () => {
    aws.cfn.givenStack({ name: 'shop-dev-pr-42', status: 'UPDATE_IN_PROGRESS' })

    await expect(envCreate(input, deps())).rejects.toMatchObject({
      djenvCode: 'STACK_BUSY',
      hint: expect.stringContaining('--wait'),
    })
    expect(tasks).toEqual([])
  })
})

describe('envDestroy', () => {
  it('scales to 0, drops the database, deletes the stack and what djenv recorded', async () => {
    await envCreate(input, deps())
    tasks = []

    const result = await envDestroy(
      { name: 'pr-42', yes: true, force: false, keepDatabase: false, wait: false },
      deps(),
    )

    expect(result).toMatchObject({
      outcome: 'destroyed',
      database: { name: 'pr_42', dropped: true },
    })
    expect([...services.values()].map((s) => s.desired)).toEqual([0, 0, 0])
    expect(tasks[0]?.overrides?.containerOverrides?.[0]?.command?.[2]).toContain(
      'DROP DATABASE IF EXISTS "pr_42" WITH (FORCE)',
    )
    expect(aws.cfn.liveStackNames()).not.toContain('shop-dev-pr-42')
    expect(
      [...aws.parameters.keys()].filter((k) => k.includes('pr-42') && !k.includes('/secrets/')),
    ).toEqual([])
  })

  it('cleans up leftovers of an env whose stack is already gone, and says so', async () => {
    aws.parameters.set('/djenv/shop/dev/envs/pr-42/state/created-at', '2026-11-01T00:00:00Z')
    aws.parameters.set('/djenv/shop/dev/priorities/4560', 'pr-42')

    const result = await envDestroy(
      { name: 'pr-42', yes: true, force: false, keepDatabase: true, wait: false },
      deps(),
    )

    expect(result).toMatchObject({ outcome: 'absent', parametersDeleted: 2 })
    expect(aws.parameters.has('/djenv/shop/dev/priorities/4560')).toBe(false)
  })

  it('asks before destroying, and off a terminal names --yes', async () => {
    await expect(
      envDestroy(
        { name: 'pr-42', yes: false, force: false, keepDatabase: false, wait: false },
        deps(),
      ),
    ).rejects.toMatchObject({ djenvCode: 'INPUT_REQUIRED', hint: 'Pass --yes.' })
    expect(tasks).toEqual([])
  })
})

describe('the env lock through env create and destroy', () => {
  const destroyInput = { name: 'pr-42', yes: true, force: false, keepDatabase: false, wait: false }

  /** Another run's lock on pr-42, taken `ageMinutes` before the fake clock's now. */
  function givenLock(ageMinutes: number): string {
    const since = new Date(Date.parse('2026-11-20T10:00:00Z') - ageMinutes * 60_000)
    const value = JSON.stringify({
      command: 'deploy-image',
      holder: 'alice@laptop',
      pid: 4242,
      since: since.toISOString(),
    })
    aws.parameters.set(LOCK, value)
    return value
  }

  /** The lock as it stood when each one-off task (database, migrations, …) started. */
  function lockDuringTasks(): (string | undefined)[] {
    const seen: (string | undefined)[] = []
    ecs.on(RunTaskCommand).callsFake((i: RunTaskCommandInput) => {
      seen.push(aws.parameters.get(LOCK))
      tasks.push(i)
      return {
        tasks: [
          { taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/${i.cluster}/task${tasks.length}` },
        ],
      }
    })
    return seen
  }

  it('env create holds the lock from the database to the last record, then releases it', async () => {
    const seen = lockDuringTasks()

    const d = deps()
    const result = await envCreate(input, {
      ...d,
      env: { ...d.env, GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '77' },
    })

    expect(result.outcome).toBe('created')
    expect(seen.map((v) => JSON.parse(v ?? '{}').command)).toEqual([
      'env create',
      'env create',
      'env create',
    ])
    expect(JSON.parse(seen[0] ?? '{}').holder).toBe('https://github.com/acme/shop/actions/runs/77')
    expect(aws.mocks.ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: LOCK,
      Overwrite: false,
    })
    expect(aws.parameters.has(LOCK)).toBe(false)
  })

  it('env create releases the lock when migrations fail', async () => {
    exitCodes['shop-dev-pr-42-migrate'] = 3

    await expect(envCreate(input, deps())).rejects.toMatchObject({ djenvCode: 'TASK_FAILED' })
    expect(aws.parameters.has(LOCK)).toBe(false)
  })

  it('env create refuses while another run holds the lock, before any change', async () => {
    const theirs = givenLock(20)

    await expect(envCreate(input, deps())).rejects.toMatchObject({
      djenvCode: 'ENV_LOCKED',
      oclif: { exit: 1 },
      message: expect.stringContaining(
        'deploy-image by alice@laptop (pid 4242) since 2026-11-20T09:40:00.000Z',
      ),
      hint: expect.stringContaining('`djenv env unlock pr-42`'),
    })
    expect(aws.mocks.cloudFormation).not.toHaveReceivedCommand(CreateChangeSetCommand)
    expect(tasks).toEqual([])
    expect(ssmWrites()).toEqual([])
    expect(aws.parameters.get(LOCK)).toBe(theirs)
  })

  it('env create takes over a stale lock, warning whose it was', async () => {
    givenLock(150)
    const report = recordingReporter()

    const result = await envCreate(input, { ...deps(), report })

    expect(result.outcome).toBe('created')
    expect(report.warnings.filter((w) => w.includes('lock'))).toEqual([
      expect.stringContaining('Taking over the lock of pr-42: deploy-image by alice@laptop'),
    ])
    expect(aws.parameters.has(LOCK)).toBe(false)
  })

  it('env destroy refuses while another run holds the lock: nothing scaled, dropped or deleted', async () => {
    await envCreate(input, deps())
    tasks = []
    const theirs = givenLock(1)
    const recorded = [...aws.parameters.keys()]

    await expect(envDestroy(destroyInput, deps())).rejects.toMatchObject({
      djenvCode: 'ENV_LOCKED',
    })
    expect([...services.values()].map((s) => s.desired)).toEqual([1, 1, 1])
    expect(tasks).toEqual([])
    expect(aws.cfn.liveStackNames()).toContain('shop-dev-pr-42')
    expect([...aws.parameters.keys()]).toEqual(recorded)
    expect(aws.parameters.get(LOCK)).toBe(theirs)
  })

  it('env destroy deletes the lock last, once everything else under envs/pr-42/ is gone', async () => {
    await envCreate(input, deps())
    const seen = lockDuringTasks()

    const result = await envDestroy(destroyInput, deps())

    expect(JSON.parse(seen[0] ?? '{}').command).toBe('env destroy')
    const calls = aws.mocks.ssm.calls().map((c) => {
      const command = c.args[0] as { constructor: { name: string }; input: { Name?: string } }
      return `${command.constructor.name.replace(/Command$/, '')} ${command.input.Name ?? ''}`
    })
    expect(calls.at(-1)).toBe(`DeleteParameter ${LOCK}`)
    expect(calls.lastIndexOf('DeleteParameters ')).toBeLessThan(calls.length - 1)
    expect(aws.mocks.ssm).not.toHaveReceivedCommandWith(DeleteParametersCommand, {
      Names: expect.arrayContaining([LOCK]),
    })
    expect(result.parametersDeleted).toBeGreaterThan(0)
    expect([...aws.parameters.keys()].filter((k) => k.includes('/envs/pr-42'))).toEqual([])
  })
})

describe('task definition revisions through env destroy', () => {
  const destroy = (name: string) =>
    envDestroy({ name, yes: true, force: false, keepDatabase: true, wait: false }, deps())

  it("deregisters the env's ACTIVE revisions once its stack is gone, and a re-run finds none", async () => {
    await envCreate(input, deps())
    for (const arn of [
      revisionArn('shop-dev-pr-42-web', 4),
      revisionArn('shop-dev-pr-42-web', 5),
      revisionArn('shop-dev-pr-42-worker', 5),
      revisionArn('shop-dev-pr-42-beat', 5),
      revisionArn('shop-dev-pr-42-migrate', 5),
    ])
      revisions.set(arn, 'ACTIVE')
    revisions.set(revisionArn('shop-dev-pr-42-web', 3), 'INACTIVE')

    const first = await destroy('pr-42')
    const second = await destroy('pr-42')

    expect(first.taskDefinitionsDeregistered).toBe(5)
    expect(deregistered.map((d) => d.arn)).toEqual([
      revisionArn('shop-dev-pr-42-web', 4),
      revisionArn('shop-dev-pr-42-web', 5),
      revisionArn('shop-dev-pr-42-worker', 5),
      revisionArn('shop-dev-pr-42-beat', 5),
      revisionArn('shop-dev-pr-42-migrate', 5),
    ])
    for (const d of deregistered) expect(d.liveStacks).not.toContain('shop-dev-pr-42')
    for (const family of ['web', 'worker', 'beat', 'migrate'])
      expect(ecs).toHaveReceivedCommandWith(ListTaskDefinitionsCommand, {
        familyPrefix: `shop-dev-pr-42-${family}`,
        status: 'ACTIVE',
      })
    expect(second.taskDefinitionsDeregistered).toBe(0)
  })

  it("keeps other envs' revisions, even those whose family starts with the env's (pr-4 beside pr-42 and pr-4-web-2)", async () => {
    const own = [revisionArn('shop-dev-pr-4-web', 1), revisionArn('shop-dev-pr-4-migrate', 1)]
    const others = [
      revisionArn('shop-dev-pr-42-web', 1),
      revisionArn('shop-dev-pr-42-migrate', 1),
      revisionArn('shop-dev-pr-4-web-2-web', 1),
      revisionArn('shop-dev-pr-4-web-2-web', 2),
      revisionArn('shop-dev-pr-4-web-2-migrate', 1),
    ]
    for (const arn of [...own, ...others]) revisions.set(arn, 'ACTIVE')

    const result = await destroy('pr-4')

    expect(result.taskDefinitionsDeregistered).toBe(2)
    expect(deregistered.map((d) => d.arn)).toEqual(own)
    for (const arn of others) expect(revisions.get(arn)).toBe('ACTIVE')
    // Three ARNs match the prefix shop-dev-pr-4-web: two pages.
    expect(ecs).toHaveReceivedCommandWith(ListTaskDefinitionsCommand, {
      familyPrefix: 'shop-dev-pr-4-web',
      nextToken: '2',
    })
  })
})

describe('secrets through env create and destroy', () => {
  const SECRET_KEY = '/djenv/shop/pr-42/secrets/SECRET_KEY'
  const SHARED = '/djenv/shop/dev/secrets/STRIPE_API_KEY'
  const KNOWN = 'sk_test_KNOWN_VALUE_4242'
  const destroyInput = { name: 'pr-42', yes: true, force: false, keepDatabase: true, wait: false }

  it('generates SECRET_KEY once, never again, and injects stored secrets by ARN without their values', async () => {
    aws.parameters.set(SHARED, KNOWN)
    const first = deps()

    await envCreate(input, first)
    const key = aws.parameters.get(SECRET_KEY) ?? ''
    await envCreate(input, deps())

    expect(key).toMatch(/^[A-Za-z0-9_-]{50,}$/)
    expect(aws.parameters.get(SECRET_KEY)).toBe(key)
    expect(aws.mocks.ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: SECRET_KEY,
      Type: 'SecureString',
      Overwrite: false,
    })
    expect(aws.mocks.ssm).not.toHaveReceivedCommandWith(PutParameterCommand, {
      Name: SECRET_KEY,
      Overwrite: true,
    })
    const template = aws.cfn.stack('shop-dev-pr-42')?.template
    const web = Object.values(template?.Resources ?? {}).find(
      (r) => r.Type === 'AWS::ECS::TaskDefinition' && JSON.stringify(r).includes('"Name":"web"'),
    )
    const secrets = (
      web?.Properties?.ContainerDefinitions as { Secrets: { Name: string; ValueFrom: string }[] }[]
    )[0]?.Secrets
    expect(secrets?.map((s) => s.Name)).toEqual([
      'SECRET_KEY',
      'POSTGRES_PASSWORD',
      'STRIPE_API_KEY',
    ])
    expect(secrets?.[2]?.ValueFrom).toBe(
      'arn:aws:ssm:eu-west-1:123456789012:parameter/djenv/shop/dev/secrets/STRIPE_API_KEY',
    )
    const seen = [
      JSON.stringify(template),
      ...first.report.steps,
      ...first.report.details,
      ...first.report.infos,
      ...first.report.warnings,
    ].join('\n')
    expect(seen).not.toContain(KNOWN)
    expect(seen).not.toContain(key)
  })

  it('refuses a stored secret that clashes with a plain setting before writing anything', async () => {
    aws.parameters.set('/djenv/shop/dev/secrets/STRIPE_MODE', KNOWN)

    await expect(envCreate(input, deps())).rejects.toMatchObject({
      djenvCode: 'CONFIG_INVALID',
      message: expect.stringContaining('adhoc.environment.STRIPE_MODE'),
      oclif: { exit: 2 },
    })
    expect(ssmWrites()).toEqual([])
    expect(aws.parameters.has(LOCK)).toBe(false)
    expect(aws.mocks.cloudFormation).not.toHaveReceivedCommand(CreateChangeSetCommand)
  })

  it("deletes the env's own secrets, never its base's; --keep-secrets keeps them", async () => {
    aws.parameters.set(SECRET_KEY, 'k')
    aws.parameters.set('/djenv/shop/pr-42/secrets/SENTRY_DSN', 'd')
    aws.parameters.set(SHARED, KNOWN)

    const kept = await envDestroy({ ...destroyInput, keepSecrets: true }, deps())
    const keptNames = [...aws.parameters.keys()].filter((k) => k.includes('/secrets/'))
    const deleted = await envDestroy(destroyInput, deps())

    expect(kept.secrets).toEqual({ deleted: 0, kept: true })
    expect(keptNames).toEqual([SECRET_KEY, '/djenv/shop/pr-42/secrets/SENTRY_DSN', SHARED])
    expect(deleted.secrets).toEqual({ deleted: 2, kept: false })
    expect([...aws.parameters.keys()].filter((k) => k.includes('/secrets/'))).toEqual([SHARED])
  })

  it("deletes a production env's secrets only after the typed confirmation", async () => {
    const prodKey = '/djenv/shop/prod/secrets/SECRET_KEY'
    aws.parameters.set(prodKey, 'k')
    const prod = { ...destroyInput, name: 'prod' }

    await expect(envDestroy(prod, deps())).rejects.toMatchObject({ djenvCode: 'USAGE' })
    await expect(
      envDestroy({ ...prod, force: true, confirm: 'prd' }, deps()),
    ).rejects.toMatchObject({ djenvCode: 'CANCELLED' })
    expect(aws.parameters.has(prodKey)).toBe(true)

    const result = await envDestroy({ ...prod, force: true, confirm: 'prod' }, deps())

    expect(result.secrets).toEqual({ deleted: 1, kept: false })
    expect(aws.parameters.has(prodKey)).toBe(false)
  })
})

describe('files through env destroy and gc', () => {
  const ASSETS = BASE_OUTPUTS.AssetsBucketName ?? ''
  const OWN = ['pr-42/media/uploads/a.png', 'pr-42/static/admin/base.css', 'pr-42/static/app.css']
  // Keys a prefix without its trailing slash, or a looser match, would also take.
  const OTHERS = [
    'pr-4/static/app.css',
    'pr-42/mediafiles/x.png',
    'pr-42/static-old/app.css',
    'pr-420/media/b.png',
    'pr-43/static/app.css',
  ]
  const destroyInput = { name: 'pr-42', yes: true, force: false, keepDatabase: true, wait: false }
  let listed: ListObjectsV2CommandInput[]
  let deletions: { bucket: string; keys: string[]; liveStacks: string[] }[]

  /**
   * The fake S3 knows only the bootstrap bucket; these buckets exist too, holding `keys`.
   * DeleteObjects records which stacks were still live when it ran.
   */
  function givenBuckets(buckets: Record<string, string[]>) {
    for (const [bucket, keys] of Object.entries(buckets))
      for (const key of keys) aws.objects.set(`${bucket}/${key}`, 'x')
    const known = (name: string | undefined): string => {
      if (name !== aws.bootstrap.bucket && !(name !== undefined && name in buckets))
        throw new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} })
      return name
    }
    aws.mocks.s3.on(ListObjectsV2Command).callsFake(async (i: ListObjectsV2CommandInput) => {
      listed.push(i)
      const name = known(i.Bucket)
      const keys = keysIn(name).filter((k) => k.startsWith(i.Prefix ?? ''))
      return { Contents: keys.map((Key) => ({ Key })), KeyCount: keys.length }
    })
    aws.mocks.s3.on(DeleteObjectsCommand).callsFake(async (i: DeleteObjectsCommandInput) => {
      const name = known(i.Bucket)
      const keys = (i.Delete?.Objects ?? []).map((o) => o.Key ?? '')
      for (const key of keys) aws.objects.delete(`${name}/${key}`)
      deletions.push({ bucket: name, keys, liveStacks: aws.cfn.liveStackNames() })
      return {}
    })
  }

  const keysIn = (bucket: string) =>
    [...aws.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/`))
      .map((k) => k.slice(bucket.length + 1))
      .sort()

  beforeEach(() => {
    listed = []
    deletions = []
  })

  it('empties <env>/static/ and <env>/media/ once the stack is deleted, and nothing else', async () => {
    await envCreate(input, deps())
    givenBuckets({ [ASSETS]: [...OWN, ...OTHERS] })

    const result = await envDestroy({ ...destroyInput, keepDatabase: false }, deps())

    expect(result.files).toEqual({ deleted: 3, kept: false })
    expect(keysIn(ASSETS)).toEqual(OTHERS)
    expect(listed.map((i) => [i.Bucket, i.Prefix])).toEqual([
      [ASSETS, 'pr-42/static/'],
      [ASSETS, 'pr-42/media/'],
    ])
    expect(deletions.map((d) => d.keys).flat()).toEqual([
      'pr-42/static/admin/base.css',
      'pr-42/static/app.css',
      'pr-42/media/uploads/a.png',
    ])
    for (const d of deletions) expect(d.liveStacks).not.toContain('shop-dev-pr-42')
  })

  it('is re-runnable: files left by a failed destroy go, then a second run deletes none', async () => {
    givenBuckets({ [ASSETS]: OWN })

    const first = await envDestroy(destroyInput, deps())
    const second = await envDestroy(destroyInput, deps())

    expect(first).toMatchObject({ outcome: 'absent', files: { deleted: 3, kept: false } })
    expect(second.files).toEqual({ deleted: 0, kept: false })
    expect(keysIn(ASSETS)).toEqual([])
  })

  it('keeps the files with keepFiles, without any S3 call', async () => {
    givenBuckets({ [ASSETS]: OWN })

    const result = await envDestroy({ ...destroyInput, keepFiles: true }, deps())

    expect(result.files).toEqual({ deleted: 0, kept: true })
    expect(aws.mocks.s3.calls()).toHaveLength(0)
    expect(keysIn(ASSETS)).toEqual(OWN)
  })

  it('warns and goes on when the bucket does not exist (NoSuchBucket)', async () => {
    const report = deps().report

    const result = await envDestroy(destroyInput, { ...deps(), report })

    expect(result).toMatchObject({ outcome: 'absent', files: { deleted: 0, kept: false } })
    expect(aws.mocks.s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: ASSETS })
    expect(aws.mocks.s3).not.toHaveReceivedCommand(DeleteObjectsCommand)
    expect(report.warnings).toEqual([expect.stringContaining(`Bucket ${ASSETS}`)])
  })

  it('warns and goes on when the base is gone, calling no S3', async () => {
    aws.restore()
    aws = fakeAws({ region: REGION })
    const report = deps().report

    const result = await envDestroy(destroyInput, { ...deps(), report })

    expect(result.files).toEqual({ deleted: 0, kept: false })
    expect(aws.mocks.s3.calls()).toHaveLength(0)
    expect(report.warnings).toEqual([expect.stringContaining('Base shop-dev is gone')])
  })

  it("deletes a production env's app/ files only after the typed confirmation", async () => {
    const PROD_ASSETS = 'shop-prod-assetsbucket0123456789ab'
    aws.cfn.givenStack({
      name: 'shop-prod',
      template: {
        Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(
          Object.entries({ ...BASE_OUTPUTS, Kind: 'prod', AssetsBucketName: PROD_ASSETS }).map(
            ([k, v]) => [k, { Value: v }],
          ),
        ),
      },
      tags: { 'djenv:project': 'shop', 'djenv:base': 'prod', 'djenv:kind': 'prod' },
    })
    givenBuckets({ [PROD_ASSETS]: ['app/media/b.png', 'app/static/a.css', 'other/x'] })
    const prod = { ...destroyInput, name: 'prod' }

    await expect(envDestroy(prod, deps())).rejects.toMatchObject({ djenvCode: 'USAGE' })
    await expect(
      envDestroy({ ...prod, force: true, confirm: 'prd' }, deps()),
    ).rejects.toMatchObject({ djenvCode: 'CANCELLED' })
    expect(deletions).toEqual([])

    const result = await envDestroy({ ...prod, force: true, confirm: 'prod' }, deps())

    expect(result.files).toEqual({ deleted: 2, kept: false })
    expect(keysIn(PROD_ASSETS)).toEqual(['other/x'])
  })

  it('env gc destroys an expired env with its files', async () => {
    await envCreate(input, deps())
    givenBuckets({ [ASSETS]: [...OWN, ...OTHERS] })

    const result = await envGc(
      { dryRun: false },
      { ...deps(), clock: fakeClock('2027-01-01T00:00:00Z') },
    )

    expect(result).toMatchObject({ destroyed: ['pr-42'], failed: [] })
    expect(keysIn(ASSETS)).toEqual(OTHERS)
  })
})
