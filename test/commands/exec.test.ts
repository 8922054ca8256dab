import { DescribeTasksCommand, ExecuteCommandCommand, ListTasksCommand } from '@aws-sdk/client-ecs'
import { runCommand } from '@oclif/test'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { appMocks, envFixture, SHOP_CONFIG } from '../support/app-env.js'
import { FakeSsmAgent } from '../support/fake-ssm-agent.js'

// oclif imports commands natively, outside vitest's module graph: these run the real workflow
// over class-level SDK mocks and the fake agent's real shell.
const mocks = appMocks()
const f = envFixture('pr-42')
const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${f.cluster}/t1`
let agent: FakeSsmAgent

beforeAll(async () => {
  agent = await FakeSsmAgent.start()
})

afterAll(async () => {
  await agent.close()
})

beforeEach(() => {
  mocks.reset()
  mocks.givenEnv(f)
  mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn] })
  mocks.ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      {
        taskArn,
        lastStatus: 'RUNNING',
        enableExecuteCommand: true,
        containers: [{ name: 'web', runtimeId: 'r1', lastStatus: 'RUNNING' }],
      },
    ],
  })
  mocks.ecs.on(ExecuteCommandCommand).callsFake((input: { command?: string }) => ({
    session: agent.createSession({ personality: 'exec-shell', command: input.command }),
  }))
})

afterEach(() => {
  delete process.env.DJENV_ENV
})

describe('djenv exec', () => {
  it('exits with the remote exit code and prints the --json result', async () => {
    const { stdout, error } = await runCommand([
      'exec',
      'pr-42',
      '--config',
      SHOP_CONFIG,
      '--no-tty',
      '--json',
      '--',
      'sh',
      '-c',
      '"exit 42"', // runCommand splits words on spaces outside double quotes
    ])

    expect(error).toBeUndefined()
    expect(process.exitCode).toBe(42)
    expect(JSON.parse(stdout)).toMatchObject({
      env: 'pr-42',
      taskId: 't1',
      command: ['sh', '-c', 'exit 42'],
      interactive: false,
      remoteExitCode: 42,
    })
  })

  it('streams the remote output to stdout and exits 0', async () => {
    const { stdout, error } = await runCommand([
      'exec',
      'pr-42',
      '--config',
      SHOP_CONFIG,
      '--no-tty',
      '--',
      'echo',
      '"hello  from the task"',
    ])

    expect(error).toBeUndefined()
    expect(process.exitCode).toBeUndefined()
    expect(stdout).toBe('hello  from the task\n')
  })

  it('reads a lone `shell` as the shortcut, the env coming from DJENV_ENV', async () => {
    process.env.DJENV_ENV = 'pr-42'

    const { stdout } = await runCommand(['exec', 'shell', '--config', SHOP_CONFIG, '--json'])

    expect(JSON.parse(stdout)).toMatchObject({
      env: 'pr-42',
      command: ['python', 'manage.py', 'shell'],
    })
  })
})
