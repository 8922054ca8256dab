import { PassThrough, Writable } from 'node:stream'

import {
  DescribeTasksCommand,
  ExecuteCommandCommand,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { execInTask, remoteCommand, type ExecIo, type ExecInput } from '../../src/connect/exec.js'
import { appMocks, envFixture, SHOP_CONFIG, testDeps } from '../support/app-env.js'
import { FakeSsmAgent } from '../support/fake-ssm-agent.js'
import { shlexSplit } from '../support/fake-ssm-wire.js'
import { scriptedAsker } from '../support/scripted-asker.js'

const mocks = appMocks()
const f = envFixture('pr-42')
const arn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/${f.cluster}/${id}`
let agent: FakeSsmAgent
/** Session ids ExecuteCommand handed out, newest last. */
let sessions: string[]

function runningTask(id: string, o: Partial<Task> = {}): Task {
  return {
    taskArn: arn(id),
    lastStatus: 'RUNNING',
    enableExecuteCommand: true,
    startedAt: new Date(`2026-11-20T0${id.slice(-1)}:00:00Z`),
    containers: [
      {
        name: 'web',
        runtimeId: `${id}-web`,
        lastStatus: 'RUNNING',
        managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }],
      },
    ],
    ...o,
  }
}

/** The web service runs these tasks; ExecuteCommand opens a real bash session on the fake agent. */
function givenTasks(...tasks: Task[]) {
  mocks.ecs.on(ListTasksCommand).resolves({ taskArns: tasks.map((t) => t.taskArn ?? '') })
  mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks?: string[] }) => ({
    tasks: tasks.filter((t) =>
      input.tasks?.some((x) => x === t.taskArn || t.taskArn?.endsWith(`/${x}`)),
    ),
  }))
  mocks.ecs.on(ExecuteCommandCommand).callsFake((input: { command?: string }) => {
    const session = agent.createSession({ personality: 'exec-shell', command: input.command })
    sessions.push(session.sessionId)
    return { session, interactive: true }
  })
}

function collector() {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      callback()
    },
  })
  return { stream, text: () => Buffer.concat(chunks).toString() }
}

function pipeIo() {
  const out = collector()
  const io: ExecIo = { stdin: new PassThrough(), stdout: out.stream, output: out.stream }
  return { io, text: out.text }
}

const input = (o: Partial<ExecInput> = {}): ExecInput => ({
  name: 'pr-42',
  configPath: SHOP_CONFIG,
  command: [],
  noTty: true,
  json: false,
  ...o,
})

beforeAll(async () => {
  agent = await FakeSsmAgent.start()
})

afterAll(async () => {
  await agent.close()
})

beforeEach(() => {
  mocks.reset()
  mocks.givenEnv(f)
  sessions = []
})

describe('execInTask', () => {
  it.each([0, 1, 42])('returns the remote exit code %i', async (code) => {
    givenTasks(runningTask('t1'))
    const { io } = pipeIo()

    const result = await execInTask(input({ command: ['sh', '-c', `exit ${code}`] }), {
      ...testDeps(),
      io,
    })

    expect(result).toMatchObject({
      env: 'pr-42',
      cluster: f.cluster,
      service: 'web',
      taskId: 't1',
      container: 'web',
      interactive: false,
      remoteExitCode: code,
      closedReason: null,
    })
    expect(mocks.ecs).toHaveReceivedCommandWith(ExecuteCommandCommand, {
      cluster: f.cluster,
      task: arn('t1'),
      container: 'web',
      interactive: true,
    })
  })

  it('streams the output bytes with the exit marker removed and \\n line ends', async () => {
    givenTasks(runningTask('t1'))
    const { io, text } = pipeIo()

    const result = await execInTask(
      input({ command: ['sh', '-c', "printf 'one\\ntwo  three\\n'; printf 'err\\n' >&2"] }),
      { ...testDeps(), io },
    )

    expect(result.remoteExitCode).toBe(0)
    expect(text()).toBe('one\ntwo  three\nerr\n')
  })

  it('takes the only running task and says so', async () => {
    givenTasks(runningTask('t1'))
    const deps = { ...testDeps(), io: pipeIo().io }

    await execInTask(input({ command: ['true'] }), deps)

    expect(deps.report.infos).toContainEqual(
      expect.stringContaining('task t1, the only running web'),
    )
    expect(mocks.ecs).toHaveReceivedCommandWith(ListTasksCommand, {
      cluster: f.cluster,
      serviceName: 'web',
      desiredStatus: 'RUNNING',
    })
  })

  it('takes the oldest of several tasks off a terminal and names it', async () => {
    givenTasks(runningTask('t3'), runningTask('t2'), runningTask('t4'))
    const deps = { ...testDeps(), io: pipeIo().io }

    const result = await execInTask(input({ command: ['true'] }), deps)

    expect(result.taskId).toBe('t2')
    expect(deps.report.infos).toContainEqual(expect.stringMatching(/t2, the oldest of 3 .*--task/))
  })

  it('asks which task on a terminal', async () => {
    givenTasks(runningTask('t1'), runningTask('t2'))
    const deps = {
      ...testDeps({ ask: scriptedAsker({ 'Which web task?': 't2' }), interactive: true }),
      io: pipeIo().io,
    }

    const result = await execInTask(input({ command: ['true'] }), deps)

    expect(result.taskId).toBe('t2')
    expect(mocks.ecs).toHaveReceivedCommandWith(ExecuteCommandCommand, { task: arn('t2') })
  })

  it('uses the task and container given', async () => {
    const sidecar = runningTask('t9', {
      containers: [
        { name: 'web', runtimeId: 'r1', lastStatus: 'RUNNING' },
        { name: 'log-router', runtimeId: 'r2', lastStatus: 'RUNNING' },
      ],
    })
    givenTasks(runningTask('t1'), sidecar)

    const result = await execInTask(
      input({ command: ['true'], task: 't9', container: 'log-router' }),
      { ...testDeps(), io: pipeIo().io },
    )

    expect(result).toMatchObject({ taskId: 't9', container: 'log-router' })
    expect(mocks.ecs).not.toHaveReceivedCommand(ListTasksCommand)
    expect(mocks.ecs).toHaveReceivedCommandWith(ExecuteCommandCommand, {
      task: arn('t9'),
      container: 'log-router',
    })
  })

  it('fails clearly when the service has no running task', async () => {
    givenTasks()

    const run = execInTask(input({ command: ['true'] }), { ...testDeps(), io: pipeIo().io })

    await expect(run).rejects.toMatchObject({
      djenvCode: 'TASK_NOT_FOUND',
      exitCode: 1,
      message: expect.stringContaining('No running web task in pr-42'),
      hint: expect.stringMatching(/djenv env status pr-42.*desired count 0/),
    })
    expect(mocks.ecs).not.toHaveReceivedCommand(ExecuteCommandCommand)
  })

  it('refuses a task started without ECS Exec before calling ExecuteCommand', async () => {
    givenTasks(runningTask('t1', { enableExecuteCommand: false }))

    const run = execInTask(input({ command: ['true'] }), { ...testDeps(), io: pipeIo().io })

    await expect(run).rejects.toMatchObject({ djenvCode: 'EXEC_UNAVAILABLE', exitCode: 1 })
    expect(mocks.ecs).not.toHaveReceivedCommand(ExecuteCommandCommand)
  })

  it.each([
    [
      'InvalidParameterException',
      'The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running.',
      /exec was not enabled/,
    ],
    [
      'TargetNotConnectedException',
      'The execute command failed due to an internal error. Try again later.',
      /not connected to Session Manager/,
    ],
  ])('maps ExecuteCommand %s to EXEC_UNAVAILABLE', async (name, message, expected) => {
    givenTasks(runningTask('t1'))
    mocks.ecs.on(ExecuteCommandCommand).rejects(Object.assign(new Error(message), { name }))

    const run = execInTask(input({ command: ['true'] }), { ...testDeps(), io: pipeIo().io })

    await expect(run).rejects.toMatchObject({
      djenvCode: 'EXEC_UNAVAILABLE',
      message: expect.stringMatching(expected),
    })
  })

  it('expands the shell and bash shortcuts', async () => {
    givenTasks(runningTask('t1'))

    const result = await execInTask(input({ command: ['shell'] }), {
      ...testDeps(),
      io: pipeIo().io,
    })

    expect(result.command).toEqual(['python', 'manage.py', 'shell'])
    const sent = mocks.ecs.commandCalls(ExecuteCommandCommand)[0]?.args[0].input.command
    expect(shlexSplit(sent ?? '')[2]).toContain("'python' 'manage.py' 'shell';")
    expect(remoteCommand([])).toEqual(remoteCommand(['bash']))
    expect(remoteCommand(['bash']).join(' ')).toMatch(/exec bash -l; fi; exec sh -l/)
    expect(remoteCommand(['ls', 'shell'])).toEqual(['ls', 'shell'])
  })

  it('reports the idle close and an unknown exit status', async () => {
    givenTasks(runningTask('t1'))
    const { io, text } = pipeIo()
    const deps = { ...testDeps(), io }
    const idle = 'Your session timed out due to inactivity and has been terminated.'

    const run = execInTask(input({ command: ['sh', '-c', 'echo started; sleep 30'] }), deps)
    await waitUntil(() => text().includes('started'))
    agent.session(sessions[0] as string).closeChannel(idle)
    const result = await run

    expect(result).toMatchObject({ remoteExitCode: null, closedReason: idle })
    expect(deps.report.warnings).toContainEqual(expect.stringMatching(/inactivity.*20 minutes/))
  })

  it('runs a login bash interactively: raw mode, keys, resize, terminal restored', async () => {
    givenTasks(runningTask('t1'))
    const out = collector()
    const raw: boolean[] = []
    const stdin = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: (mode: boolean) => raw.push(mode),
    })
    const stdout = Object.assign(out.stream, { isTTY: true, columns: 100, rows: 30 })
    const deps = { ...testDeps({ interactive: true }), io: { stdin, stdout, output: stdout } }

    const run = execInTask(input({ command: ['bash'], noTty: false }), deps)
    await waitUntil(() => sessions.length === 1 && raw.length === 1)
    const fake = agent.session(sessions[0] as string)
    await waitUntil(() => fake.sizes.length > 0)
    Object.assign(stdout, { columns: 132, rows: 40 })
    stdout.emit('resize')
    await waitUntil(() => fake.sizes.some((s) => s.cols === 132))
    stdin.write('echo "shell:$0"; exit 5\r')
    const result = await run

    expect(result).toMatchObject({ interactive: true, remoteExitCode: 5 })
    expect(out.text()).toMatch(/shell:-?(bash|sh)/)
    expect(fake.sizes[0]).toEqual({ cols: 100, rows: 30 })
    expect(raw).toEqual([true, false])
  })
})

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
