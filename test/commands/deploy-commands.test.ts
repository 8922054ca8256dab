import {
  FilterLogEventsCommand,
  GetLogEventsCommand,
  StartLiveTailCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs'
import { runCommand } from '@oclif/test'
import { beforeEach, describe, expect, it } from 'vitest'

import {
  appMocks,
  envFixture,
  liveTailStream,
  SHOP_CONFIG,
  taskDefinitions,
} from '../support/app-env.js'

// oclif imports commands natively, outside vitest's module graph: these run the real workflows
// over class-level SDK mocks.
const mocks = appMocks()
const f = envFixture('pr-42')
const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/shop-dev-pr-42/t1'
const NOW = Date.parse('2026-11-20T10:00:00Z')

/**
 * A one-off task that has already stopped when djenv first looks (so no real-time polling):
 * its one line comes from the read after the stop, live tail having sent nothing.
 */
function givenTask(code: number | null, extra: Record<string, unknown> = {}) {
  mocks.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn }] })
  mocks.logs.on(StartLiveTailCommand).resolves({ responseStream: liveTailStream([]) })
  mocks.logs.on(GetLogEventsCommand).resolves({
    events: [{ timestamp: NOW, message: 'No migrations to apply.' }],
    nextForwardToken: 'f/1',
  })
  mocks.ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      {
        taskArn,
        lastStatus: 'STOPPED',
        containers: [{ name: 'migrate', ...(code === null ? {} : { exitCode: code }) }],
        ...extra,
      },
    ],
  })
}

beforeEach(() => {
  mocks.reset()
  mocks.givenEnv(f)
  mocks.givenImages('old1234')
  mocks.givenParameters(new Map([[`${f.ssmRoot}/state/images/migrate`, 'old1234']]))
  taskDefinitions(mocks, f, 'old1234')
})

describe('djenv migrate', () => {
  it.each([0, 1, 3, 137])(
    'exits with the container exit code %i and still prints the --json result',
    async (code) => {
      givenTask(code)

      const { stdout, stderr, error } = await runCommand([
        'migrate',
        'pr-42',
        '--config',
        SHOP_CONFIG,
        '--json',
      ])

      expect(error).toBeUndefined()
      expect(process.exitCode).toBe(code === 0 ? undefined : code)
      expect(JSON.parse(stdout)).toMatchObject({
        env: 'pr-42',
        taskId: 't1',
        exitCode: code,
        command: null,
        logStream: 'migrate/migrate/t1',
      })
      expect(stderr).toContain('No migrations to apply.') // the logs, on stderr under --json
    },
  )

  it('streams the logs to stdout for people', async () => {
    givenTask(0)

    const { stdout, error } = await runCommand(['migrate', 'pr-42', '--config', SHOP_CONFIG])

    expect(error).toBeUndefined()
    expect(stdout).toBe('No migrations to apply.\n')
  })

  it('exits 1 with the stop reason when the task never ran', async () => {
    givenTask(null, {
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: pull access denied',
    })

    const { stdout, error } = await runCommand([
      'migrate',
      'pr-42',
      '--config',
      SHOP_CONFIG,
      '--json',
    ])

    expect(error?.oclif?.exit).toBe(1)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'TASK_FAILED',
      message: expect.stringContaining('CannotPullContainerError: pull access denied'),
      exitCode: 1,
    })
  })
})

describe('djenv run', () => {
  it('runs everything after -- as the command, flags included', async () => {
    givenTask(0)

    const { stdout, error } = await runCommand([
      'run',
      'pr-42',
      '--config',
      SHOP_CONFIG,
      '--json',
      '--',
      'python',
      'manage.py',
      'check',
      '--deploy',
    ])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({
      command: ['python', 'manage.py', 'check', '--deploy'],
      exitCode: 0,
    })
    expect(mocks.ecs).toHaveReceivedCommandWith(RunTaskCommand, {
      overrides: {
        containerOverrides: [
          { name: 'migrate', command: ['python', 'manage.py', 'check', '--deploy'] },
        ],
      },
    })
  })

  it('exits 2 without a command', async () => {
    const { stdout, error } = await runCommand(['run', 'pr-42', '--config', SHOP_CONFIG, '--json'])

    expect(error?.oclif?.exit).toBe(2)
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'USAGE' })
    expect(mocks.ecs).not.toHaveReceivedCommand(RunTaskCommand)
  })
})

describe('djenv deploy-image', () => {
  it('exits 1 with IMAGE_MISSING for a tag ECR does not have, changing nothing', async () => {
    const { stdout, error } = await runCommand([
      'deploy-image',
      'pr-42',
      'nothere',
      '--config',
      SHOP_CONFIG,
      '--json',
    ])

    expect(error?.oclif?.exit).toBe(1)
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'IMAGE_MISSING', exitCode: 1 })
    expect(mocks.ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand)
    expect(mocks.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
  })

  it('exits with the migration exit code and updates no service', async () => {
    mocks.givenImages('old1234', 'new5678')
    givenTask(2)
    mocks.ecs.on(DescribeServicesCommand).callsFake((input: { services?: string[] }) => ({
      services: (input.services ?? []).map((name) => ({
        serviceName: name,
        status: 'ACTIVE',
        desiredCount: 1,
        runningCount: 1,
        taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${f.family(name)}:5`,
        deployments: [
          {
            status: 'PRIMARY',
            rolloutState: 'COMPLETED',
            taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${f.family(name)}:5`,
          },
        ],
      })),
    }))

    const { stdout, error } = await runCommand([
      'deploy-image',
      'pr-42',
      'new5678',
      '--config',
      SHOP_CONFIG,
      '--json',
    ])

    expect(error).toBeUndefined()
    expect(process.exitCode).toBe(2)
    expect(JSON.parse(stdout)).toMatchObject({
      outcome: 'migration-failed',
      exitCode: 2,
      migration: { exitCode: 2 },
    })
    expect(mocks.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
  })
})

describe('djenv logs', () => {
  it('prints one JSON object per line with --json', async () => {
    mocks.logs.on(FilterLogEventsCommand).resolves({
      events: [
        { logStreamName: 'web/web/t1', timestamp: NOW, message: 'GET / 200' },
        { logStreamName: 'beat/beat/t2', timestamp: NOW + 1, message: 'tick' },
      ],
    })

    const { stdout, error } = await runCommand([
      'logs',
      'pr-42',
      '--since',
      '1h',
      '--config',
      SHOP_CONFIG,
      '--json',
    ])

    expect(error).toBeUndefined()
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      expect.objectContaining({ service: 'web', task: 't1', message: 'GET / 200' }),
      expect.objectContaining({ service: 'beat', task: 't2', message: 'tick' }),
    ])
  })

  it('prints an error as one JSON line too', async () => {
    const { stdout, error } = await runCommand([
      'logs',
      'pr-42',
      '--since',
      'soon',
      '--config',
      SHOP_CONFIG,
      '--json',
    ])

    expect(error?.oclif?.exit).toBe(2)
    expect(stdout.trim().split('\n')).toHaveLength(1)
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'USAGE' })
  })
})
