import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  DataChannel,
  Rto,
  sendBytes,
  type ChannelOptions,
  type DataMessage,
} from '../../src/session/channel.js'
import { ManualClock, settle } from '../support/manual-clock.js'
import { ScriptedPeer, type PeerConnection } from '../support/ssm-peer.js'

let peer: ScriptedPeer
const channels: DataChannel[] = []

beforeEach(async () => {
  peer = await ScriptedPeer.start()
})

afterEach(async () => {
  for (const c of channels.splice(0)) c.close()
  await peer.close()
})

function open(options: ChannelOptions = {}, token = 'token-1'): DataChannel {
  const channel = new DataChannel(
    { sessionId: 's-1', streamUrl: peer.url, tokenValue: token },
    options,
  )
  channels.push(channel)
  return channel
}

function collect(channel: DataChannel): DataMessage[] {
  const got: DataMessage[] = []
  channel.setReceiver((m) => {
    got.push(m)
    return true
  })
  return got
}

const text = (ms: DataMessage[]) => ms.map((m) => m.payload.toString()).join('')
const ackedSeqs = (c: PeerConnection) =>
  c
    .acks()
    .map(
      (a) =>
        (JSON.parse(a.payload.toString()) as { AcknowledgedMessageSequenceNumber: number })
          .AcknowledgedMessageSequenceNumber,
    )

describe('DataChannel', () => {
  it('opens with an OpenDataChannel text frame carrying the token, ids and ClientVersion', async () => {
    open({ clientId: 'client-1' })

    const conn = await peer.nextConnection()

    expect(conn.open).toMatchObject({
      MessageSchemaVersion: '1.0',
      TokenValue: 'token-1',
      ClientId: 'client-1',
      ClientVersion: '1.2.677.0',
    })
    expect(conn.open.RequestId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('numbers input from 0 without gaps, flags 0, never an empty payload', async () => {
    const channel = open({ maxPayloadSize: 4 })
    const conn = await peer.nextConnection()

    await sendBytes(channel, 1, Buffer.from('abcdefghij'))
    await sendBytes(channel, 1, Buffer.alloc(0))
    await channel.send(3, Buffer.from('{"cols":1,"rows":1}'))
    await conn.next((m) => m.seq === 3)

    expect(conn.data().map((m) => [m.seq, m.flags, m.payload.toString()])).toEqual([
      [0, 0, 'abcd'],
      [1, 0, 'efgh'],
      [2, 0, 'ij'],
      [3, 0, '{"cols":1,"rows":1}'],
    ])
  })

  it('acks each output message and delivers them in order despite reordering and duplicates', async () => {
    const channel = open()
    const got = collect(channel)
    const conn = await peer.nextConnection()

    conn.output(2, 1, 'c')
    conn.output(0, 1, 'a')
    conn.output(0, 1, 'a') // duplicate: its ack was "lost"
    conn.output(3, 1, 'd')
    conn.output(1, 1, 'b')
    await conn.next((m) => m.type === 'acknowledge' && ackedSeqs(conn).length === 5)

    expect(text(got)).toBe('abcd')
    expect(ackedSeqs(conn).sort()).toEqual([0, 0, 1, 2, 3])
  })

  it('drops a frame with a bad digest unacked and accepts the clean resend', async () => {
    const channel = open()
    const got = collect(channel)
    const conn = await peer.nextConnection()
    const good = conn.output(0, 1, 'x')
    const bad = Buffer.from(good)
    bad[80] = bad[80]! ^ 1

    conn.send(bad)
    await settle(10)
    const acksAfterBad = conn.acks().length
    conn.send(good)
    await conn.next((m) => m.type === 'acknowledge')
    await settle()

    expect(text(got)).toBe('x')
    expect(acksAfterBad).toBe(1) // only the good copy, which the peer sent first
    expect(conn.acks()).toHaveLength(2)
  })

  it('leaves a message unacked while the receiver is not ready, and accepts it once ready', async () => {
    const channel = open()
    const conn = await peer.nextConnection()
    let ready = false
    const got: string[] = []
    channel.setReceiver((m) => {
      if (!ready) return false
      got.push(m.payload.toString())
      return true
    })

    const bytes = conn.output(0, 1, 'early')
    await settle(10)
    const acksWhileNotReady = conn.acks().length
    ready = true
    conn.send(bytes) // the agent's retransmission
    await conn.next((m) => m.type === 'acknowledge')

    expect(acksWhileNotReady).toBe(0)
    expect(got).toEqual(['early'])
  })

  it('keeps out-of-order messages it already acked until a refusing receiver is ready again', async () => {
    const channel = open()
    const conn = await peer.nextConnection()
    let accept = true
    const got: string[] = []
    channel.setReceiver((m) => {
      if (!accept) return false
      got.push(m.payload.toString())
      return true
    })

    conn.output(1, 1, 'b')
    await conn.next((m) => m.type === 'acknowledge')
    conn.output(0, 1, 'a')
    await conn.next((m) => m.type === 'acknowledge')
    accept = false
    conn.output(3, 1, 'd')
    conn.output(2, 1, 'c')
    await settle(10)
    accept = true
    channel.resume()

    expect(got).toEqual(['a', 'b'])
    conn.output(2, 1, 'c') // the agent's resend of the refused message
    await settle(10)
    expect(got).toEqual(['a', 'b', 'c', 'd'])
    expect(ackedSeqs(conn).filter((s) => s === 3)).toHaveLength(1) // acked once, when buffered
  })

  it('resends only the oldest unacked message, identical, once older than the RTO', async () => {
    const clock = new ManualClock()
    const channel = open({ clock })
    const conn = await peer.nextConnection()
    void channel.send(1, Buffer.from('zero'))
    void channel.send(1, Buffer.from('one'))
    await conn.next((m) => m.seq === 1)
    conn.ack(conn.data()[1]!) // acks are not cumulative: seq 0 stays unacked
    await settle()

    // The 0 ms sample of that ack moves the RTO from 200 to 87.5 + 4·25 = 187.5 ms.
    expect(channel.rto).toBe(187.5)
    await clock.advance(100) // tick at 100 ms: younger than the RTO
    const beforeRto = conn.data().length
    await clock.advance(100) // tick at 200 ms: resend
    await conn.next((m) => m.seq === 0)

    expect(beforeRto).toBe(2)
    const copies = conn.data().filter((m) => m.seq === 0)
    expect(copies).toHaveLength(2)
    expect(copies[1]!.id).toBe(copies[0]!.id)
    expect(copies[1]!.created).toBe(copies[0]!.created)
    expect(conn.data().filter((m) => m.seq === 1)).toHaveLength(1)
    expect(channel.unackedCount).toBe(1)
  })

  it('holds writers back once maxUnacked messages are in flight', async () => {
    const channel = open({ maxUnacked: 2 })
    const conn = await peer.nextConnection()
    const settled: number[] = []

    for (let i = 0; i < 4; i++) {
      channel.send(1, Buffer.from(String(i))).then(
        () => settled.push(i),
        () => undefined,
      )
    }
    await conn.next((m) => m.seq === 1)
    await settle(10)
    const beforeAcks = [...settled]
    conn.ack(conn.data()[0]!)
    await conn.next((m) => m.seq === 2)
    await settle()

    expect(beforeAcks).toEqual([0, 1])
    expect(settled).toEqual([0, 1, 2])
    expect(conn.data().map((m) => m.seq)).toEqual([0, 1, 2])
  })

  it('ends with the reason of channel_closed', async () => {
    const channel = open()
    const conn = await peer.nextConnection()

    conn.control('channel_closed', {
      SessionId: 's-1',
      Output: 'Your session timed out due to inactivity.',
    })

    await expect(channel.ended).resolves.toEqual({
      kind: 'channel-closed',
      output: 'Your session timed out due to inactivity.',
    })
  })

  it('ignores publication messages, agent_session_state, unknown types and text frames', async () => {
    const channel = open()
    const got = collect(channel)
    const conn = await peer.nextConnection()

    conn.control('pause_publication', {})
    conn.control('start_publication', {})
    conn.control('agent_session_state', { SchemaVersion: 1, SessionState: 'Connected' })
    conn.control('a_future_type', {})
    conn.send('not a ClientMessage')
    conn.output(0, 1, 'still here')
    await conn.next((m) => m.type === 'acknowledge')

    expect(text(got)).toBe('still here')
  })

  it('resumes after transport loss: new token, same URL, counters kept, unacked resent', async () => {
    const tokens = ['token-2']
    const channel = open({ resume: async () => tokens.shift() })
    const got = collect(channel)
    const first = await peer.nextConnection()
    first.output(0, 1, 'a')
    await first.next((m) => m.type === 'acknowledge')
    void channel.send(1, Buffer.from('in flight'))
    const lost = await first.next((m) => m.type === 'input_stream_data')

    first.ws.close(1000, 'Bye')
    const second = await peer.nextConnection()
    const resent = await second.next((m) => m.type === 'input_stream_data')
    second.output(0, 1, 'a') // the agent's resend of an already delivered message
    second.output(1, 1, 'b')
    await second.next((m) => m.type === 'acknowledge' && ackedSeqs(second).includes(1))
    await channel.send(1, Buffer.from('after'))
    const after = await second.next((m) => m.type === 'input_stream_data' && m.seq === 1)

    expect(second.open.TokenValue).toBe('token-2')
    expect(second.open.RequestId).not.toBe(first.open.RequestId)
    expect(resent).toMatchObject({ seq: 0, id: lost.id })
    expect(after.payload.toString()).toBe('after')
    expect(text(got)).toBe('ab')
    expect(ackedSeqs(second)).toContain(0) // a duplicate is re-acked
  })

  it('fails when the transport is lost and it cannot resume', async () => {
    const channel = open()
    collect(channel)
    const conn = await peer.nextConnection()
    conn.output(0, 1, 'a')
    await conn.next((m) => m.type === 'acknowledge')

    conn.ws.terminate()

    const end = await channel.ended
    expect(end).toMatchObject({ kind: 'failed', error: { djenvCode: 'SESSION_FAILED' } })
  })

  it('fails at once when the endpoint closes before sending anything (a rejected token)', async () => {
    let resumed = false
    const channel = open({ resume: async () => ((resumed = true), 'x') })
    const conn = await peer.nextConnection()

    conn.ws.close(1008, 'invalid token')

    const end = await channel.ended
    expect(end.kind).toBe('failed')
    expect(end.kind === 'failed' && end.error.hint).toMatch(/token/)
    expect(resumed).toBe(false)
  })

  it('fails when ResumeSession says the session timed out', async () => {
    const channel = open({ resume: async () => null })
    collect(channel)
    const conn = await peer.nextConnection()
    conn.output(0, 1, 'a')
    await conn.next((m) => m.type === 'acknowledge')

    conn.ws.close(1000, 'Bye')

    const end = await channel.ended
    expect(end.kind === 'failed' && end.error.message).toMatch(/timed out/)
  })

  it('treats a peer that stops answering pings as transport loss', async () => {
    await peer.close()
    peer = await ScriptedPeer.start({ autoPong: false })
    const channel = open({ pingIntervalMs: 50, resume: async () => 'token-2' })
    collect(channel)
    const first = await peer.nextConnection()
    first.output(0, 1, 'a')
    await first.next((m) => m.type === 'acknowledge')

    const second = await peer.nextConnection()

    expect(second.open.TokenValue).toBe('token-2')
    channel.close()
  })

  it('treats an oldest unacked message older than staleAckMs as transport loss', async () => {
    const clock = new ManualClock()
    const channel = open({ clock, staleAckMs: 1000, resume: async () => 'token-2' })
    collect(channel)
    const first = await peer.nextConnection()
    first.output(0, 1, 'a')
    await first.next((m) => m.type === 'acknowledge')
    void channel.send(1, Buffer.from('never acked'))
    await first.next((m) => m.type === 'input_stream_data')

    await clock.advance(1100)
    await clock.advance(1000) // reconnect backoff (100–200 ms)
    const second = await peer.nextConnection()

    const resent = await second.next((m) => m.type === 'input_stream_data')
    expect(resent.payload.toString()).toBe('never acked')
  })

  it('rejects pending and later sends once ended', async () => {
    const channel = open({ maxUnacked: 1 })
    await peer.nextConnection()
    void channel.send(1, Buffer.from('a'))
    const waiting = channel.send(1, Buffer.from('b'))

    channel.close()

    await expect(waiting).rejects.toMatchObject({ djenvCode: 'SESSION_FAILED' })
    await expect(channel.send(1, Buffer.from('c'))).rejects.toMatchObject({
      djenvCode: 'SESSION_FAILED',
    })
    await expect(channel.ended).resolves.toEqual({ kind: 'closed' })
  })
})

describe('Rto', () => {
  it('starts at SRTT 100, RTTVAR 0, RTO 200 and follows §7.4', () => {
    const rto = new Rto()
    expect([rto.srtt, rto.rttvar, rto.rto]).toEqual([100, 0, 200])

    rto.onSample(20)

    // rttvar = 0.75·0 + 0.25·|100 − 20| = 20; srtt = 0.875·100 + 0.125·20 = 90; rto = 90 + 80
    expect(rto.rttvar).toBe(20)
    expect(rto.srtt).toBe(90)
    expect(rto.rto).toBe(170)
  })

  it('never goes below SRTT + 10 ms nor above 1 s', () => {
    const rto = new Rto()
    for (let i = 0; i < 200; i++) rto.onSample(5)
    expect(rto.rto).toBeGreaterThanOrEqual(rto.srtt + 10)
    expect(rto.rto).toBeLessThan(20)

    for (let i = 0; i < 20; i++) rto.onSample(5000)
    expect(rto.rto).toBe(1000)
  })
})
