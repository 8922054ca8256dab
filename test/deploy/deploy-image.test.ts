import { readFileSync } from 'node:fs'

import { GetLogEventsCommand, StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs'
import { DescribeImagesCommand } from '@aws-sdk/client-ecr'
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
  type Deployment,
  type RunTaskCommandInput,
  type Service,
} from '@aws-sdk/client-ecs'
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { PutParameterCommand } from '@aws-sdk/client-ssm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'

import { deployImage, type DeployImageInput } from '../../src/deploy/deploy-image.js'
import type { LogEvent } from '../../src/aws/logs.js'
import { renderDeployImage } from '../../src/ui/render/deploy-image.js'
import { deployImageSummary } from '../../src/ui/render/step-summaries.js'
import {
  appMocks,
  envFixture,
  liveTailStream,
  REGISTRY,
  SHOP_CONFIG,
  taskDefinitions,
  testDeps,
} from '../support/app-env.js'
import { scriptedAsker } from '../support/scripted-asker.js'
import { tempTree } from '../support/tmp.js'

const mocks = appMocks()
const f = envFixture('pr-42')
const SERVICES = ['web', 'worker', 'beat'] as const
const migrateTask = 'arn:aws:ecs:eu-west-1:123456789012:task/shop-dev-pr-42/mig1'
const staticTask = 'arn:aws:ecs:eu-west-1:123456789012:task/shop-dev-pr-42/static1'
const COLLECTSTATIC = ['python', 'manage.py', 'collectstatic', '--noinput']
const LOCK = `${f.ssmRoot}/lock`

let tds: ReturnType<typeof taskDefinitions>
let params: Map<string, string>
let tree: ReturnType<typeof tempTree>

/** What a service's deployments look like at a poll after the update to `next`. */
type Rollout = (
  name: string,
  poll: number,
  td: { previous: string; next: string },
) => { deployments: Deployment[]; running?: number; desired?: number; events?: string[] }

const completes: Rollout = (_, poll, td) =>
  poll < 2
    ? {
        running: 1,
        deployments: [
          {
            status: 'PRIMARY',
            taskDefinition: td.next,
            rolloutState: 'IN_PROGRESS',
            runningCount: 0,
          },
          {
            status: 'ACTIVE',
            taskDefinition: td.previous,
            rolloutState: 'COMPLETED',
            runningCount: 1,
          },
        ],
      }
    : { deployments: [{ status: 'PRIMARY', taskDefinition: td.next, rolloutState: 'COMPLETED' }] }

/**
 * ECS services as deploy-image sees them: revision 5 COMPLETED until UpdateService points a
 * service elsewhere; then `rollout` says what each DescribeServices poll shows.
 */
function givenServices(rollout: Rollout = completes) {
  const updated = new Map<string, string>()
  let polls = 0
  mocks.ecs
    .on(UpdateServiceCommand)
    .callsFake((input: { service?: string; taskDefinition?: string }) => {
      updated.set(input.service ?? '', input.taskDefinition ?? '')
      return { service: { serviceName: input.service } }
    })
  mocks.ecs.on(DescribeServicesCommand).callsFake((input: { services?: string[] }) => {
    if (updated.size) polls += 1
    return {
      services: (input.services ?? []).map((name): Service => {
        const previous = tds.arnOf(name, 5)
        const next = updated.get(name)
        const shown = next
          ? rollout(name, polls, { previous, next })
          : {
              deployments: [
                { status: 'PRIMARY', taskDefinition: previous, rolloutState: 'COMPLETED' as const },
              ],
            }
        return {
          serviceName: name,
          status: 'ACTIVE',
          desiredCount: shown.desired ?? 1,
          runningCount: shown.running ?? 1,
          taskDefinition: shown.deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition,
          deployments: shown.deployments,
          events: (shown.events ?? []).map((message, i) => ({
            id: String(i),
            message,
            createdAt: new Date('2026-11-20T10:05:00Z'),
          })),
        }
      }),
    }
  })
  return updated
}

/**
 * The one-off tasks of the new migrate revision: migrations (no command override) and
 * collectstatic (a command override); each writes one line and exits with its code.
 */
function givenTasks(codes: { migrate?: number; collectstatic?: number } = {}) {
  const delivered = new Set<string>()
  const arnOf = (i: RunTaskCommandInput) =>
    i.overrides?.containerOverrides?.[0]?.command?.includes('collectstatic')
      ? staticTask
      : migrateTask
  const codeOf = (arn: string) => (arn === staticTask ? codes.collectstatic : codes.migrate) ?? 0
  mocks.ecs
    .on(RunTaskCommand)
    .callsFake((i: RunTaskCommandInput) => ({ tasks: [{ taskArn: arnOf(i) }] }))
  mocks.logs.on(GetLogEventsCommand).resolves({ events: [] })
  mocks.logs.on(StartLiveTailCommand).callsFake((i: { logStreamNames?: string[] }) => {
    const stream = i.logStreamNames?.[0] ?? ''
    const arn = stream.endsWith('/static1') ? staticTask : migrateTask
    const failed = codeOf(arn) !== 0
    const message =
      arn === staticTask
        ? failed
          ? 'botocore.exceptions.NoCredentialsError'
          : '128 static files copied'
        : failed
          ? 'django.db.utils.ProgrammingError'
          : 'Applying shop.0042... OK'
    return {
      responseStream: liveTailStream([[{ stream, message }]], {
        onDelivered: () => delivered.add(arn),
      }),
    }
  })
  mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks?: string[] }) => {
    const arn = input.tasks?.[0] ?? ''
    if (arn !== migrateTask && arn !== staticTask) return { tasks: [] }
    return {
      tasks: [
        delivered.has(arn)
          ? {
              taskArn: arn,
              lastStatus: 'STOPPED',
              containers: [{ name: 'migrate', exitCode: codeOf(arn) }],
            }
          : { taskArn: arn, lastStatus: 'RUNNING' },
      ],
    }
  })
}

/** The migration task: it writes one line and exits with `code`; collectstatic succeeds. */
function givenMigration(code: number) {
  givenTasks({ migrate: code })
}

/** The names of the ECS commands sent, in order, with each RunTask named after its task. */
function ecsCalls(): string[] {
  return mocks.ecs.calls().map((c) => {
    const command = c.args[0] as { constructor: { name: string }; input: RunTaskCommandInput }
    const name = command.constructor.name.replace(/Command$/, '')
    if (name !== 'RunTask') return name
    return command.input.overrides ? 'RunTask(collectstatic)' : 'RunTask(migrate)'
  })
}

/** The parameters written, but for the env lock (taken and released by every deploy). */
function stateWrites(): string[] {
  return mocks.ssm
    .commandCalls(PutParameterCommand)
    .map((c) => c.args[0].input.Name ?? '')
    .filter((name) => name !== LOCK)
}

/** The example configuration with a `static` block of its own, in a temporary file. */
function configWith(staticBlock: Record<string, unknown>): string {
  const config = parse(readFileSync(SHOP_CONFIG, 'utf8')) as Record<string, unknown>
  return tree.write('djenv.yml', stringify({ ...config, static: staticBlock }))
}

function input(o: Partial<DeployImageInput> = {}): DeployImageInput & { lines: LogEvent[] } {
  const lines: LogEvent[] = []
  return {
    lines,
    name: 'pr-42',
    tag: 'new5678',
    skipMigrations: false,
    skipCollectstatic: false,
    wait: true,
    timeoutMs: 15 * 60_000,
    maxTaskFailures: 3,
    rollbackOnTimeout: false,
    yes: false,
    stopOnInterrupt: false,
    onLog: (e) => lines.push(e),
    ...o,
  }
}

beforeEach(() => {
  tree = tempTree()
  mocks.reset()
  mocks.givenEnv(f)
  mocks.givenImages('old1234', 'new5678')
  params = new Map([[`${f.ssmRoot}/state/images/web`, 'old1234']])
  mocks.givenParameters(params)
  tds = taskDefinitions(mocks, f, 'old1234')
  mocks.elbv2.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }],
  })
})

afterEach(() => tree.cleanup())

describe('deployImage', () => {
  it('registers new revisions, migrates, rolls every service and records the tag', async () => {
    givenServices()
    givenMigration(0)
    const deps = testDeps()
    const i = input()

    const result = await deployImage(i, deps)

    expect(result).toMatchObject({
      env: 'pr-42',
      tag: 'new5678',
      image: `${REGISTRY}/shop:new5678`,
      outcome: 'completed',
      exitCode: 0,
      recorded: true,
      migration: { taskArn: migrateTask, exitCode: 0 },
      collectstatic: { taskArn: staticTask, exitCode: 0 },
    })
    expect(result.taskDefinitions).toEqual(
      ['web', 'worker', 'beat', 'migrate'].map((task) => ({
        task,
        previous: tds.arnOf(task, 5),
        registered: tds.arnOf(task, 6),
      })),
    )
    expect(result.services.map((s) => [s.name, s.state, s.taskDefinition])).toEqual(
      SERVICES.map((s) => [s, 'completed', tds.arnOf(s, 6)]),
    )
    // The migration ran the new migrate revision, before any service was updated.
    expect(mocks.ecs).toHaveReceivedCommandWith(RunTaskCommand, {
      taskDefinition: tds.arnOf('migrate', 6),
      launchType: 'FARGATE',
    })
    const order = mocks.ecs.calls().map((c) => c.args[0].constructor.name)
    expect(order.indexOf('RunTaskCommand')).toBeLessThan(order.indexOf('UpdateServiceCommand'))
    for (const svc of SERVICES) {
      expect(mocks.ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
        cluster: f.cluster,
        service: svc,
        taskDefinition: tds.arnOf(svc, 6),
      })
    }
    expect(i.lines.map((l) => l.message)).toEqual([
      'Applying shop.0042... OK',
      '128 static files copied',
    ])
    for (const task of ['web', 'worker', 'beat', 'migrate'])
      expect(params.get(`${f.ssmRoot}/state/images/${task}`)).toBe('new5678')
    expect(params.get(`${f.ssmRoot}/state/deployed-at`)).toBe(deps.clock.now().toISOString())
    expect(renderDeployImage(result)).toMatch(/Deployed new5678 to pr-42/)
  })

  it('changes only the image of the container named like the service, and drops read-only fields', async () => {
    givenServices()
    givenMigration(0)

    await deployImage(input(), testDeps())

    const web = tds.registered.find((r) => r.family === f.family('web'))
    expect(web).toEqual({
      family: f.family('web'),
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [
        {
          name: 'web',
          image: `${REGISTRY}/shop:new5678`,
          essential: true,
          command: ['run', 'web'],
          environment: [{ name: 'DJENV_SERVICE', value: 'web' }],
        },
        { name: 'log-router', image: 'public.ecr.aws/aws-observability/fluent-bit:2' },
      ],
      tags: [{ key: 'djenv:env', value: 'pr-42' }],
    })
  })

  it('stops at a failed migration with its exit code: no service is updated, nothing recorded', async () => {
    givenServices()
    givenMigration(3)
    const deps = testDeps()

    const result = await deployImage(input(), deps)

    expect(result).toMatchObject({ outcome: 'migration-failed', exitCode: 3, recorded: false })
    expect(result.services.every((s) => s.state === 'not-updated')).toBe(true)
    expect(mocks.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
    expect(stateWrites()).toEqual([])
    expect(deps.report.warnings).toEqual([
      expect.stringContaining('exit code 3; no service was updated'),
    ])
    expect(renderDeployImage(result)).toMatch(/Migrations failed with exit code 3/)
  })

  it('refuses a tag that is not in ECR before changing anything', async () => {
    givenServices()

    const run = deployImage(input({ tag: 'nothere' }), testDeps())

    await expect(run).rejects.toMatchObject({
      djenvCode: 'IMAGE_MISSING',
      oclif: { exit: 1 },
      message: expect.stringContaining('shop:nothere'),
    })
    expect(mocks.ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: 'shop',
      imageIds: [{ imageTag: 'nothere' }],
    })
    expect(mocks.ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand)
    expect(mocks.ecs).not.toHaveReceivedCommand(RunTaskCommand)
    expect(mocks.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
  })

  it('refuses `latest` offline, with exit 2', async () => {
    await expect(deployImage(input({ tag: 'latest' }), testDeps())).rejects.toMatchObject({
      djenvCode: 'USAGE',
      oclif: { exit: 2 },
    })
    expect(mocks.sts.calls()).toHaveLength(0)
  })

  it('reports a circuit-breaker rollback as a failure, with the reason and stopped tasks', async () => {
    givenServices((name, poll, td) => {
      if (name !== 'web') return completes(name, poll, td)
      return poll < 2
        ? {
            running: 0,
            deployments: [
              {
                status: 'PRIMARY',
                taskDefinition: td.next,
                rolloutState: 'IN_PROGRESS',
                failedTasks: 2,
              },
              { status: 'ACTIVE', taskDefinition: td.previous, rolloutState: 'COMPLETED' },
            ],
          }
        : {
            deployments: [
              {
                status: 'PRIMARY',
                taskDefinition: td.previous,
                rolloutState: 'IN_PROGRESS',
                rolloutStateReason:
                  'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.',
              },
              {
                status: 'ACTIVE',
                taskDefinition: td.next,
                rolloutState: 'FAILED',
                failedTasks: 3,
                rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
              },
            ],
            events: ['(service web) rolling back to deployment ecs-svc/1.'],
          }
    })
    givenMigration(0)
    mocks.ecs
      .on(ListTasksCommand)
      .resolves({ taskArns: ['arn:aws:ecs:eu-west-1:123456789012:task/c/t9'] })
    mocks.ecs
      .on(DescribeTasksCommand, { tasks: ['arn:aws:ecs:eu-west-1:123456789012:task/c/t9'] })
      .resolves({
        tasks: [
          {
            taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/c/t9',
            taskDefinitionArn: tds.arnOf('web', 6),
            stoppedReason: 'Task failed ELB health checks in (target-group tg)',
            stoppedAt: new Date('2026-11-20T10:04:00Z'),
            containers: [{ name: 'web', exitCode: 137 }],
          },
        ],
      })
    const deps = testDeps()

    const run = deployImage(input(), deps)

    await expect(run).rejects.toMatchObject({
      djenvCode: 'ROLLED_BACK',
      oclif: { exit: 1 },
      message: expect.stringMatching(
        /web rolled back to shop-dev-pr-42-web:5: ECS deployment circuit breaker: tasks failed to start/,
      ),
    })
    expect(deps.report.warnings).toContainEqual(
      'web: task t9 stopped: Task failed ELB health checks in (target-group tg), exit code 137',
    )
    expect(params.get(`${f.ssmRoot}/state/images/web`)).toBe('old1234')
    expect(mocks.ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 3) // no restore by djenv
  })

  it('gives up after --max-task-failures failed tasks in a row', async () => {
    givenServices((name, poll, td) =>
      name === 'worker'
        ? {
            running: 0,
            deployments: [
              {
                status: 'PRIMARY',
                taskDefinition: td.next,
                rolloutState: 'IN_PROGRESS',
                failedTasks: poll,
              },
              { status: 'ACTIVE', taskDefinition: td.previous, rolloutState: 'COMPLETED' },
            ],
          }
        : completes(name, poll, td),
    )
    givenMigration(0)
    mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [] })
    const deps = testDeps()

    await expect(deployImage(input({ maxTaskFailures: 3 }), deps)).rejects.toMatchObject({
      djenvCode: 'DEPLOY_FAILED',
      message: expect.stringContaining(
        'worker is failing: 3 task(s) of the new revision failed in a row',
      ),
    })
    // Two 10-second polls until the third failure, not 15 minutes.
    expect(deps.clock.slept.filter((ms) => ms === 10_000)).toHaveLength(2)
  })

  it('times out naming what never held, and leaves the new revisions without --rollback-on-timeout', async () => {
    givenServices((name, poll, td) =>
      name === 'web'
        ? {
            running: 0,
            deployments: [
              { status: 'PRIMARY', taskDefinition: td.next, rolloutState: 'IN_PROGRESS' },
              { status: 'ACTIVE', taskDefinition: td.previous, rolloutState: 'COMPLETED' },
            ],
          }
        : completes(name, poll, td),
    )
    givenMigration(0)
    const deps = testDeps()

    const run = deployImage(input({ timeoutMs: 5 * 60_000 }), deps)

    await expect(run).rejects.toMatchObject({
      djenvCode: 'DEPLOY_TIMEOUT',
      oclif: { exit: 1 },
      message: expect.stringMatching(
        /within 5m: web still rolling out \(0\/1 running, rollout IN_PROGRESS\)/,
      ),
      hint: expect.stringContaining('--rollback-on-timeout'),
    })
    expect(mocks.ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 3)
    expect(mocks.ecs).not.toHaveReceivedCommandWith(UpdateServiceCommand, {
      taskDefinition: tds.arnOf('web', 5),
    })
    expect(deps.clock.slept.filter((ms) => ms === 10_000)).toHaveLength(30) // 5 minutes of polls
    expect(stateWrites()).toEqual([])
  })

  it('times out and restores every previous revision with --rollback-on-timeout', async () => {
    givenServices((name, poll, td) =>
      name === 'web'
        ? {
            running: 0,
            deployments: [
              { status: 'PRIMARY', taskDefinition: td.next, rolloutState: 'IN_PROGRESS' },
            ],
          }
        : completes(name, poll, td),
    )
    givenMigration(0)

    const run = deployImage(input({ timeoutMs: 5 * 60_000, rollbackOnTimeout: true }), testDeps())

    await expect(run).rejects.toMatchObject({
      djenvCode: 'DEPLOY_TIMEOUT',
      message: expect.stringContaining('Every service was put back on its previous revision'),
    })
    for (const svc of SERVICES) {
      expect(mocks.ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
        service: svc,
        taskDefinition: tds.arnOf(svc, 5),
      })
    }
    expect(stateWrites()).toEqual([])
  })

  it('with --skip-migrations and --no-wait updates the services and returns', async () => {
    givenServices()

    const result = await deployImage(
      input({ skipMigrations: true, skipCollectstatic: true, wait: false }),
      testDeps(),
    )

    expect(result).toMatchObject({
      outcome: 'started',
      migration: null,
      collectstatic: null,
      recorded: false,
    })
    expect(mocks.ecs).not.toHaveReceivedCommand(RunTaskCommand)
    expect(mocks.ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 3)
    expect(stateWrites()).toEqual([])
  })

  it('does nothing when every service already runs the tag', async () => {
    givenServices()
    tds = taskDefinitions(mocks, f, 'new5678')

    const result = await deployImage(input(), testDeps())

    expect(result.outcome).toBe('unchanged')
    expect(mocks.ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand)
    expect(mocks.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
    expect(params.get(`${f.ssmRoot}/state/images/web`)).toBe('new5678')
  })

  it('refuses while the app stack is being updated', async () => {
    mocks.givenEnv(f, { appStatus: 'UPDATE_IN_PROGRESS' })

    await expect(deployImage(input(), testDeps())).rejects.toMatchObject({
      djenvCode: 'STACK_BUSY',
    })
    expect(mocks.ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand)
  })

  describe('collectstatic', () => {
    it('runs the configured command on the new migrate revision after migrations, before any service update', async () => {
      givenServices()
      givenTasks()
      const configPath = configWith({
        collectstatic: 'python manage.py collectstatic --noinput --clear',
      })
      const deps = testDeps()
      const i = input({ configPath })

      const result = await deployImage(i, deps)

      expect(result).toMatchObject({
        outcome: 'completed',
        exitCode: 0,
        collectstatic: { taskArn: staticTask, exitCode: 0 },
        durations: { collectstaticMs: expect.any(Number) },
      })
      expect(mocks.ecs).toHaveReceivedCommandTimes(RunTaskCommand, 2)
      expect(mocks.ecs).toHaveReceivedNthCommandWith(RunTaskCommand, 2, {
        cluster: f.cluster,
        taskDefinition: tds.arnOf('migrate', 6),
        launchType: 'FARGATE',
        startedBy: 'djenv',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: ['subnet-a', 'subnet-b'],
            securityGroups: ['sg-app'],
            assignPublicIp: 'DISABLED',
          },
        },
        overrides: {
          containerOverrides: [
            {
              name: 'migrate',
              command: ['python', 'manage.py', 'collectstatic', '--noinput', '--clear'],
            },
          ],
        },
      })
      const calls = ecsCalls()
      expect(calls.indexOf('RunTask(migrate)')).toBeGreaterThan(
        calls.lastIndexOf('RegisterTaskDefinition'),
      )
      expect(calls.indexOf('RunTask(collectstatic)')).toBeGreaterThan(
        calls.indexOf('RunTask(migrate)'),
      )
      expect(calls.indexOf('UpdateService')).toBeGreaterThan(
        calls.indexOf('RunTask(collectstatic)'),
      )
      // Its output is followed live, from the migrate container's stream.
      expect(mocks.logs).toHaveReceivedCommandWith(StartLiveTailCommand, {
        logStreamNames: ['migrate/migrate/static1'],
      })
      expect(i.lines.map((l) => l.message)).toContain('128 static files copied')
      expect(renderDeployImage(result)).toMatch(
        /collectstatic {2}exit code 0 in \d+ s \(task static1\)/,
      )
      expect(deployImageSummary(result)).toContain('; collectstatic exited 0;')
    })

    it.each([1, 2])(
      'stops at a collectstatic exit code %i: no service is updated, the code is the result',
      async (code) => {
        givenServices()
        givenTasks({ collectstatic: code })
        const deps = testDeps()

        const result = await deployImage(input(), deps)

        expect(result).toMatchObject({
          outcome: 'collectstatic-failed',
          exitCode: code,
          recorded: false,
          migration: { taskArn: migrateTask, exitCode: 0 },
          collectstatic: { taskArn: staticTask, exitCode: code },
          durations: { rolloutMs: null, collectstaticMs: expect.any(Number) },
        })
        expect(result.services.every((s) => s.state === 'not-updated')).toBe(true)
        expect(result.services.map((s) => s.taskDefinition)).toEqual(
          SERVICES.map((s) => tds.arnOf(s, 5)),
        )
        expect(mocks.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
        expect(stateWrites()).toEqual([])
        expect(deps.report.warnings).toEqual([
          `collectstatic failed with exit code ${code}; no service was updated (they still run old1234).`,
        ])
        expect(renderDeployImage(result)).toMatch(
          new RegExp(
            `collectstatic failed with exit code ${code}; no service of pr-42 was updated`,
          ),
        )
        expect(deployImageSummary(result)).toContain(
          '### djenv deploy-image pr-42 new5678: collectstatic-failed',
        )
        expect(deployImageSummary(result)).toContain('they still run the previous image')
      },
    )

    it('stops when its task never ran, naming what still runs', async () => {
      givenServices()
      givenTasks()
      mocks.ecs.on(DescribeTasksCommand, { tasks: [staticTask] }).resolves({
        tasks: [
          {
            taskArn: staticTask,
            lastStatus: 'STOPPED',
            stopCode: 'TaskFailedToStart',
            stoppedReason: 'ResourceInitializationError: unable to pull secrets',
            containers: [{ name: 'migrate' }],
          },
        ],
      })

      const run = deployImage(input(), testDeps())

      await expect(run).rejects.toMatchObject({
        djenvCode: 'TASK_FAILED',
        oclif: { exit: 1 },
        message: expect.stringMatching(
          /^collectstatic: Task static1 .* never ran: .*ResourceInitializationError.*; no service was updated \(they still run old1234\)\.$/,
        ),
      })
      expect(mocks.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
    })

    it('is not run with --skip-collectstatic', async () => {
      givenServices()
      givenTasks()
      const deps = testDeps()

      const result = await deployImage(input({ skipCollectstatic: true }), deps)

      expect(result).toMatchObject({
        outcome: 'completed',
        collectstatic: null,
        durations: { collectstaticMs: null },
      })
      expect(mocks.ecs).toHaveReceivedCommandTimes(RunTaskCommand, 1)
      expect(ecsCalls()).not.toContain('RunTask(collectstatic)')
      expect(deps.report.infos).toContain('collectstatic skipped (--skip-collectstatic)')
    })

    it('never runs with static.cdn: false, and says so once', async () => {
      givenServices()
      givenTasks()
      const deps = testDeps()

      const result = await deployImage(input({ configPath: configWith({ cdn: false }) }), deps)

      expect(result).toMatchObject({ outcome: 'completed', collectstatic: null })
      expect(ecsCalls().filter((c) => c.startsWith('RunTask'))).toEqual(['RunTask(migrate)'])
      expect(deps.report.infos.filter((t) => t.includes('static.cdn is false'))).toHaveLength(1)
    })

    it('still runs with --skip-migrations', async () => {
      givenServices()
      givenTasks()

      const result = await deployImage(input({ skipMigrations: true }), testDeps())

      expect(result).toMatchObject({
        outcome: 'completed',
        migration: null,
        collectstatic: { taskArn: staticTask, exitCode: 0 },
      })
      expect(mocks.ecs).toHaveReceivedCommandWith(RunTaskCommand, {
        taskDefinition: tds.arnOf('migrate', 6),
        overrides: { containerOverrides: [{ name: 'migrate', command: COLLECTSTATIC }] },
      })
      const calls = ecsCalls()
      expect(calls.filter((c) => c.startsWith('RunTask'))).toEqual(['RunTask(collectstatic)'])
      expect(calls.indexOf('UpdateService')).toBeGreaterThan(
        calls.indexOf('RunTask(collectstatic)'),
      )
    })

    it('does not run when a failed migration already stopped the deploy', async () => {
      givenServices()
      givenTasks({ migrate: 3 })

      const result = await deployImage(input(), testDeps())

      expect(result).toMatchObject({ outcome: 'migration-failed', collectstatic: null })
      expect(ecsCalls()).not.toContain('RunTask(collectstatic)')
    })
  })

  describe('in production', () => {
    const prod = envFixture('prod')

    beforeEach(() => {
      mocks.givenEnv(prod)
      tds = taskDefinitions(mocks, prod, 'old1234')
      givenServices()
      givenMigration(0)
    })

    it('needs --yes off a terminal, and changes nothing without it', async () => {
      await expect(deployImage(input({ name: 'prod' }), testDeps())).rejects.toMatchObject({
        djenvCode: 'INPUT_REQUIRED',
        oclif: { exit: 2 },
        hint: 'Pass --yes.',
      })
      expect(mocks.ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand)
    })

    it('shows what changes and asks on a terminal', async () => {
      const ask = scriptedAsker({ 'Deploy new5678 to production env prod?': false })
      const deps = testDeps({ ask, interactive: true })

      await expect(deployImage(input({ name: 'prod' }), deps)).rejects.toMatchObject({
        djenvCode: 'CANCELLED',
      })
      expect(deps.report.infos).toContain('  web      old1234 → new5678')
      expect(deps.report.infos).toContain(
        '  then python manage.py collectstatic --noinput, with the new image',
      )
      expect(mocks.ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand)
    })

    it('deploys with --yes', async () => {
      const result = await deployImage(input({ name: 'prod', yes: true }), testDeps())

      expect(result).toMatchObject({ env: 'prod', kind: 'prod', outcome: 'completed' })
      expect(mocks.ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
        cluster: 'shop-prod-app',
        service: 'web',
        taskDefinition: tds.arnOf('web', 6),
      })
    })
  })
})

describe('deployImage and the env lock', () => {
  /** Another run's lock on pr-42, taken `ageMinutes` before the fake clock's now. */
  function givenLock(ageMinutes: number): string {
    const since = new Date(Date.parse('2026-11-20T10:00:00Z') - ageMinutes * 60_000)
    const value = JSON.stringify({
      command: 'env create',
      holder: 'https://github.com/acme/shop/actions/runs/7',
      pid: 99,
      since: since.toISOString(),
    })
    params.set(LOCK, value)
    return value
  }

  /** RunTask that answers like givenTasks, recording the lock as it is while each task runs. */
  function lockDuringTasks(): (string | undefined)[] {
    const seen: (string | undefined)[] = []
    mocks.ecs.on(RunTaskCommand).callsFake((i: RunTaskCommandInput) => {
      seen.push(params.get(LOCK))
      return { tasks: [{ taskArn: i.overrides ? staticTask : migrateTask }] }
    })
    return seen
  }

  it('holds the lock from before the first change to the end, then releases it', async () => {
    givenServices()
    givenMigration(0)
    const seen = lockDuringTasks()

    const result = await deployImage(input(), testDeps())

    expect(result.outcome).toBe('completed')
    expect(mocks.ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: LOCK,
      Overwrite: false,
    })
    expect(seen).toHaveLength(2)
    expect(JSON.parse(seen[0] ?? '{}')).toMatchObject({
      command: 'deploy-image',
      pid: process.pid,
      since: '2026-11-20T10:00:00.000Z',
    })
    expect(params.has(LOCK)).toBe(false)
  })

  it('releases the lock after a failed migration', async () => {
    givenServices()
    givenMigration(3)
    const seen = lockDuringTasks()

    const result = await deployImage(input(), testDeps())

    expect(result.outcome).toBe('migration-failed')
    expect(seen[0]).toBeDefined()
    expect(params.has(LOCK)).toBe(false)
  })

  it('releases the lock when the rollout fails with an error', async () => {
    givenServices((name, poll, td) =>
      name === 'web'
        ? {
            running: 0,
            deployments: [
              {
                status: 'PRIMARY',
                taskDefinition: td.next,
                rolloutState: 'FAILED',
                rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
              },
            ],
          }
        : completes(name, poll, td),
    )
    givenMigration(0)
    mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [] })

    await expect(deployImage(input(), testDeps())).rejects.toMatchObject({
      djenvCode: 'DEPLOY_FAILED',
    })
    expect(params.has(LOCK)).toBe(false)
  })

  it('releases the lock on Ctrl-C while waiting for the rollout', async () => {
    const controller = new AbortController()
    givenServices((name, poll, td) => {
      controller.abort()
      return {
        deployments: [{ status: 'PRIMARY', taskDefinition: td.next, rolloutState: 'IN_PROGRESS' }],
      }
    })
    givenMigration(0)

    const run = deployImage(input(), testDeps({ signal: controller.signal }))

    await expect(run).rejects.toMatchObject({ djenvCode: 'INTERRUPTED', oclif: { exit: 130 } })
    expect(params.has(LOCK)).toBe(false)
  })

  it('refuses while another run holds the lock, changing nothing and leaving its lock', async () => {
    givenServices()
    givenMigration(0)
    const theirs = givenLock(10)

    const run = deployImage(input(), testDeps())

    await expect(run).rejects.toMatchObject({
      djenvCode: 'ENV_LOCKED',
      oclif: { exit: 1 },
      message: expect.stringContaining(
        'env create by https://github.com/acme/shop/actions/runs/7 (pid 99) since 2026-11-20T09:50:00.000Z',
      ),
      hint: expect.stringContaining('`djenv env unlock pr-42`'),
    })
    expect(mocks.ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand)
    expect(mocks.ecs).not.toHaveReceivedCommand(RunTaskCommand)
    expect(mocks.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
    expect(stateWrites()).toEqual([])
    expect(params.get(LOCK)).toBe(theirs)
  })

  it('takes over a stale lock with a warning naming its holder, and deploys', async () => {
    givenServices()
    givenMigration(0)
    givenLock(3 * 60)
    const deps = testDeps()

    const result = await deployImage(input(), deps)

    expect(result.outcome).toBe('completed')
    expect(deps.report.warnings).toEqual([
      expect.stringContaining(
        'Taking over the lock of pr-42: env create by https://github.com/acme/shop/actions/runs/7',
      ),
    ])
    expect(params.has(LOCK)).toBe(false)
  })
})
