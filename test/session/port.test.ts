import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type { Socket } from 'node:net'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'

import { createPortForwarder, openPortSession, type PortSession } from '../../src/session/port.js'
import { FakeSsmAgent, type FakeSessionSpec } from '../support/fake-ssm-agent.js'
import { SmuxReader } from '../support/fake-ssm-wire.js'
import {
  closedPort,
  connectTo,
  listen,
  readAll,
  roundTrip,
  startEchoServer,
  type TcpServer,
} from '../support/tcp.js'

let agent: FakeSsmAgent
let echo: TcpServer
const cleanup: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  agent = await FakeSsmAgent.start()
  echo = await startEchoServer()
})

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

afterAll(async () => {
  await echo.close()
  await agent.close()
})

function session(spec: Partial<FakeSessionSpec> = {}) {
  return agent.createSession({
    personality: 'port-mux',
    target: { host: '127.0.0.1', port: echo.port },
    ...spec,
  })
}

/** A local listener forwarding every connection through `forward`. */
async function localListener(forward: (s: Socket) => Promise<void>): Promise<TcpServer> {
  const server = await listen((socket) => {
    forward(socket).catch(() => undefined)
  })
  cleanup.push(() => server.close())
  return server
}

async function open(
  spec: Partial<FakeSessionSpec> = {},
  options: Parameters<typeof openPortSession>[1] = {},
) {
  const target = session(spec)
  const port = await openPortSession(target, { resume: agent.resumeSession, ...options })
  cleanup.push(() => port.close())
  const local = await localListener((s) => port.forward(s))
  return { port, local, fake: agent.session(target.sessionId) }
}

/** The client's smux frames as the agent received them. */
function clientSmux(fake: ReturnType<FakeSsmAgent['session']>) {
  const reader = new SmuxReader()
  return fake.frames
    .filter(
      (f) =>
        f.dir === 'in' &&
        f.type === 'input_stream_data' &&
        f.payloadType === 1 &&
        f.note !== 'dropped',
    )
    .flatMap((f) => (f.payload ? reader.push(f.payload) : []))
}

describe('openPortSession', () => {
  it(
    'multiplexes 8 concurrent connections of 10 MB each, byte-exact both ways',
    { timeout: 60_000 },
    async () => {
      const { port, local, fake } = await open({ record: false })

      const sockets = await Promise.all(Array.from({ length: 8 }, () => connectTo(local.port)))
      const results = await Promise.all(sockets.map((s) => roundTrip(s, 10_000_000)))

      expect(port.mode).toBe('mux')
      for (const r of results) expect(r.received).toBe(r.sent)
      expect(new Set(results.map((r) => r.sent)).size).toBe(8)
      expect(fake.violations).toEqual([])
    },
  )

  it('speaks smux v1 as §13.3 says: odd stream ids from 3, SYN before data, FIN on local close', async () => {
    const { local, fake } = await open()

    for (let i = 0; i < 3; i++) {
      const s = await connectTo(local.port)
      const r = await roundTrip(s, 1000)
      expect(r.received).toBe(r.sent)
      await once(s, 'close')
    }
    await new Promise((r) => setTimeout(r, 100))

    const frames = clientSmux(fake)
    expect(frames.every((f) => f.version === 1)).toBe(true)
    expect(frames.filter((f) => f.cmd === 0).map((f) => f.sid)).toEqual([3, 5, 7])
    expect(frames.filter((f) => f.cmd === 1).map((f) => f.sid)).toEqual([3, 5, 7])
    expect(frames.some((f) => f.cmd === 3 || f.cmd === 4)).toBe(false) // no NOP, no UPD
    expect(fake.violations).toEqual([])
  })

  it('answers the Port handshake as ClientVersion 1.2.677.0, its seq 0', async () => {
    const { port, fake } = await open()

    expect(port.agentVersion).toBe('3.3.987.0')
    expect(port.properties).toMatchObject({
      type: 'LocalPortForwarding',
      portNumber: String(echo.port),
    })
    expect(fake.handshakeResponse).toEqual({
      ClientVersion: '1.2.677.0',
      ProcessedClientActions: [
        { ActionType: 'SessionType', ActionStatus: 1, ActionResult: null, Error: '' },
      ],
      Errors: null,
    })
    expect(fake.frames.find((f) => f.dir === 'in' && f.type === 'input_stream_data')).toMatchObject(
      { seq: 0, payloadType: 6 },
    )
  })

  it('survives lost input, duplicated and reordered output, and frames split across 7-byte messages', async () => {
    const { local, fake } = await open({
      faults: {
        dropFirstInput: 3,
        duplicateOutput: true,
        reorderOutput: true,
        outputChunkSize: 7,
        noise: true,
      },
    })

    const r = await roundTrip(await connectTo(local.port), 20_000)

    expect(r.received).toBe(r.sent)
    expect(fake.droppedInput).toBe(3)
    expect(fake.violations).toEqual([])
  })

  it('recovers output lost in transit, with a bad digest or a bad PayloadLength, by retransmission', async () => {
    const { local, fake } = await open({
      faults: { gapOutput: [3], corruptDigest: [5], wrongPayloadLength: [7] },
    })

    const r = await roundTrip(await connectTo(local.port), 50_000)

    expect(r.received).toBe(r.sent)
    expect(fake.resends).toBeGreaterThanOrEqual(3) // none of the three was accepted the first time
    expect(fake.violations).toEqual([])
  })

  it('carries data through 1-byte output messages', async () => {
    const { local } = await open({ faults: { outputChunkSize: 1 } })

    const r = await roundTrip(await connectTo(local.port), 3000)

    expect(r.received).toBe(r.sent)
  })

  it(
    'resumes when the stream closes with 1000 mid-transfer; open connections survive intact',
    { timeout: 30_000 },
    async () => {
      const { local, fake } = await open({
        faults: { closeAfterOutput: { messages: 3000, mode: 'bye' } },
        record: false,
      })

      const r = await roundTrip(await connectTo(local.port), 8_000_000)

      expect(r.received).toBe(r.sent)
      expect(fake.resumeCalls).toBe(1)
      expect(fake.connections).toBe(2)
      expect(fake.violations).toEqual([])
    },
  )

  it('resumes after a TCP drop without a close frame', async () => {
    const { local, fake } = await open({
      faults: { closeAfterOutput: { messages: 20, mode: 'drop' } },
    })

    // The agent resends only its oldest unacked message per tick (§7.3): keep the loss small.
    const r = await roundTrip(await connectTo(local.port), 40_000)

    expect(r.received).toBe(r.sent)
    expect(fake.connections).toBe(2)
  })

  it('resumes when the connection hangs: no data, no pongs', async () => {
    const { local, fake } = await open({}, { pingIntervalMs: 100 })
    const socket = await connectTo(local.port)
    const before = await roundTrip(socket, 1000)

    fake.hangConnection()
    await new Promise((r) => setTimeout(r, 400))
    const after = await roundTrip(await connectTo(local.port), 1000)

    expect(before.received).toBe(before.sent)
    expect(after.received).toBe(after.sent)
    expect(fake.resumeCalls).toBe(1)
  })

  it('ends the local connection after data the target sent before closing', async () => {
    const target = await listen((s) => s.end('goodbye'))
    cleanup.push(() => target.close())
    const { local } = await open({ target: { host: '127.0.0.1', port: target.port } })

    const got = await readAll(await connectTo(local.port))

    expect(got.toString()).toBe('goodbye')
  })

  it('warns and closes the connection when the agent cannot dial the target, and keeps the session', async () => {
    const warnings: string[] = []
    const { port, local } = await open(
      { target: { host: '127.0.0.1', port: await closedPort() } },
      { onWarning: (w) => warnings.push(w) },
    )

    const socket = await connectTo(local.port)
    await once(socket, 'close')

    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/could not connect/)
    expect(port.isEnded).toBe(false)
  })

  it('stops accepting output while the local reader stalls, instead of buffering it', async () => {
    const block = randomBytes(64 * 1024)
    const total = 16 * 1024 * 1024
    const source = await listen((s) => {
      let sent = 0
      const write = () => {
        while (sent < total) {
          sent += block.length
          if (!s.write(block)) return void s.once('drain', write)
        }
        s.end()
      }
      write()
    })
    cleanup.push(() => source.close())
    const { local, fake } = await open({
      target: { host: '127.0.0.1', port: source.port },
      record: false,
    })
    const socket = await connectTo(local.port)
    socket.pause() // the local application does not read
    const hash = createHash('sha256')
    let received = 0

    await new Promise((r) => setTimeout(r, 1000))
    const ackedWhileStalled = fake.ackedOutput
    socket.on('data', (d: Buffer) => {
      hash.update(d)
      received += d.length
    })
    socket.resume()
    await once(socket, 'end')

    // 16 MiB is ~16 400 messages. Stalled, the client accepts only its 4 MiB smux budget plus
    // what kernel and stream buffers hold (~8 MiB on loopback), then stops reading.
    expect(ackedWhileStalled).toBeGreaterThan(1000)
    expect(ackedWhileStalled).toBeLessThan(13_000)
    expect(received).toBe(total)
    const expected = createHash('sha256')
    for (let n = 0; n < total; n += block.length) expected.update(block)
    expect(hash.digest('hex')).toBe(expected.digest('hex'))
  })

  it('sends Flag TerminateSession on close and the agent ends the session', async () => {
    const { port, fake } = await open()

    await port.close()

    expect(fake.flags).toEqual([2])
    expect(fake.isClosed).toBe(true)
    expect(['closed', 'channel-closed']).toContain((await port.ended).kind) // whichever came first
  })

  it.each(['version', 'upd'] as const)(
    'fails cleanly on a bad smux frame from the agent (%s)',
    async (bad) => {
      const { port, local } = await open({ faults: { smuxBadFrame: bad } })
      const socket = await connectTo(local.port)
      socket.on('error', () => undefined)
      socket.resume()

      socket.write('hello')
      await once(socket, 'close')

      const end = await port.ended
      expect(end).toMatchObject({ kind: 'failed', error: { djenvCode: 'SESSION_FAILED' } })
    },
  )

  it('fails with SESSION_FAILED when the token is rejected', async () => {
    await expect(openPortSession(session({ faults: { rejectToken: true } }))).rejects.toMatchObject(
      {
        djenvCode: 'SESSION_FAILED',
        hint: expect.stringMatching(/token/),
      },
    )
  })

  it('fails with SESSION_FAILED when the agent never sends a handshake', async () => {
    await expect(
      openPortSession(session({ faults: { handshake: 'never' } }), { handshakeTimeoutMs: 300 }),
    ).rejects.toMatchObject({
      djenvCode: 'SESSION_FAILED',
      message: expect.stringMatching(/no handshake/),
    })
  })

  it('fails with the reason of a channel_closed that arrives mid-handshake', async () => {
    const target = session({ faults: { handshakeCompleteDelayMs: 2000 } })
    const opening = openPortSession(target)
    await new Promise((r) => setTimeout(r, 200))

    agent
      .session(target.sessionId)
      .closeChannel(
        'Handshake timed out. Please ensure that you have the latest version of the session manager plugin.',
      )

    await expect(opening).rejects.toMatchObject({
      djenvCode: 'SESSION_FAILED',
      message: expect.stringMatching(/Handshake timed out/),
    })
  })
})

describe('the WebSocket factory', () => {
  it('lets the caller shape the upgrade request, e.g. with SigV4 headers', async () => {
    const strict = await FakeSsmAgent.start({ strictSigV4: true })
    cleanup.push(() => strict.close())
    const spec = {
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: echo.port },
    } as const
    const signed = (url: string) =>
      new WebSocket(url, {
        perMessageDeflate: false,
        headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=test' },
      })

    const unsigned = await openPortSession(strict.createSession(spec)).catch((e: unknown) => e)
    const port = await openPortSession(strict.createSession(spec), { createWebSocket: signed })
    cleanup.push(() => port.close())

    expect(unsigned).toMatchObject({
      djenvCode: 'SESSION_FAILED',
      message: expect.stringMatching(/401/),
    })
    expect(port.mode).toBe('mux')
  })
})

describe('basic mode (agent 3.0.0.0)', () => {
  it('forwards one connection at a time, sending DisconnectToPort after each', async () => {
    const { port, local, fake } = await open({ personality: 'port-basic' })

    const a = await connectTo(local.port)
    const b = await connectTo(local.port) // waits until a is done
    const first = await roundTrip(a, 100_000)
    await once(a, 'close')
    const second = await roundTrip(b, 100_000)
    await once(b, 'close')
    await new Promise((r) => setTimeout(r, 100))

    expect(port.mode).toBe('basic')
    expect(first.received).toBe(first.sent)
    expect(second.received).toBe(second.sent)
    expect(fake.flags).toEqual([1, 1])
    expect(clientSmux(fake).length).toBe(0) // raw bytes, no smux
    expect(fake.violations).toEqual([])
  })
})

describe('smux keepalive (agent 3.1.0.0)', () => {
  it('keeps an idle forward alive with NOPs where the agent would kill a silent mux', async () => {
    const { local, fake } = await open(
      { personality: 'port-mux-keepalive', keepaliveIntervalMs: 100, keepaliveTimeoutMs: 300 },
      { smux: { keepaliveIntervalMs: 100, keepaliveTimeoutMs: 300 } },
    )
    const socket = await connectTo(local.port)

    await new Promise((r) => setTimeout(r, 900)) // three agent timeouts of silence on the data
    const r = await roundTrip(socket, 1000)

    expect(r.received).toBe(r.sent)
    expect(fake.isClosed).toBe(false)
    expect(clientSmux(fake).filter((f) => f.cmd === 3).length).toBeGreaterThanOrEqual(5)
    expect(fake.violations).toEqual([])
  })
})

describe('createPortForwarder', () => {
  it('starts a new session for the next connection after channel_closed, the listener staying up', async () => {
    const started: string[] = []
    const forwarder = createPortForwarder({
      start: async () => {
        const target = session()
        started.push(target.sessionId)
        return target
      },
      resume: agent.resumeSession,
    })
    cleanup.push(() => forwarder.close())
    const local = await localListener((s) => forwarder.forward(s))

    const first = await roundTrip(await connectTo(local.port), 10_000)
    agent
      .session(started[0]!)
      .closeChannel('Your session timed out due to inactivity and has been terminated.')
    await forwarder.session?.ended
    const second = await roundTrip(await connectTo(local.port), 10_000)

    expect(first.received).toBe(first.sent)
    expect(second.received).toBe(second.sent)
    expect(started).toHaveLength(2)
    const frames = clientSmux(agent.session(started[1]!))
    expect(frames.find((f) => f.cmd === 0)?.sid).toBe(3) // a new session numbers streams from 3 again
  })

  it('resets connections of a session that ended', async () => {
    const forwarder = createPortForwarder({ start: async () => session() })
    cleanup.push(() => forwarder.close())
    const local = await localListener((s) => forwarder.forward(s))
    const socket = await connectTo(local.port)
    socket.on('error', () => undefined)
    socket.write('ping')
    await once(socket, 'data') // the echo: the connection is up
    const current = forwarder.session as PortSession

    agent.session(current.sessionId).closeChannel('')

    await once(socket, 'close')
    await expect(current.ended).resolves.toMatchObject({ kind: 'channel-closed' })
  })
})
