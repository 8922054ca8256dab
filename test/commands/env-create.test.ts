import { fileURLToPath } from 'node:url'

import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr'
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  UpdateServiceCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs'
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { runCommand } from '@oclif/test'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { baseOutputs } from '../support/app-env.js'
import { fakeAws, type FakeAws } from '../support/fake-aws.js'

// oclif imports commands (and their workflows) natively, outside vitest's module graph, so
// vi.mock cannot replace the workflow: these tests run the real offline plan.
const config = fileURLToPath(new URL('../../examples/shop/djenv.yml', import.meta.url))

describe('djenv env create --dry-run', () => {
  it('prints the plan document with --json', async () => {
    const { stdout, error } = await runCommand([
      'env',
      'create',
      'pr-42',
      '--dry-run',
      '--image-tag',
      'abc1234',
      '--config',
      config,
      '--json',
    ])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({
      env: 'pr-42',
      kind: 'adhoc',
      url: 'https://pr-42.shop.example.com',
      validation: 'off',
      images: { tag: 'abc1234', source: 'flag' },
      stacks: [{ name: 'shop-dev-pr-42', role: 'app', region: 'eu-west-1' }],
      files: { staticUrl: 'https://static.shop.example.com/pr-42/static/' },
    })
  })

  it('lists the base and its us-east-1 certificate stack with --with-base', async () => {
    const { stdout, error } = await runCommand([
      'env',
      'create',
      'pr-42',
      '--dry-run',
      '--with-base',
      '--config',
      config,
      '--json',
    ])

    expect(error).toBeUndefined()
    expect(
      (
        JSON.parse(stdout) as { stacks: { name: string; role: string; region: string }[] }
      ).stacks.map((s) => [s.name, s.role, s.region]),
    ).toEqual([
      ['shop-dev-static', 'certificate', 'us-east-1'],
      ['shop-dev', 'base', 'eu-west-1'],
      ['shop-dev-pr-42', 'app', 'eu-west-1'],
    ])
  })

  it('is also `djenv create`, and prints the plan for people', async () => {
    const { stdout, error } = await runCommand(['create', 'pr-43', '--dry-run', '--config', config])

    expect(error).toBeUndefined()
    expect(stdout).toContain('URL        https://pr-43.shop.example.com')
  })

  it('exits 2 with NAME_INVALID for a bad name', async () => {
    const { stdout, error } = await runCommand([
      'env',
      'create',
      'PR-42',
      '--dry-run',
      '--config',
      config,
      '--json',
    ])

    expect(error?.oclif?.exit).toBe(2)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'NAME_INVALID',
      hint: expect.stringContaining('"pr-42"'),
    })
  })

  it('exits 2 when the env name is missing', async () => {
    const { error } = await runCommand(['env', 'create', '--dry-run', '--json'])

    expect(error?.oclif?.exit).toBe(2)
  })
})

describe('djenv env create on a new env', () => {
  const ecr = mockClient(ECRClient)
  const ecs = mockClient(ECSClient)
  const elb = mockClient(ElasticLoadBalancingV2Client)
  let aws: FakeAws
  let tasks: RunTaskCommandInput[]
  let codes: { migrate?: number; collectstatic?: number }
  const desired = new Map<string, number>()
  const create = ['env', 'create', 'pr-42', '--yes', '--config', config, '--json']

  /** db-admin, migrate (no override) or collectstatic (an override naming it). */
  const taskName = (t: RunTaskCommandInput | undefined) =>
    t?.taskDefinition?.endsWith('db-admin')
      ? 'db-admin'
      : t?.overrides
        ? 'collectstatic'
        : 'migrate'

  beforeEach(() => {
    process.env.DJENV_STACK_POLL_MS = '5'
    aws = fakeAws({ region: 'eu-west-1' })
    aws.cfn.givenStack({
      name: 'shop-dev',
      template: {
        Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(
          Object.entries(baseOutputs()).map(([k, v]) => [k, { Value: v }]),
        ),
      },
      tags: { 'djenv:project': 'shop', 'djenv:base': 'dev', 'djenv:kind': 'adhoc' },
    })
    tasks = []
    codes = {}
    desired.clear()
    ecr.reset().onAnyCommand().rejects(new Error('unexpected ECR call'))
    ecs.reset().onAnyCommand().rejects(new Error('unexpected ECS call'))
    elb.reset().onAnyCommand().rejects(new Error('unexpected ELB call'))
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ['3f2c1d0'] }] })
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ Priority: 'default', IsDefault: true }] })
    // One-off tasks have stopped when djenv first looks, with the exit code set for their kind.
    ecs.on(RunTaskCommand).callsFake((i: RunTaskCommandInput) => {
      tasks.push(i)
      return {
        tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/c/task${tasks.length}` }],
      }
    })
    ecs.on(DescribeTasksCommand).callsFake((i: { tasks: string[] }) => {
      const task = tasks[Number(i.tasks[0]?.split('task').pop()) - 1]
      const name = taskName(task)
      const code = name === 'db-admin' ? 0 : (codes[name] ?? 0)
      return {
        tasks: [
          {
            lastStatus: 'STOPPED',
            containers: [{ name: name === 'db-admin' ? 'db-admin' : 'migrate', exitCode: code }],
          },
        ],
      }
    })
    // A service exists once djenv first scales it, and runs at once what it asked for.
    ecs.on(UpdateServiceCommand).callsFake((i: { service: string; desiredCount: number }) => {
      desired.set(i.service, i.desiredCount)
      return {}
    })
    ecs.on(DescribeServicesCommand).callsFake((i: { services: string[] }) => {
      const td = (name: string) => `shop-dev-pr-42-${name}:3f2c1d0`
      return {
        services: i.services
          .filter((name) => desired.has(name))
          .map((name) => ({
            serviceName: name,
            status: 'ACTIVE',
            desiredCount: desired.get(name),
            runningCount: desired.get(name),
            taskDefinition: td(name),
            deployments: [
              { status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: td(name) },
            ],
          })),
        failures: i.services
          .filter((name) => !desired.has(name))
          .map((name) => ({ arn: name, reason: 'MISSING' })),
      }
    })
    ecs.on(DescribeTaskDefinitionCommand).callsFake((i: { taskDefinition: string }) => ({
      taskDefinition: {
        containerDefinitions: [
          {
            name: i.taskDefinition.split(':')[0]?.split('-').pop(),
            image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:3f2c1d0',
          },
        ],
      },
    }))
  })

  afterEach(() => {
    delete process.env.DJENV_STACK_POLL_MS
    expect(aws.unexpected()).toEqual([])
    aws.restore()
  })

  it('runs collectstatic after migrations, then starts the services', async () => {
    const { stdout, error } = await runCommand(create)

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({ env: 'pr-42', outcome: 'created' })
    expect(tasks.map(taskName)).toEqual(['db-admin', 'migrate', 'collectstatic'])
    expect([...desired.values()]).toEqual([1, 1, 1])
  })

  it('does not run collectstatic with --skip-collectstatic', async () => {
    const { stdout, error } = await runCommand([...create, '--skip-collectstatic'])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'created' })
    expect(tasks.map(taskName)).toEqual(['db-admin', 'migrate'])
  })

  it('exits 1 with TASK_FAILED when collectstatic fails, leaving every service at 0', async () => {
    codes.collectstatic = 2

    const { stdout, error } = await runCommand(create)

    expect(error?.oclif?.exit).toBe(1)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'TASK_FAILED',
      message: 'collectstatic failed with exit code 2; no service was started.',
      hint: expect.stringContaining('djenv env create pr-42'),
    })
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
  })
})
