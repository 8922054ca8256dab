import { fileURLToPath } from 'node:url'

import { DescribeStackEventsCommand } from '@aws-sdk/client-cloudformation'
import { DescribeServicesCommand } from '@aws-sdk/client-ecs'
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm'
import { beforeEach, describe, expect, it } from 'vitest'

import { envList } from '../../src/deploy/env-list.js'
import { envStatus } from '../../src/deploy/env-status.js'
import { renderEnvList, renderEnvStatus } from '../../src/ui/render/env-lifecycle.js'
import { awsMocks, stack } from '../support/aws-mocks.js'
import { fakeClock } from '../support/fake-clock.js'

const aws = awsMocks()
const cwd = fileURLToPath(new URL('../../examples/shop', import.meta.url))
const deps = { cwd, env: { AWS_REGION: 'eu-west-1' }, clock: fakeClock('2026-11-20T10:00:00Z') }
const adhocTags = (env: string) => ({
  'djenv:project': 'shop',
  'djenv:base': 'dev',
  'djenv:env': env,
  'djenv:kind': 'adhoc',
})

beforeEach(() => aws.reset())

describe('envList', () => {
  it('lists envs and bases from one DescribeStacks and one state read per base', async () => {
    aws.stacks([
      stack('shop-dev', 'UPDATE_COMPLETE', {
        tags: { 'djenv:project': 'shop', 'djenv:base': 'dev', 'djenv:kind': 'adhoc' },
      }),
      stack('shop-dev-pr-42', 'CREATE_COMPLETE', {
        tags: adhocTags('pr-42'),
        outputs: { Url: 'https://pr-42.shop.example.com' },
      }),
      stack('shop-dev-pr-7', 'ROLLBACK_COMPLETE', { tags: adhocTags('pr-7') }),
      stack('other-app', 'CREATE_COMPLETE', { tags: { 'djenv:project': 'other' } }),
    ])
    aws.ssm.on(GetParametersByPathCommand, { Path: '/djenv/shop/dev/envs' }).resolves({
      Parameters: [
        { Name: '/djenv/shop/dev/envs/pr-42/state/images/web', Value: '3f2c1d0' },
        { Name: '/djenv/shop/dev/envs/pr-42/state/deployed-at', Value: '2026-11-19T10:00:00.000Z' },
        { Name: '/djenv/shop/dev/envs/pr-42/state/ttl', Value: '3d' },
      ],
    })

    const result = await envList({}, deps)

    expect(result.bases).toEqual([
      { name: 'dev', kind: 'adhoc', stack: 'shop-dev', status: 'UPDATE_COMPLETE' },
    ])
    expect(result.envs).toEqual([
      {
        env: 'pr-42',
        kind: 'adhoc',
        base: 'dev',
        stack: 'shop-dev-pr-42',
        status: 'CREATE_COMPLETE',
        url: 'https://pr-42.shop.example.com',
        imageTag: '3f2c1d0',
        createdAt: '2026-11-18T10:00:00.000Z',
        lastDeployAt: '2026-11-19T10:00:00.000Z',
        expiresAt: '2026-11-22T10:00:00.000Z',
        monthlyUsd: 8.1, // 3 Spot tasks of 0.25 vCPU / 0.5 GB (test/cost)
        baseShareUsd: 32.98, // the example base's 65.96 shared by 2 envs
      },
      expect.objectContaining({
        env: 'pr-7',
        status: 'ROLLBACK_COMPLETE',
        imageTag: null,
        expiresAt: '2026-11-25T10:00:00.000Z',
      }),
    ])
    expect(aws.ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 1)
    expect(aws.ecs.calls()).toHaveLength(0)
  })

  it('renders a table with ages and expiry', async () => {
    aws.stacks([stack('shop-dev-pr-42', 'CREATE_COMPLETE', { tags: adhocTags('pr-42') })])
    aws.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] })

    const text = renderEnvList(await envList({}, deps), new Date('2026-11-20T10:00:00Z'))

    expect(text.split('\n')[0]).toMatch(
      /^ENV\s+TYPE\s+BASE\s+STATUS\s+URL\s+IMAGE\s+AGE\s+DEPLOYED\s+EXPIRES\s+COST\/MONTH$/,
    )
    expect(text).toMatch(
      /pr-42\s+adhoc\s+dev\s+CREATE_COMPLETE\s+-\s+-\s+2d\s+2d ago\s+in 5d\s+\$8\.10 \+ \$65\.96 base/,
    )
  })
})

describe('envStatus', () => {
  it('shows the stack, each service with running/desired and rollout, and recent events', async () => {
    aws.stacks([
      stack('shop-dev-pr-42', 'UPDATE_COMPLETE', {
        outputs: {
          Url: 'https://pr-42.shop.example.com',
          ClusterName: 'shop-dev-pr-42',
          ServiceNames: 'web,worker',
        },
      }),
    ])
    aws.ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'web',
          status: 'ACTIVE',
          desiredCount: 1,
          runningCount: 1,
          pendingCount: 0,
          deployments: [
            { status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: 'arn:td/web:3' },
          ],
          events: [{ message: '(service web) has reached a steady state.', createdAt: new Date() }],
        },
      ],
      failures: [
        {
          arn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop-dev-pr-42/worker',
          reason: 'MISSING',
        },
      ],
    })
    aws.cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        {
          StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-dev-pr-42/0000',
          EventId: '1',
          StackName: 'shop-dev-pr-42',
          Timestamp: new Date('2026-11-20T09:00:00Z'),
          LogicalResourceId: 'shop-dev-pr-42',
          ResourceType: 'AWS::CloudFormation::Stack',
          ResourceStatus: 'UPDATE_COMPLETE',
        },
      ],
    })

    const result = await envStatus({ name: 'pr-42' }, deps)

    expect(result.url).toBe('https://pr-42.shop.example.com')
    expect(result.services).toEqual([
      {
        name: 'web',
        state: 'active',
        running: 1,
        desired: 1,
        pending: 0,
        deployment: { rolloutState: 'COMPLETED', taskDefinition: 'arn:td/web:3' },
        lastEvent: '(service web) has reached a steady state.',
      },
      {
        name: 'worker',
        state: 'missing',
        running: 0,
        desired: 0,
        pending: 0,
        deployment: null,
        lastEvent: null,
      },
    ])
    expect(result.events[0]).toMatchObject({
      status: 'UPDATE_COMPLETE',
      logicalId: 'shop-dev-pr-42',
    })
    expect(renderEnvStatus(result)).toMatch(/web\s+active\s+1\s+1\s+0\s+COMPLETED/)
  })

  it('says how to create an env that does not exist (exit 1)', async () => {
    aws.stacks([])

    await expect(envStatus({ name: 'pr-9' }, deps)).rejects.toMatchObject({
      djenvCode: 'ENV_NOT_FOUND',
      oclif: { exit: 1 },
      hint: expect.stringContaining('djenv env create pr-9'),
    })
  })

  it('refuses an invalid env name before any AWS call (exit 2)', async () => {
    await expect(envStatus({ name: 'PR_42' }, deps)).rejects.toMatchObject({
      djenvCode: 'NAME_INVALID',
      oclif: { exit: 2 },
    })
    expect(aws.sts.calls()).toHaveLength(0)
  })

  it('refuses credentials for another account than djenv.yml names, before reading anything', async () => {
    aws.reset('999999999999')

    await expect(envStatus({ name: 'pr-42' }, deps)).rejects.toMatchObject({
      djenvCode: 'AWS_AUTH',
    })
    expect(aws.cfn.calls()).toHaveLength(0)
  })
})
