import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2'
import {
  DescribeInstanceInformationCommand,
  StartSessionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-ssm'
import { runCommand } from '@oclif/test'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { stack } from '../support/aws-mocks.js'
import { appMocks, baseOutputs, envFixture, SHOP_CONFIG } from '../support/app-env.js'
import { FakeSsmAgent } from '../support/fake-ssm-agent.js'
import { closedPort, connectTo, listen, startEchoServer, type TcpServer } from '../support/tcp.js'

// oclif imports commands natively: these run the real workflow over class-level SDK mocks.
const mocks = appMocks()
const ec2 = mockClient(EC2Client)
const f = envFixture('pr-42')
let agent: FakeSsmAgent
let echo: TcpServer

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
  ec2.reset().onAnyCommand().rejects(new Error('unexpected AWS call'))
  mocks.stacks([
    stack(f.baseStack, 'UPDATE_COMPLETE', {
      outputs: { ...baseOutputs(), BastionInstanceId: 'i-0bastion' },
    }),
    stack(f.appStack, 'UPDATE_COMPLETE', {
      outputs: { ClusterName: f.cluster, ServiceNames: 'web' },
      tags: { 'djenv:project': 'shop', 'djenv:env': f.env },
    }),
  ])
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: 'i-0bastion', State: { Name: 'running' } }] }],
  })
  mocks.ssm.on(DescribeInstanceInformationCommand).resolves({
    InstanceInformationList: [{ InstanceId: 'i-0bastion', PingStatus: 'Online' }],
  })
  mocks.ssm.on(StartSessionCommand).callsFake(() => {
    const s = agent.createSession({
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: echo.port },
      record: false,
    })
    return { SessionId: s.sessionId, StreamUrl: s.streamUrl, TokenValue: s.tokenValue }
  })
  mocks.ssm.on(TerminateSessionCommand).resolves({})
})

describe('djenv port-forward', () => {
  it('prints one JSON document once ready and exits 0 on Ctrl-C', async () => {
    const port = await closedPort()
    const running = runCommand([
      'port-forward',
      'pr-42',
      '--config',
      SHOP_CONFIG,
      '--local-port',
      String(port),
      '--json',
    ])
    await waitForSession()
    const socket = await connectTo(port)
    socket.destroy()
    process.emit('SIGINT')
    const { stdout, error } = await running

    expect(error).toBeUndefined()
    expect(process.exitCode).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({
      env: 'pr-42',
      host: '127.0.0.1',
      port,
      database: 'pr_42',
      username: 'postgres',
      password: null,
      url: `postgres://postgres@127.0.0.1:${port}/pr_42`,
    })
  })

  it('exits 2 with a suggestion when the local port is in use', async () => {
    const busy = await listen(() => undefined)

    const { stdout } = await runCommand([
      'port-forward',
      'pr-42',
      '--config',
      SHOP_CONFIG,
      '--local-port',
      String(busy.port),
      '--json',
    ])
    await busy.close()

    expect(process.exitCode).toBe(2)
    expect(JSON.parse(stdout)).toMatchObject({
      error: { code: 'PORT_IN_USE', exitCode: 2, hint: expect.stringMatching(/--local-port \d+/) },
    })
  })
})

async function waitForSession(timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (mocks.ssm.commandCalls(StartSessionCommand).length === 0) {
    if (Date.now() > end) throw new Error('no session started')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await new Promise((resolve) => setTimeout(resolve, 50))
}
