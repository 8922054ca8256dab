import { GetLogEventsCommand, StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs'
import {
  DeregisterTaskDefinitionCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs'
import { beforeEach, describe, expect, it } from 'vitest'

import type { LogEvent } from '../../src/aws/logs.js'
import { taskRun, withTag, type TaskRunInput } from '../../src/deploy/task-run.js'
import { renderTaskRun } from '../../src/ui/render/task-run.js'
import {
  appMocks,
  envFixture,
  liveTailStream,
  REGISTRY,
  taskDefinitions,
  testDeps,
} from '../support/app-env.js'

const mocks = appMocks()
const f = envFixture('pr-42')
const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/shop-dev-pr-42/run1'
let tds: ReturnType<typeof taskDefinitions>

function givenTask(code: number, lines: string[] = []) {
  let delivered = false
  mocks.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn }] })
  mocks.logs.on(GetLogEventsCommand).resolves({ events: [] })
  mocks.logs.on(StartLiveTailCommand).resolves({
    responseStream: liveTailStream(
      [lines.map((message) => ({ stream: 'migrate/migrate/run1', message }))],
      {
        onDelivered: () => (delivered = true),
      },
    ),
  })
  mocks.ecs.on(DescribeTasksCommand).callsFake(() => ({
    tasks: [
      delivered
        ? {
            taskArn,
            lastStatus: 'STOPPED',
            taskDefinitionArn: tds.arnOf('migrate', 5),
            containers: [{ name: 'migrate', exitCode: code, image: `${REGISTRY}/shop:old1234` }],
          }
        : { taskArn, lastStatus: 'RUNNING' },
    ],
  }))
}

function input(o: Partial<TaskRunInput> = {}): TaskRunInput & { lines: LogEvent[] } {
  const lines: LogEvent[] = []
  return { lines, name: 'pr-42', stopOnInterrupt: false, onLog: (e) => lines.push(e), ...o }
}

beforeEach(() => {
  mocks.reset()
  mocks.givenEnv(f)
  mocks.givenImages('old1234', 'new5678')
  mocks.givenParameters(new Map([[`${f.ssmRoot}/state/images/migrate`, 'old1234']]))
  tds = taskDefinitions(mocks, f, 'old1234')
})

describe('taskRun', () => {
  it("runs the env's migrations with the deployed image, streams them, returns the exit code", async () => {
    givenTask(0, ['Operations to perform:', '  Apply all migrations: shop'])
    const i = input()

    const result = await taskRun(i, testDeps())

    expect(result).toMatchObject({
      env: 'pr-42',
      taskArn,
      taskId: 'run1',
      taskDefinition: tds.arnOf('migrate', 5),
      command: null,
      exitCode: 0,
      logGroup: f.logGroup,
      logStream: 'migrate/migrate/run1',
      logs: 'live',
    })
    expect(i.lines.map((l) => l.message)).toEqual([
      'Operations to perform:',
      '  Apply all migrations: shop',
    ])
    expect(mocks.ecs).toHaveReceivedCommandWith(RunTaskCommand, {
      cluster: f.cluster,
      taskDefinition: tds.arnOf('migrate', 5),
      launchType: 'FARGATE',
      overrides: undefined,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-app'],
          assignPublicIp: 'DISABLED',
        },
      },
    })
    expect(mocks.ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand)
  })

  it('runs another command in the migrate container and passes its exit code through', async () => {
    givenTask(3)

    const result = await taskRun(input({ command: ['python', 'manage.py', 'check'] }), testDeps())

    expect(result).toMatchObject({ exitCode: 3, command: ['python', 'manage.py', 'check'] })
    expect(mocks.ecs).toHaveReceivedCommandWith(RunTaskCommand, {
      overrides: {
        containerOverrides: [{ name: 'migrate', command: ['python', 'manage.py', 'check'] }],
      },
    })
    expect(renderTaskRun(result)).toMatch(/python manage.py check exited with code 3/)
  })

  it('runs --image-tag through a revision registered for this run and deregistered after', async () => {
    givenTask(0)

    await taskRun(input({ imageTag: 'new5678' }), testDeps())

    expect(tds.registered).toEqual([
      expect.objectContaining({
        family: f.family('migrate'),
        containerDefinitions: [expect.objectContaining({ image: `${REGISTRY}/shop:new5678` })],
      }),
    ])
    expect(mocks.ecs).toHaveReceivedCommandWith(RunTaskCommand, {
      taskDefinition: tds.arnOf('migrate', 6),
    })
    expect(mocks.ecs).toHaveReceivedCommandWith(DeregisterTaskDefinitionCommand, {
      taskDefinition: tds.arnOf('migrate', 6),
    })
    expect(tds.defs.get(tds.arnOf('migrate', 5))?.status).toBe('ACTIVE')
    // Deregistered as soon as the task started, not only once it ended.
    const calls = mocks.ecs.calls().map((c) => c.args[0].constructor.name)
    expect(calls.indexOf('DeregisterTaskDefinitionCommand')).toBeLessThan(
      calls.lastIndexOf('DescribeTasksCommand'),
    )
  })

  it('refuses an --image-tag that is not in ECR, running nothing', async () => {
    givenTask(0)

    await expect(taskRun(input({ imageTag: 'nothere' }), testDeps())).rejects.toMatchObject({
      djenvCode: 'IMAGE_MISSING',
    })
    expect(mocks.ecs).not.toHaveReceivedCommand(RunTaskCommand)
  })

  it('needs an env name off a terminal, and takes DJENV_ENV', async () => {
    givenTask(0)

    await expect(taskRun(input({ name: undefined }), testDeps())).rejects.toMatchObject({
      djenvCode: 'INPUT_REQUIRED',
      oclif: { exit: 2 },
    })

    const deps = { ...testDeps(), env: { DJENV_ENV: 'pr-42' } }
    expect((await taskRun(input({ name: undefined }), deps)).env).toBe('pr-42')
  })

  it('says when the env does not exist', async () => {
    await expect(taskRun(input({ name: 'pr-9' }), testDeps())).rejects.toMatchObject({
      djenvCode: 'ENV_NOT_FOUND',
      message: expect.stringContaining('shop-dev-pr-9'),
    })
  })
})

describe('withTag', () => {
  it('replaces the tag or digest of an image reference, keeping the registry', () => {
    expect(withTag(`${REGISTRY}/team/shop:abc`, 'def')).toBe(`${REGISTRY}/team/shop:def`)
    expect(withTag('localhost:5000/shop@sha256:00ff', 'def')).toBe('localhost:5000/shop:def')
    expect(withTag('shop', 'def')).toBe('shop:def')
  })
})
