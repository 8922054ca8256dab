import type { Socket } from 'node:net'

import { DescribeInstancesCommand, EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2'
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import {
  DescribeInstanceInformationCommand,
  ResumeSessionCommand,
  StartSessionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-ssm'
import { mockClient } from 'aws-sdk-client-mock'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { isCi } from '../../src/core/interactive.js'
import { defaultLocalPort } from '../../src/connect/local-port.js'
import {
  parseTo,
  portForward,
  type PortForwardInput,
  type PortForwardReady,
  type PortForwardResult,
} from '../../src/connect/port-forward.js'
import { stack } from '../support/aws-mocks.js'
import { appMocks, baseOutputs, envFixture, SHOP_CONFIG, testDeps } from '../support/app-env.js'
import { FakeSsmAgent } from '../support/fake-ssm-agent.js'
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  startPostgres,
  type PostgresServer,
} from '../support/postgres.js'
import { connectTo, listen, startEchoServer, type TcpServer } from '../support/tcp.js'

const mocks = appMocks()
const ec2 = mockClient(EC2Client)
const secrets = mockClient(SecretsManagerClient)
const f = envFixture('pr-42')
const BASTION = 'i-0bastion'
let agent: FakeSsmAgent
let echo: TcpServer
/** Where the fake agent dials, whatever host StartSession named. */
let dialTarget: { host: string; port: number }
let sessions: string[]

/** The base (with a bastion unless told); the bastion stays `state` until started, then pending once, then running. */
function givenBase(o: { bastion?: boolean; state?: string } = {}) {
  const outputs = {
    ...baseOutputs(),
    ...(o.bastion === false ? {} : { BastionInstanceId: BASTION }),
  }
  mocks.stacks([
    stack(f.baseStack, 'UPDATE_COMPLETE', { outputs }),
    stack(f.appStack, 'UPDATE_COMPLETE', {
      outputs: { ClusterName: f.cluster, ServiceNames: 'web,worker' },
      tags: { 'djenv:project': 'shop', 'djenv:env': f.env },
    }),
  ])
  const states = [o.state ?? 'running']
  ec2.on(DescribeInstancesCommand).callsFake(() => {
    const name = states.length > 1 ? states.shift() : states[0]
    return { Reservations: [{ Instances: [{ InstanceId: BASTION, State: { Name: name } }] }] }
  })
  ec2.on(StartInstancesCommand).callsFake(() => {
    states.splice(0, states.length, 'pending', 'running')
    return {}
  })
}

function start(input: Partial<PortForwardInput> = {}) {
  const controller = new AbortController()
  const deps = testDeps({ signal: controller.signal })
  let onReady!: (ready: PortForwardReady) => void
  const ready = new Promise<PortForwardReady>((resolve) => (onReady = resolve))
  const done: Promise<PortForwardResult> = portForward(
    {
      name: 'pr-42',
      configPath: SHOP_CONFIG,
      localPort: 0,
      showPassword: false,
      onReady,
      ...input,
    },
    deps,
  )
  done.catch(() => undefined)
  return { ready, done, stop: () => controller.abort(), deps }
}

beforeAll(async () => {
  agent = await FakeSsmAgent.start()
  echo = await startEchoServer()
})

afterAll(async () => {
  await agent.close()
  await echo.close()
})

beforeEach(() => {
  mocks.reset()
  const unexpected = new Error('unexpected AWS call')
  ec2.reset().onAnyCommand().rejects(unexpected)
  secrets.reset().onAnyCommand().rejects(unexpected)
  sessions = []
  dialTarget = { host: '127.0.0.1', port: echo.port }
  mocks.ssm.on(StartSessionCommand).callsFake(() => {
    const s = agent.createSession({ personality: 'port-mux', target: dialTarget, record: false })
    sessions.push(s.sessionId)
    return { SessionId: s.sessionId, StreamUrl: s.streamUrl, TokenValue: s.tokenValue }
  })
  mocks.ssm.on(ResumeSessionCommand).callsFake(async (input: { SessionId: string }) => ({
    TokenValue: (await agent.resumeSession(input.SessionId)) ?? undefined,
  }))
  mocks.ssm.on(TerminateSessionCommand).resolves({})
  mocks.ssm.on(DescribeInstanceInformationCommand).resolves({
    InstanceInformationList: [{ InstanceId: BASTION, PingStatus: 'Online' }],
  })
})

async function echoOnce(port: number, text: string): Promise<string> {
  const socket = await connectTo(port)
  return new Promise((resolve, reject) => {
    let got = ''
    socket.on('data', (d: Buffer) => {
      got += d.toString()
      if (got.length >= text.length) {
        socket.destroy()
        resolve(got)
      }
    })
    socket.on('error', reject)
    socket.write(text)
  })
}

describe('portForward', () => {
  it("forwards to the env's database through the bastion and prints what psql needs", async () => {
    givenBase()
    const pf = start()

    const ready = await pf.ready
    const reply = await echoOnce(ready.port, 'ping')
    pf.stop()
    const result = await pf.done

    expect(reply).toBe('ping')
    expect(ready).toMatchObject({
      env: 'pr-42',
      to: { kind: 'db', host: 'db.internal', port: 5432 },
      via: 'bastion',
      through: BASTION,
      host: '127.0.0.1',
      database: 'pr_42',
      username: 'postgres',
      password: null,
      url: `postgres://postgres@127.0.0.1:${ready.port}/pr_42`,
      psql: `psql -h 127.0.0.1 -p ${ready.port} -U postgres -d pr_42`,
    })
    expect(mocks.ssm).toHaveReceivedCommandWith(StartSessionCommand, {
      Target: BASTION,
      DocumentName: 'AWS-StartPortForwardingSessionToRemoteHost',
      Parameters: {
        host: ['db.internal'],
        portNumber: ['5432'],
        localPortNumber: [String(ready.port)],
      },
    })
    expect(result).toMatchObject({ sessions: 1, connections: 1 })
    expect(mocks.ssm).toHaveReceivedCommandWith(TerminateSessionCommand, {
      SessionId: sessions[0],
    })
    expect(secrets).not.toHaveReceivedCommand(GetSecretValueCommand)
    expect(ec2).not.toHaveReceivedCommand(StartInstancesCommand)
  })

  it('reads the password only with showPassword', async () => {
    givenBase()
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ username: 'postgres', password: 'p@ss/word' }),
    })
    const pf = start({ showPassword: true })

    const ready = await pf.ready
    pf.stop()
    await pf.done

    expect(ready.password).toBe('p@ss/word')
    expect(ready.url).toBe(`postgres://postgres:p%40ss%2Fword@127.0.0.1:${ready.port}/pr_42`)
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: baseOutputs().DbMasterSecretArn,
    })
  })

  it('starts a stopped bastion and waits until SSM sees it online', async () => {
    givenBase({ state: 'stopped' })
    mocks.ssm
      .on(DescribeInstanceInformationCommand)
      .resolvesOnce({ InstanceInformationList: [] })
      .resolves({ InstanceInformationList: [{ InstanceId: BASTION, PingStatus: 'Online' }] })
    const pf = start()

    await pf.ready
    pf.stop()
    await pf.done

    expect(ec2).toHaveReceivedCommandTimes(StartInstancesCommand, 1)
    expect(ec2).toHaveReceivedCommandWith(StartInstancesCommand, { InstanceIds: [BASTION] })
    expect(mocks.ssm).toHaveReceivedCommandTimes(DescribeInstanceInformationCommand, 2)
    expect(pf.deps.report.steps).toContainEqual(expect.stringContaining(`Start bastion ${BASTION}`))
  })

  it('goes through a running task with --via task', async () => {
    givenBase({ bastion: false })
    const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${f.cluster}/t1`
    mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn] })
    mocks.ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn,
          lastStatus: 'RUNNING',
          enableExecuteCommand: true,
          containers: [{ name: 'web', runtimeId: 't1-0123', lastStatus: 'RUNNING' }],
        },
      ],
    })
    const pf = start({ to: 'redis.internal:6379' })

    const ready = await pf.ready
    pf.stop()
    await pf.done

    expect(ready).toMatchObject({ via: 'task', through: `ecs:${f.cluster}_t1_t1-0123`, url: null })
    expect(mocks.ssm).toHaveReceivedCommandWith(StartSessionCommand, {
      Target: `ecs:${f.cluster}_t1_t1-0123`,
      Parameters: expect.objectContaining({ host: ['redis.internal'], portNumber: ['6379'] }),
    })
    expect(ec2).not.toHaveReceivedCommand(DescribeInstancesCommand)
  })

  it('fails with PORT_IN_USE (exit 2) before touching the bastion', async () => {
    givenBase()
    const busy = await listen(() => undefined)

    const pf = start({ localPort: busy.port })
    const error = await pf.done.catch((e: unknown) => e)
    await busy.close()

    expect(error).toMatchObject({
      djenvCode: 'PORT_IN_USE',
      exitCode: 2,
      hint: expect.stringMatching(/--local-port \d+/),
    })
    expect(mocks.ssm).not.toHaveReceivedCommand(StartSessionCommand)
    expect(ec2).not.toHaveReceivedCommand(DescribeInstancesCommand)
  })

  it('keeps the listener up: resumes a dropped stream, opens a new session after channel_closed', async () => {
    givenBase()
    const pf = start()
    const ready = await pf.ready
    const held: Socket = await connectTo(ready.port)
    const heldReply = new Promise<string>((resolve) =>
      held.once('data', (d: Buffer) => resolve(d.toString())),
    )

    expect(await echoOnce(ready.port, 'before')).toBe('before')
    agent.session(sessions[0] as string).dropConnection('bye')
    held.write('across the resume')
    const afterResume = await heldReply
    agent.session(sessions[0] as string).closeChannel('Session closed by the gateway.')
    await waitUntil(() => pf.deps.report.infos.some((i) => i.includes('ended')))
    const afterNew = await echoOnce(ready.port, 'after')
    held.destroy()
    pf.stop()
    const result = await pf.done

    expect(afterResume).toBe('across the resume')
    expect(afterNew).toBe('after')
    expect(mocks.ssm).toHaveReceivedCommandWith(ResumeSessionCommand, { SessionId: sessions[0] })
    expect(mocks.ssm).toHaveReceivedCommandTimes(StartSessionCommand, 2)
    expect(result.sessions).toBe(2)
  })

  it('derives a stable default local port per env and parses --to', () => {
    expect(defaultLocalPort('shop', 'pr-42', 'db')).toBe(defaultLocalPort('shop', 'pr-42', 'db'))
    expect(defaultLocalPort('shop', 'pr-42', 'db')).toBeGreaterThanOrEqual(15432)
    expect(defaultLocalPort('shop', 'pr-42', 'db')).toBeLessThan(15932)
    expect(
      new Set(['pr-1', 'pr-2', 'pr-3', 'pr-4'].map((e) => defaultLocalPort('shop', e, 'db'))).size,
    ).toBeGreaterThan(1)
    expect(parseTo('[::1]:5432')).toEqual({ kind: 'custom', host: '::1', port: 5432 })
    expect(() => parseTo('nowhere')).toThrow(expect.objectContaining({ djenvCode: 'USAGE' }))
  })
})

const pgAvailable = findPostgresBin() !== undefined
const ci = isCi(process.env)
if (!pgAvailable && !ci)
  console.warn(`Skipping the port-forward PostgreSQL test. ${POSTGRES_INSTALL_HINT}`)

// Outside CI, missing binaries skip; in CI they fail (beforeAll throws).
describe.skipIf(!pgAvailable && !ci)('portForward to a real PostgreSQL', () => {
  let server: PostgresServer

  beforeAll(async () => {
    server = await startPostgres()
  })

  afterAll(async () => {
    await server?.stop()
  })

  afterEach(() => undefined)

  it('serves 8 concurrent pg connections through one forward', { timeout: 60_000 }, async () => {
    givenBase()
    dialTarget = { host: '127.0.0.1', port: server.port }
    const pf = start()
    const ready = await pf.ready
    const clients = Array.from(
      { length: 8 },
      () =>
        new pg.Client({ host: ready.host, port: ready.port, user: 'djenv', database: 'postgres' }),
    )

    await Promise.all(clients.map((c) => c.connect()))
    const rows = await Promise.all(
      clients.map(async (c, i) => {
        const sum = await c.query<{ n: string }>(
          `select sum(g)::text as n from generate_series(1, ${1000 * (i + 1)}) g`,
        )
        const pid = await c.query<{ pid: number }>('select pg_backend_pid() as pid')
        return { n: sum.rows[0]?.n, pid: pid.rows[0]?.pid }
      }),
    )
    await Promise.all(clients.map((c) => c.end()))
    pf.stop()
    const result = await pf.done

    rows.forEach((r, i) => {
      const k = 1000 * (i + 1)
      expect(r.n).toBe(String((k * (k + 1)) / 2))
    })
    expect(new Set(rows.map((r) => r.pid)).size).toBe(8)
    expect(result).toMatchObject({ sessions: 1, connections: 8 })
    expect(mocks.ssm).toHaveReceivedCommandTimes(StartSessionCommand, 1)
  })
})

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
