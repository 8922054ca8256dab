import { GetLogEventsCommand, StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs'
import {
  DescribeTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs'
import { beforeEach, describe, expect, it } from 'vitest'

import { createAws } from '../../src/aws/clients.js'
import type { LogEvent } from '../../src/aws/logs.js'
import { explainStop, interruptPolicy, runToCompletion } from '../../src/deploy/one-off-task.js'
import { appMocks, liveTailStream } from '../support/app-env.js'
import { fakeClock } from '../support/fake-clock.js'
import { scriptedAsker } from '../support/scripted-asker.js'

const mocks = appMocks()
const aws = createAws({ region: 'eu-west-1' })
const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/shop-dev-pr-42/abc123'
const task = {
  cluster: 'shop-dev-pr-42',
  taskDefinition: 'shop-dev-pr-42-migrate',
  container: 'migrate',
  subnets: ['subnet-a'],
  securityGroups: ['sg-app'],
  startedBy: 'djenv',
}
const step = () => {
  const details: string[] = []
  return { details, detail: (t: string) => details.push(t) }
}
const deps = (signal = new AbortController().signal) => ({ clock: fakeClock(), signal })

function stopped(container: Record<string, unknown>, extra: Record<string, unknown> = {}): Task {
  return {
    taskArn,
    lastStatus: 'STOPPED',
    taskDefinitionArn:
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-dev-pr-42-migrate:6',
    containers: [{ name: 'migrate', image: 'shop:new', ...container }],
    ...extra,
  } as Task
}

beforeEach(() => {
  mocks.reset()
  mocks.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn }] })
})

describe('runToCompletion', () => {
  it.each([0, 1, 3, 137])('passes exit code %i through exactly', async (code) => {
    mocks.ecs
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: [{ taskArn, lastStatus: 'PENDING' }] })
      .resolvesOnce({ tasks: [{ taskArn, lastStatus: 'RUNNING' }] })
      .resolves({ tasks: [stopped({ exitCode: code })] })

    const outcome = await runToCompletion(aws, 'eu-west-1', task, step(), deps())

    expect(outcome).toMatchObject({ taskArn, exitCode: code, image: 'shop:new' })
    expect(mocks.ecs).toHaveReceivedCommandWith(RunTaskCommand, {
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a'],
          securityGroups: ['sg-app'],
          assignPublicIp: 'DISABLED',
        },
      },
    })
  })

  it.each([
    [
      'image pull failure',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason:
          'CannotPullContainerError: pull image manifest has been retried 5 time(s): shop:nope not found',
      },
      {},
      /CannotPullContainerError/,
      /could not pull the image/,
    ],
    [
      'unreadable secrets',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason:
          'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed',
      },
      {},
      /ResourceInitializationError/,
      /fetch its secrets/,
    ],
    [
      'out of memory before the command ran',
      { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' },
      { reason: 'OutOfMemoryError: Container killed due to memory usage' },
      /OutOfMemoryError/,
      /ran out of memory/,
    ],
    [
      'no Fargate capacity',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason:
          'Capacity is unavailable at this time. Please try again later or in a different availability zone',
      },
      {},
      /Capacity is unavailable/,
      /no capacity/,
    ],
    [
      'essential container that could not start',
      { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' },
      { reason: 'CannotStartContainerError: exec: "pyhton": executable file not found in $PATH' },
      /CannotStartContainerError/,
      /could not start: check the command/,
    ],
    [
      'a StopTask before it ran',
      { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' },
      {},
      /UserInitiated: Task stopped by user/,
      /Someone stopped the task/,
    ],
  ])(
    'reports a task that never ran (%s) with its stop reason, exit 1',
    async (_, taskFields, container, reason, hint) => {
      mocks.ecs.on(DescribeTasksCommand).resolves({ tasks: [stopped(container, taskFields)] })

      const run = runToCompletion(aws, 'eu-west-1', task, step(), deps())

      await expect(run).rejects.toMatchObject({
        djenvCode: 'TASK_FAILED',
        oclif: { exit: 1 },
        message: expect.stringMatching(reason),
        hint: expect.stringMatching(hint),
      })
    },
  )

  it('reports a task ECS refused to start, with the failure reason', async () => {
    mocks.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY' }] })

    await expect(runToCompletion(aws, 'eu-west-1', task, step(), deps())).rejects.toMatchObject({
      djenvCode: 'TASK_FAILED',
      message: expect.stringContaining('RESOURCE:MEMORY'),
    })
  })

  it("streams the container's log lines live while it runs, and reads the last ones after it stopped", async () => {
    let delivered = false
    mocks.logs.on(GetLogEventsCommand).resolves({
      events: [
        { timestamp: Date.parse('2026-11-20T10:00:00Z'), message: 'Applying shop.0042... OK' },
        { timestamp: Date.parse('2026-11-20T10:00:01Z'), message: 'late line' },
      ],
      nextForwardToken: 'f/1',
    })
    mocks.logs.on(StartLiveTailCommand).resolves({
      responseStream: liveTailStream(
        [[{ stream: 'migrate/migrate/abc123', message: 'Applying shop.0042... OK' }]],
        { onDelivered: () => (delivered = true) },
      ),
    })
    const order: string[] = []
    mocks.ecs.on(DescribeTasksCommand).callsFake(() => {
      order.push(delivered ? 'poll after the line' : 'poll')
      return { tasks: [delivered ? stopped({ exitCode: 0 }) : { taskArn, lastStatus: 'RUNNING' }] }
    })
    const lines: LogEvent[] = []

    const outcome = await runToCompletion(aws, 'eu-west-1', task, step(), deps(), {
      logs: {
        api: aws.logs,
        group: '/djenv/shop/dev/pr-42',
        groupArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/djenv/shop/dev/pr-42',
        streamPrefix: 'migrate/migrate',
        onEvent: (e) => lines.push(e),
      },
    })

    expect(outcome.exitCode).toBe(0)
    expect(lines.map((l) => [l.stream, l.message])).toEqual([
      ['migrate/migrate/abc123', 'Applying shop.0042... OK'], // live, shown once
      ['migrate/migrate/abc123', 'late line'], // read after the task stopped
    ])
    expect(order.at(-1)).toBe('poll after the line')
    expect(mocks.logs).toHaveReceivedCommandWith(GetLogEventsCommand, {
      logStreamName: 'migrate/migrate/abc123',
      startTime: Date.parse('2026-11-20T10:00:00Z'),
    })
    expect(mocks.logs).toHaveReceivedCommandWith(StartLiveTailCommand, {
      logStreamNames: ['migrate/migrate/abc123'],
    })
  })

  it('on Ctrl-C leaves the task running unless told to stop it, and exits 130', async () => {
    mocks.ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn, lastStatus: 'RUNNING' }] })
    mocks.ecs.on(StopTaskCommand).resolves({})
    const interrupt = new AbortController()
    interrupt.abort()

    const left = runToCompletion(aws, 'eu-west-1', task, step(), deps(interrupt.signal))

    await expect(left).rejects.toMatchObject({
      djenvCode: 'INTERRUPTED',
      oclif: { exit: 130 },
      message: expect.stringContaining('goes on'),
    })
    expect(mocks.ecs).not.toHaveReceivedCommand(StopTaskCommand)

    const stoppedRun = runToCompletion(aws, 'eu-west-1', task, step(), deps(interrupt.signal), {
      onInterrupt: interruptPolicy(true, { ask: scriptedAsker({}), terminal: tty(false) }),
    })

    await expect(stoppedRun).rejects.toMatchObject({
      djenvCode: 'INTERRUPTED',
      message: expect.stringContaining('stopped task abc123'),
    })
    expect(mocks.ecs).toHaveReceivedCommandWith(StopTaskCommand, {
      cluster: 'shop-dev-pr-42',
      task: taskArn,
    })
  })
})

function tty(interactive: boolean) {
  return { interactive, ci: !interactive, stderrIsTTY: interactive, color: false }
}

describe('interruptPolicy', () => {
  it('asks on a terminal, leaves the task elsewhere, stops it with --stop-on-interrupt', async () => {
    const ask = scriptedAsker({ 'Stop task abc123': true })

    expect(await interruptPolicy(false, { ask, terminal: tty(true) })('abc123')).toBe('stop')
    expect(ask.asked).toEqual(['Stop task abc123 in AWS as well?'])
    expect(await interruptPolicy(false, { ask, terminal: tty(false) })('abc123')).toBe('leave')
    expect(await interruptPolicy(true, { ask, terminal: tty(false) })('abc123')).toBe('stop')
    expect(ask.asked).toHaveLength(1)
  })
})

describe('explainStop', () => {
  it('joins the stop code and reasons it has', () => {
    expect(explainStop({ stopCode: null, stoppedReason: null, containerReason: null }).reason).toBe(
      'ECS gave no reason',
    )
  })
})
