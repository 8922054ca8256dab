import { GetLogEventsCommand, StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs'
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  RunTaskCommand,
  UpdateServiceCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs'
import { runCommand } from '@oclif/test'
import { beforeEach, describe, expect, it } from 'vitest'

import DeployImage from '../../src/commands/deploy-image.js'
import {
  appMocks,
  envFixture,
  liveTailStream,
  SHOP_CONFIG,
  taskDefinitions,
} from '../support/app-env.js'

// oclif imports commands natively, outside vitest's module graph: these run the real workflow
// over class-level SDK mocks.
const mocks = appMocks()
const f = envFixture('pr-42')
const migrateTask = 'arn:aws:ecs:eu-west-1:123456789012:task/shop-dev-pr-42/mig1'
const staticTask = 'arn:aws:ecs:eu-west-1:123456789012:task/shop-dev-pr-42/static1'
const NOW = Date.parse('2026-11-20T10:00:00Z')
const deploy = ['deploy-image', 'pr-42', 'new5678', '--config', SHOP_CONFIG, '--no-wait']

/**
 * Migrations and collectstatic (the migrate revision with a command override) as tasks that
 * have already stopped when djenv first looks, with these exit codes.
 */
function givenTasks(codes: { migrate?: number; collectstatic?: number } = {}) {
  const isStatic = (i: RunTaskCommandInput) =>
    i.overrides?.containerOverrides?.[0]?.command?.includes('collectstatic') ?? false
  mocks.ecs.on(RunTaskCommand).callsFake((i: RunTaskCommandInput) => ({
    tasks: [{ taskArn: isStatic(i) ? staticTask : migrateTask }],
  }))
  mocks.logs.on(StartLiveTailCommand).resolves({ responseStream: liveTailStream([]) })
  mocks.logs.on(GetLogEventsCommand).callsFake((i: { logStreamName?: string }) => ({
    events: [
      {
        timestamp: NOW,
        message: i.logStreamName?.endsWith('static1')
          ? '128 static files copied'
          : 'No migrations to apply.',
      },
    ],
    nextForwardToken: 'f/1',
  }))
  mocks.ecs.on(DescribeTasksCommand).callsFake((i: { tasks?: string[] }) => {
    const arn = i.tasks?.[0] ?? ''
    const code = (arn === staticTask ? codes.collectstatic : codes.migrate) ?? 0
    return {
      tasks: [
        { taskArn: arn, lastStatus: 'STOPPED', containers: [{ name: 'migrate', exitCode: code }] },
      ],
    }
  })
}

/** Which one-off tasks were started, in order. */
function started(): string[] {
  return mocks.ecs
    .commandCalls(RunTaskCommand)
    .map((c) => (c.args[0].input.overrides ? 'collectstatic' : 'migrate'))
}

beforeEach(() => {
  mocks.reset()
  mocks.givenEnv(f)
  mocks.givenImages('old1234', 'new5678')
  mocks.givenParameters(new Map([[`${f.ssmRoot}/state/images/migrate`, 'old1234']]))
  taskDefinitions(mocks, f, 'old1234')
  const td = (name: string) =>
    `arn:aws:ecs:eu-west-1:123456789012:task-definition/${f.family(name)}:5`
  mocks.ecs.on(DescribeServicesCommand).callsFake((input: { services?: string[] }) => ({
    services: (input.services ?? []).map((name) => ({
      serviceName: name,
      status: 'ACTIVE',
      desiredCount: 1,
      runningCount: 1,
      taskDefinition: td(name),
      deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: td(name) }],
    })),
  }))
  mocks.ecs.on(UpdateServiceCommand).resolves({})
})

describe('djenv deploy-image and collectstatic', () => {
  it('runs collectstatic after migrations and prints it in the --json document', async () => {
    givenTasks()

    const { stdout, stderr, error } = await runCommand([...deploy, '--json'])

    expect(error).toBeUndefined()
    expect(process.exitCode).toBeUndefined()
    const result = JSON.parse(stdout)
    expect(result).toMatchObject({
      outcome: 'started',
      exitCode: 0,
      migration: { taskArn: migrateTask, exitCode: 0 },
      collectstatic: { taskArn: staticTask, exitCode: 0, durationMs: expect.any(Number) },
      durations: { collectstaticMs: expect.any(Number) },
    })
    expect(started()).toEqual(['migrate', 'collectstatic'])
    expect(mocks.ecs).toHaveReceivedCommandWith(RunTaskCommand, {
      overrides: {
        containerOverrides: [
          { name: 'migrate', command: ['python', 'manage.py', 'collectstatic', '--noinput'] },
        ],
      },
    })
    expect(mocks.ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 3)
    expect(stderr).toContain('128 static files copied') // its logs, on stderr under --json
  })

  it('skips it with --skip-collectstatic', async () => {
    givenTasks()

    const { stdout, error } = await runCommand([...deploy, '--skip-collectstatic', '--json'])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({
      outcome: 'started',
      collectstatic: null,
      durations: { collectstaticMs: null },
    })
    expect(started()).toEqual(['migrate'])
    expect(mocks.ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 3)
  })

  it('runs it with --skip-migrations', async () => {
    givenTasks()

    const { stdout, error } = await runCommand([...deploy, '--skip-migrations', '--json'])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({ migration: null, collectstatic: { exitCode: 0 } })
    expect(started()).toEqual(['collectstatic'])
  })

  it.each([1, 2])(
    'exits with collectstatic exit code %i, still prints the --json result, and updates no service',
    async (code) => {
      givenTasks({ collectstatic: code })

      const { stdout, error } = await runCommand([...deploy, '--json'])

      expect(error).toBeUndefined()
      expect(process.exitCode).toBe(code)
      expect(JSON.parse(stdout)).toMatchObject({
        outcome: 'collectstatic-failed',
        exitCode: code,
        migration: { exitCode: 0 },
        collectstatic: { taskArn: staticTask, exitCode: code },
        recorded: false,
      })
      expect(mocks.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
    },
  )

  it('tells people the services still run the previous image when collectstatic fails', async () => {
    givenTasks({ collectstatic: 1 })

    const { stdout, stderr, error } = await runCommand(deploy)

    expect(error).toBeUndefined()
    expect(process.exitCode).toBe(1)
    expect(stdout).toContain(
      'collectstatic failed with exit code 1; no service of pr-42 was updated, they still run the previous image',
    )
    expect(stderr).toContain('no service was updated (they still run old1234)')
  })

  // --help reads oclif.manifest.json, which the release regenerates: check the class instead.
  it('documents --skip-collectstatic, with an example', () => {
    expect(DeployImage.flags['skip-collectstatic']).toMatchObject({
      type: 'boolean',
      summary: expect.stringContaining('collectstatic'),
    })
    expect(DeployImage.examples).toContainEqual(
      expect.stringContaining('pr-42 3f2c1d0 --skip-collectstatic'),
    )
  })
})
