import { DescribeServicesCommand } from '@aws-sdk/client-ecs'
import { beforeEach, describe, expect, it } from 'vitest'

import { createAws } from '../../src/aws/clients.js'
import type { ServiceInfo } from '../../src/aws/ecs.js'
import { classifyRollout, waitForServices } from '../../src/deploy/wait-services.js'
import { awsMocks } from '../support/aws-mocks.js'
import { fakeClock } from '../support/fake-clock.js'
import { recordingReporter } from '../support/recording-reporter.js'

const OLD = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-dev-pr-42-web:5'
const NEW = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-dev-pr-42-web:6'
const OTHER = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-dev-pr-42-web:7'

type Dep = Partial<ServiceInfo['deployments'][number]> & { status: string; taskDefinition: string }

function svc(deployments: Dep[], o: Partial<ServiceInfo> = {}): ServiceInfo {
  return {
    name: 'web',
    state: 'active',
    desired: 2,
    running: 2,
    pending: 0,
    taskDefinition: deployments[0]?.taskDefinition ?? null,
    deployments: deployments.map((d) => ({
      id: 'ecs-svc/1',
      rolloutState: null,
      rolloutStateReason: null,
      running: 0,
      desired: 0,
      failedTasks: 0,
      ...d,
    })),
    events: [],
    ...o,
  }
}

const target = { name: 'web', taskDefinition: NEW, previous: OLD }

describe('classifyRollout', () => {
  it('is completed only when the PRIMARY deployment runs the new revision, COMPLETED', () => {
    expect(
      classifyRollout(
        svc([{ status: 'PRIMARY', taskDefinition: NEW, rolloutState: 'COMPLETED' }]),
        target,
      ).state,
    ).toBe('completed')
    expect(
      classifyRollout(
        svc([
          { status: 'PRIMARY', taskDefinition: NEW, rolloutState: 'IN_PROGRESS' },
          { status: 'ACTIVE', taskDefinition: OLD, rolloutState: 'COMPLETED' },
        ]),
        target,
      ).state,
    ).toBe('in-progress')
  })

  it('sees a rollback in a stable service that runs the previous revision again', () => {
    const status = classifyRollout(
      svc([{ status: 'PRIMARY', taskDefinition: OLD, rolloutState: 'COMPLETED' }], {
        events: [
          {
            time: '2026-11-20T10:00:00.000Z',
            message: '(service web) rolling back to deployment ecs-svc/1.',
          },
        ],
      }),
      target,
      { seen: true },
    )

    expect(status).toMatchObject({
      state: 'rolled-back',
      taskDefinition: OLD,
      reason: '(service web) rolling back to deployment ecs-svc/1.',
    })
  })

  it('takes the reason of the FAILED deployment during the rollback', () => {
    const status = classifyRollout(
      svc([
        { status: 'PRIMARY', taskDefinition: OLD, rolloutState: 'IN_PROGRESS' },
        {
          status: 'ACTIVE',
          taskDefinition: NEW,
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        },
      ]),
      target,
    )

    expect(status).toMatchObject({
      state: 'rolled-back',
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
    })
  })

  it('waits while ECS does not show the new deployment yet, unless it was seen before', () => {
    const old = svc([{ status: 'PRIMARY', taskDefinition: OLD, rolloutState: 'COMPLETED' }])

    expect(classifyRollout(old, target).state).toBe('in-progress')
    expect(classifyRollout(old, target, { seen: true }).state).toBe('rolled-back')
  })

  it('counts failed tasks against --max-task-failures', () => {
    const failing = svc([
      { status: 'PRIMARY', taskDefinition: NEW, rolloutState: 'IN_PROGRESS', failedTasks: 3 },
    ])

    expect(classifyRollout(failing, target, { maxTaskFailures: 3 }).state).toBe('failing')
    expect(classifyRollout(failing, target, { maxTaskFailures: 4 }).state).toBe('in-progress')
  })

  it('notices another deployment replacing ours', () => {
    expect(
      classifyRollout(
        svc([
          { status: 'PRIMARY', taskDefinition: OTHER, rolloutState: 'IN_PROGRESS' },
          { status: 'ACTIVE', taskDefinition: NEW, rolloutState: 'IN_PROGRESS' },
        ]),
        target,
      ).state,
    ).toBe('superseded')
  })

  it('reports a FAILED rollout that nothing replaced as failed', () => {
    expect(
      classifyRollout(
        svc([{ status: 'PRIMARY', taskDefinition: NEW, rolloutState: 'FAILED' }]),
        target,
      ).state,
    ).toBe('failed')
  })
})

describe('waitForServices (env create)', () => {
  const aws = awsMocks()
  const api = createAws({ region: 'eu-west-1' })
  const deps = () => ({
    clock: fakeClock(),
    signal: new AbortController().signal,
    report: recordingReporter(),
  })

  beforeEach(() => aws.reset())

  it('waits until the services run their desired count, and fails at a FAILED rollout', async () => {
    aws.ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({
        services: [
          {
            serviceName: 'web',
            status: 'ACTIVE',
            desiredCount: 1,
            runningCount: 0,
            deployments: [{ status: 'PRIMARY', taskDefinition: NEW, rolloutState: 'IN_PROGRESS' }],
          },
        ],
      })
      .resolves({
        services: [
          {
            serviceName: 'web',
            status: 'ACTIVE',
            desiredCount: 1,
            runningCount: 1,
            deployments: [{ status: 'PRIMARY', taskDefinition: NEW, rolloutState: 'COMPLETED' }],
          },
        ],
      })
    const d = deps()

    const services = await waitForServices(api, 'eu-west-1', 'c', ['web'], { timeoutMs: 60_000 }, d)

    expect(services).toEqual([expect.objectContaining({ name: 'web', running: 1, desired: 1 })])
    expect(d.report.details).toEqual(['web 0/1', 'web 1/1'])

    aws.ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'web',
          status: 'ACTIVE',
          desiredCount: 1,
          runningCount: 0,
          deployments: [{ status: 'PRIMARY', taskDefinition: NEW, rolloutState: 'FAILED' }],
          events: [
            {
              message: '(service web) deployment failed: tasks failed to start.',
              createdAt: new Date(),
            },
          ],
        },
      ],
    })
    await expect(
      waitForServices(api, 'eu-west-1', 'c', ['web'], { timeoutMs: 60_000 }, deps()),
    ).rejects.toMatchObject({
      djenvCode: 'DEPLOY_FAILED',
      message:
        'Service web failed to start: (service web) deployment failed: tasks failed to start.',
    })
  })
})
