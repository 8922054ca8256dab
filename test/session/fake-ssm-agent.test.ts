/**
 * The fake agent's own tests, driven by a raw client built from the fake's wire codec only
 * (no djenv code), so the fake is checked against ssm-protocol.md rather than against djenv.
 */
import { randomUUID } from 'node:crypto'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'

import { FakeSsmAgent, type FakeSessionSpec } from '../support/fake-ssm-agent.js'
import {
  PT,
  shlexSplit,
  SMUX,
  smuxFrame,
  SmuxReader,
  wireAck,
  wireDecode,
  wireEncode,
  type WireMessage,
} from '../support/fake-ssm-wire.js'
import { closedPort, startEchoServer, type TcpServer } from '../support/tcp.js'

let agent: FakeSsmAgent
let echo: TcpServer

beforeAll(async () => {
  agent = await FakeSsmAgent.start()
  echo = await startEchoServer()
})

afterAll(async () => {
  await echo.close()
  await agent.close()
})

class RawClient {
  readonly frames: WireMessage[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  private waiters: Array<{
    match: (m: WireMessage) => boolean
    resolve: (m: WireMessage) => void
  }> = []

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    )
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return
      const m = wireDecode(data)
      this.frames.push(m)
      const i = this.waiters.findIndex((w) => w.match(m))
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m)
    })
  }

  static async connect(url: string, open: Record<string, unknown>): Promise<RawClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const client = new RawClient(ws)
    ws.send(JSON.stringify(open))
    return client
  }

  next(match: (m: WireMessage) => boolean): Promise<WireMessage> {
    const found = this.frames.find(match)
    if (found) return Promise.resolve(found)
    return new Promise((resolve) => this.waiters.push({ match, resolve }))
  }

  input(seq: number, payloadType: number, payload: Buffer | string, flags = 0): Buffer {
    const bytes = wireEncode({
      type: 'input_stream_data',
      seq,
      flags,
      payloadType,
      payload: Buffer.from(payload),
    })
    this.ws.send(bytes)
    return bytes
  }

  ack(m: WireMessage): void {
    this.ws.send(wireAck(m))
  }

  acksOf(seq: number): WireMessage[] {
    return this.frames.filter(
      (f) =>
        f.type === 'acknowledge' &&
        JSON.parse(f.payload.toString()).AcknowledgedMessageSequenceNumber === seq,
    )
  }
}

function openFrame(token: string, full = true): Record<string, unknown> {
  const base = { MessageSchemaVersion: '1.0', RequestId: randomUUID(), TokenValue: token }
  return full ? { ...base, ClientId: randomUUID(), ClientVersion: '1.2.677.0' } : base
}

async function connect(spec: FakeSessionSpec, full = true) {
  const target = agent.createSession(spec)
  const client = await RawClient.connect(target.streamUrl, openFrame(target.tokenValue, full))
  return { client, target, fake: agent.session(target.sessionId) }
}

const handshakeResponse = (clientVersion: string) =>
  JSON.stringify({
    ClientVersion: clientVersion,
    ProcessedClientActions: [
      { ActionType: 'SessionType', ActionStatus: 1, ActionResult: null, Error: '' },
    ],
    Errors: null,
  })

/** Handshakes a port session; returns when HandshakeComplete arrived (and acks everything). */
async function portHandshake(client: RawClient, clientVersion = '1.2.677.0'): Promise<void> {
  const request = await client.next((m) => m.payloadType === PT.HandshakeRequest)
  client.ack(request)
  client.input(0, PT.HandshakeResponse, handshakeResponse(clientVersion))
  client.ack(await client.next((m) => m.payloadType === PT.HandshakeComplete))
}

describe('FakeSsmAgent', () => {
  it('accepts OpenDataChannel without ClientId and ClientVersion', async () => {
    const { client } = await connect(
      { personality: 'port-mux', target: { host: '127.0.0.1', port: echo.port } },
      false,
    )

    const request = await client.next((m) => m.payloadType === PT.HandshakeRequest)

    expect(request.seq).toBe(0)
    client.ws.close()
  })

  it('closes with 1008 on a wrong token', async () => {
    const target = agent.createSession({ personality: 'port-mux' })

    const client = await RawClient.connect(target.streamUrl, openFrame('wrong'))

    await expect(client.closed).resolves.toEqual({ code: 1008, reason: 'invalid token' })
  })

  it('starts a port session with a HandshakeRequest as output seq 0 with SYN, and drops early data unacked', async () => {
    const { client } = await connect({
      personality: 'port-mux',
      target: { host: 'db.internal', port: 5432 },
    })

    const request = await client.next((m) => m.payloadType === PT.HandshakeRequest)
    client.input(1, PT.Output, 'too early') // buffered out of order: acked, not processed
    client.input(0, PT.Output, 'not a handshake') // in order but not ready: no ack
    await new Promise((r) => setTimeout(r, 100))

    expect(request).toMatchObject({ type: 'output_stream_data', seq: 0, flags: 1 })
    expect(JSON.parse(request.payload.toString())).toEqual({
      AgentVersion: '3.3.987.0',
      RequestedClientActions: [
        {
          ActionType: 'SessionType',
          ActionParameters: {
            SessionType: 'Port',
            Properties: {
              portNumber: '5432',
              type: 'LocalPortForwarding',
              localPortNumber: '0',
              host: 'db.internal',
            },
          },
        },
      ],
    })
    expect(client.acksOf(1)).toHaveLength(1)
    expect(client.acksOf(0)).toHaveLength(0)
    client.ws.close()
  })

  it('acks in-order and out-of-order input and re-acks duplicates', async () => {
    const { client } = await connect({
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: echo.port },
    })
    await portHandshake(client)

    client.input(2, PT.Output, smuxFrame(SMUX.PSH, 3, Buffer.from('b')))
    client.input(1, PT.Output, smuxFrame(SMUX.SYN, 3))
    client.input(1, PT.Output, smuxFrame(SMUX.SYN, 3))
    await new Promise((r) => setTimeout(r, 100))

    expect(client.acksOf(0)).toHaveLength(1)
    expect(client.acksOf(1)).toHaveLength(2)
    expect(client.acksOf(2)).toHaveLength(1)
    client.ws.close()
  })

  it('resends its oldest unacked output, unchanged, once older than the RTO', async () => {
    const { client } = await connect({
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: echo.port },
    })

    const first = await client.next((m) => m.payloadType === PT.HandshakeRequest)
    await new Promise((r) => setTimeout(r, 450))

    const copies = client.frames.filter((f) => f.seq === 0 && f.type === 'output_stream_data')
    expect(copies.length).toBeGreaterThanOrEqual(2)
    expect(copies.length).toBeLessThanOrEqual(4)
    expect(copies.every((c) => c.id === first.id && c.created === first.created)).toBe(true)
    client.ws.close()
  })

  it('runs a smux server: SYN dials the target, data echoes back as PSH, FIN closes', async () => {
    const { client, fake } = await connect({
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: echo.port },
    })
    await portHandshake(client)

    client.input(
      1,
      PT.Output,
      Buffer.concat([smuxFrame(SMUX.SYN, 3), smuxFrame(SMUX.PSH, 3, Buffer.from('hello'))]),
    )
    const reader = new SmuxReader()
    const frames: Array<{ cmd: number; sid: number; data: Buffer }> = []
    await client.next((m) => {
      if (m.payloadType === PT.Output && m.seq > 0) frames.push(...reader.push(m.payload))
      return frames.some((f) => f.cmd === SMUX.PSH)
    })
    client.input(2, PT.Output, smuxFrame(SMUX.FIN, 3))
    await new Promise((r) => setTimeout(r, 50))

    expect(frames.find((f) => f.cmd === SMUX.PSH)).toMatchObject({
      sid: 3,
      data: Buffer.from('hello'),
    })
    expect(fake.violations).toEqual([])
    client.ws.close()
  })

  it('answers a failed dial with Flag ConnectToPortError and FIN', async () => {
    const { client } = await connect({
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: await closedPort() },
    })
    await portHandshake(client)

    client.input(1, PT.Output, smuxFrame(SMUX.SYN, 3))
    const flag = await client.next((m) => m.payloadType === PT.Flag)
    const fin = await client.next(
      (m) => m.payloadType === PT.Output && m.payload.equals(smuxFrame(SMUX.FIN, 3)),
    )

    expect(flag.payload).toEqual(Buffer.from([0, 0, 0, 3]))
    expect(fin).toBeDefined()
    client.ws.close()
  })

  it('falls back to basic mode for a ClientVersion below 1.1.70, as a real agent would', async () => {
    const { client } = await connect({
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: echo.port },
    })
    await portHandshake(client, '0.0.1')

    client.input(1, PT.Output, 'raw bytes')
    const back = await client.next((m) => m.payloadType === PT.Output && m.seq > 0)

    expect(back.payload.toString()).toBe('raw bytes')
    client.ws.close()
  })

  it('execs the shlex-split command without a shell under a pty, then sends channel_closed', async () => {
    const { client } = await connect({
      personality: 'exec-shell',
      command: `printf '%s|' "a b" $HOME 'c'"d" # comment`,
    })
    const output: string[] = []
    const closed = await client.next((m) => {
      if (m.type === 'output_stream_data' && m.payloadType === PT.Output) {
        client.ack(m)
        if (!output[m.seq]) output[m.seq] = m.payload.toString()
      }
      return m.type === 'channel_closed'
    })

    expect(output.join('')).toBe('a b|$HOME|cd|') // no shell: $HOME stays literal
    expect(JSON.parse(closed.payload.toString())).toMatchObject({
      MessageType: 'channel_closed',
      Output: '',
    })
  })

  it('records conformance violations of the client', async () => {
    const { client, fake } = await connect({
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: echo.port },
    })
    await portHandshake(client)

    client.input(1, PT.Size, 'not json')
    client.input(3, PT.Output, Buffer.alloc(0), 2)
    await new Promise((r) => setTimeout(r, 100))

    expect(fake.violations).toEqual([
      'Size seq 1 is not {"cols":N,"rows":N} (encrypted?)',
      'client seq jumped from 1 to 3',
      'client seq 3 has an empty payload',
      'client seq 3 has header flags 2',
    ])
    client.ws.close()
  })

  it('issues a new token on ResumeSession and refuses the old one', async () => {
    const { client, target } = await connect({
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: echo.port },
    })
    await client.next((m) => m.payloadType === PT.HandshakeRequest)

    const token = await agent.resumeSession(target.sessionId)
    const stale = await RawClient.connect(target.streamUrl, openFrame(target.tokenValue))
    const fresh = await RawClient.connect(target.streamUrl, openFrame(token!))
    const resent = await fresh.next((m) => m.payloadType === PT.HandshakeRequest)

    expect(token).not.toBe(target.tokenValue)
    await expect(stale.closed).resolves.toMatchObject({ code: 1008 })
    expect(resent.seq).toBe(0) // sequence state survives the reconnect
    fresh.ws.close()
    client.ws.close()
  })

  it('stands in for ResumeSession of a timed-out or refusing session', async () => {
    const timedOut = agent.createSession({ personality: 'port-mux', resume: 'timed-out' })
    const refused = agent.createSession({ personality: 'port-mux', resume: 'refused' })

    await expect(agent.resumeSession(timedOut.sessionId)).resolves.toBeNull()
    await expect(agent.resumeSession(refused.sessionId)).rejects.toThrow(/refused/)
  })
})

describe('shlexSplit', () => {
  it('splits POSIX-style: quotes, backslashes and comments', () => {
    expect(shlexSplit(`sh -c 'a '\\''b'\\'' c' "x \\"y\\" \\$z" w\\ v # gone`)).toEqual([
      'sh',
      '-c',
      "a 'b' c",
      'x "y" $z',
      'w v',
    ])
    expect(shlexSplit('')).toEqual([])
  })
})
