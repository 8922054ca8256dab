import { describe, expect, it } from 'vitest'

import {
  encodeSmuxFrame,
  SmuxCmd,
  SmuxParser,
  SmuxSession,
  type SmuxFrame,
  type SmuxLink,
} from '../../src/session/smux.js'
import { smuxFrame as fakeFrame, SmuxReader } from '../support/fake-ssm-wire.js'
import { ManualClock, settle } from '../support/manual-clock.js'

/** A link that records what smux writes and how it steers flow control. */
function recordingLink() {
  const written: Buffer[] = []
  const events: string[] = []
  const link: SmuxLink = {
    write: async (data) => {
      written.push(Buffer.from(data))
    },
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
  }
  const frames = () => new SmuxReader().push(Buffer.concat(written))
  return { link, written, events, frames }
}

describe('encodeSmuxFrame', () => {
  it('matches the trace of §13.3: little-endian length and stream id', () => {
    expect(encodeSmuxFrame(SmuxCmd.Syn, 3).toString('hex')).toBe('0100000003000000')
    expect(encodeSmuxFrame(SmuxCmd.Psh, 3, Buffer.from('hello')).toString('hex')).toBe(
      '01020500030000006865' + '6c6c6f',
    )
    expect(encodeSmuxFrame(SmuxCmd.Fin, 3).toString('hex')).toBe('0101000003000000')
  })
})

describe('SmuxParser', () => {
  const stream = Buffer.concat([
    fakeFrame(0, 3),
    fakeFrame(2, 3, Buffer.from('hello')),
    fakeFrame(2, 5, Buffer.alloc(40_000, 7)),
    fakeFrame(3, 0),
    fakeFrame(1, 3),
  ])

  it.each([1, 7, 1024, 5000, stream.length])(
    'yields the same frames whatever the message boundaries (%i-byte pieces)',
    (size) => {
      const parser = new SmuxParser()
      const frames: SmuxFrame[] = []

      for (let off = 0; off < stream.length; off += size) {
        parser.feed(stream.subarray(off, off + size), (f) =>
          frames.push({ ...f, data: Buffer.from(f.data) }),
        )
      }

      expect(frames.map((f) => [f.cmd, f.sid, f.data.length])).toEqual([
        [0, 3, 0],
        [2, 3, 5],
        [2, 5, 40_000],
        [3, 0, 0],
        [1, 3, 0],
      ])
      expect(frames[1]!.data.toString()).toBe('hello')
      expect(frames[2]!.data.every((b) => b === 7)).toBe(true)
    },
  )

  it.each([
    ['a version other than 1', fakeFrame(2, 3, Buffer.from('x'), 2), /version 2/],
    ['an UPD frame (smux v2)', fakeFrame(4, 3, Buffer.alloc(8)), /UPD/],
    ['an unknown command', fakeFrame(9, 3), /unknown/],
  ])('throws on %s', (_name, frame, message) => {
    expect(() => new SmuxParser().feed(frame, () => undefined)).toThrow(message)
  })
})

describe('SmuxSession', () => {
  it('opens streams 3, 5, 7 with a SYN each and sends data as PSH, end as FIN', async () => {
    const { link, frames } = recordingLink()
    const session = new SmuxSession(link, { keepalive: false })

    const a = session.openStream()
    const b = session.openStream()
    const c = session.openStream()
    a.write('hello')
    a.end()
    await settle()

    expect([a.id, b.id, c.id]).toEqual([3, 5, 7])
    expect(frames().map((f) => [f.cmd, f.sid, f.data.toString()])).toEqual([
      [SmuxCmd.Syn, 3, ''],
      [SmuxCmd.Syn, 5, ''],
      [SmuxCmd.Syn, 7, ''],
      [SmuxCmd.Psh, 3, 'hello'],
      [SmuxCmd.Fin, 3, ''],
    ])
    session.close()
  })

  it('splits writes into PSH frames of at most 32768 bytes', async () => {
    const { link, frames } = recordingLink()
    const session = new SmuxSession(link, { keepalive: false })

    session.openStream().write(Buffer.alloc(70_000, 1))
    await settle()

    expect(
      frames()
        .filter((f) => f.cmd === SmuxCmd.Psh)
        .map((f) => f.data.length),
    ).toEqual([32768, 32768, 4464])
    session.close()
  })

  it('delivers PSH data to its stream, ends it on FIN and ignores unknown streams', async () => {
    const { link } = recordingLink()
    const session = new SmuxSession(link, { keepalive: false })
    const stream = session.openStream()
    const chunks: string[] = []
    stream.on('data', (d: Buffer) => chunks.push(d.toString()))
    const ended = new Promise((resolve) => stream.on('end', resolve))

    session.receive(
      Buffer.concat([fakeFrame(2, 3, Buffer.from('HEL')), fakeFrame(2, 9, Buffer.from('??'))]),
    )
    session.receive(Buffer.concat([fakeFrame(2, 3, Buffer.from('LO')), fakeFrame(1, 3)]))
    session.receive(fakeFrame(2, 3, Buffer.from('after FIN')))
    await ended

    expect(chunks.join('')).toBe('HELLO')
    session.close()
  })

  it('does not send FIN for a stream the agent already closed', async () => {
    const { link, frames } = recordingLink()
    const session = new SmuxSession(link, { keepalive: false })
    const stream = session.openStream()
    stream.resume()

    session.receive(fakeFrame(1, 3))
    stream.end()
    await settle()

    expect(frames().filter((f) => f.cmd === SmuxCmd.Fin)).toEqual([])
    session.close()
  })

  it('closes with an error on a bad frame and destroys every stream', async () => {
    const { link } = recordingLink()
    const session = new SmuxSession(link, { keepalive: false })
    const stream = session.openStream()
    const errored = new Promise((resolve) => stream.on('error', resolve))

    session.receive(fakeFrame(4, 3, Buffer.alloc(8)))

    await expect(session.closed).resolves.toBeInstanceOf(Error)
    await expect(errored).resolves.toBeInstanceOf(Error)
    expect(() => session.openStream()).toThrow(/closed/)
  })

  it('pauses the link beyond the receive budget and resumes once readers caught up', async () => {
    const { link, events } = recordingLink()
    const session = new SmuxSession(link, { keepalive: false, receiveBudget: 64 * 1024 })
    const stream = session.openStream()

    for (let i = 0; i < 3; i++) session.receive(fakeFrame(2, 3, Buffer.alloc(30_000)))
    const whileUnread = [...events]
    stream.resume() // a reader drains the stream
    await settle()

    expect(whileUnread).toEqual(['pause'])
    expect(events).toEqual(['pause', 'resume'])
    session.close()
  })

  it('sends NOP every interval and closes after silence when keepalive is on', async () => {
    const clock = new ManualClock()
    const { link, frames } = recordingLink()
    const session = new SmuxSession(link, { keepalive: true, clock })

    await clock.advance(10_000)
    await clock.advance(10_000)
    session.receive(fakeFrame(3, 0)) // the agent's NOP keeps the session alive
    await clock.advance(10_000)
    await clock.advance(10_000)
    const beforeTimeout = frames().filter((f) => f.cmd === SmuxCmd.Nop).length
    await clock.advance(30_000)

    expect(beforeTimeout).toBe(4)
    expect(frames().every((f) => f.cmd !== SmuxCmd.Nop || f.sid === 0)).toBe(true)
    await expect(session.closed).resolves.toMatchObject({
      message: expect.stringMatching(/keepalive/),
    })
  })

  it('sends no NOP at all with keepalive off', async () => {
    const clock = new ManualClock()
    const { link, written } = recordingLink()
    const session = new SmuxSession(link, { keepalive: false, clock })

    await clock.advance(120_000)

    expect(written).toEqual([])
    expect(session.isClosed).toBe(false)
    session.close()
  })
})
