import { createHash } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import {
  compareVersions,
  decodeFlag,
  decodeMessage,
  encodeAck,
  encodeFlag,
  encodeMessage,
  encodeSize,
  FrameError,
  openDataChannelJson,
  parseAck,
  parseChannelClosed,
  swapUuidHalves,
  versionAbove,
} from '../../src/session/frame.js'

/** ssm-protocol.md §3.1, byte for byte. */
const WORKED_EXAMPLE = Buffer.from(
  [
    '00000074',
    '696e7075745f73747265616d5f646174',
    '61202020202020202020202020202020',
    '00000001',
    '0000018bcfe56800',
    '0000000000000001',
    '0000000000000000',
    '99aabbccddeeff001122334455667788',
    'edf7359c89077b608a6b3e8b19e63bbf',
    'c7aa724989a05ea371a9966a6e9db7cc',
    '00000003',
    '00000016',
    Buffer.from('{"cols":120,"rows":40}').toString('hex'),
  ].join(''),
  'hex',
)

describe('encodeMessage', () => {
  it('reproduces the worked example of §3.1 byte for byte', () => {
    const frame = encodeMessage({
      messageType: 'input_stream_data',
      sequenceNumber: 1,
      flags: 0,
      payloadType: 3,
      payload: Buffer.from('{"cols":120,"rows":40}'),
      createdDate: 1_700_000_000_000,
      messageId: '11223344-5566-7788-99aa-bbccddeeff00',
    })

    expect(frame.length).toBe(142)
    expect(frame.toString('hex')).toBe(WORKED_EXAMPLE.toString('hex'))
  })

  it('writes a fresh random v4 MessageId in wire order when none is given', () => {
    const a = decodeMessage(
      encodeMessage({
        messageType: 'x',
        sequenceNumber: 0,
        payloadType: 1,
        payload: Buffer.from('a'),
        createdDate: 1,
      }),
    )
    const b = decodeMessage(
      encodeMessage({
        messageType: 'x',
        sequenceNumber: 0,
        payloadType: 1,
        payload: Buffer.from('a'),
        createdDate: 1,
      }),
    )

    expect(a.messageId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(a.messageId).not.toBe(b.messageId)
  })

  it('refuses a zero CreatedDate and an over-long MessageType', () => {
    const base = { sequenceNumber: 0, payloadType: 1, payload: Buffer.alloc(0) }

    expect(() => encodeMessage({ ...base, messageType: 'x', createdDate: 0 })).toThrow(FrameError)
    expect(() => encodeMessage({ ...base, messageType: 'x'.repeat(33), createdDate: 1 })).toThrow(
      FrameError,
    )
  })
})

describe('decodeMessage', () => {
  it('decodes the worked example, swapping the id halves back', () => {
    const m = decodeMessage(WORKED_EXAMPLE)

    expect(m).toEqual({
      messageType: 'input_stream_data',
      schemaVersion: 1,
      createdDate: 1_700_000_000_000,
      sequenceNumber: 1,
      flags: 0,
      messageId: '11223344-5566-7788-99aa-bbccddeeff00',
      payloadType: 3,
      payload: Buffer.from('{"cols":120,"rows":40}'),
    })
  })

  it('trims NUL as well as space padding from MessageType', () => {
    const frame = Buffer.from(WORKED_EXAMPLE)
    frame.fill(0, 4, 36)
    frame.write('input_stream_data', 36 - 17, 'ascii') // left-padded with NULs

    expect(decodeMessage(frame).messageType).toBe('input_stream_data')
  })

  it.each([
    ['HeaderLength 0', (f: Buffer) => f.writeUInt32BE(0, 0)],
    ['an empty MessageType', (f: Buffer) => f.fill(0x20, 4, 36)],
    ['CreatedDate 0', (f: Buffer) => f.fill(0, 40, 48)],
    ['a wrong digest', (f: Buffer) => (f[80] = f[80]! ^ 1)],
    ['a PayloadLength that disagrees', (f: Buffer) => f.writeUInt32BE(21, 116)],
  ])('rejects a frame with %s', (_name, corrupt) => {
    const frame = Buffer.from(WORKED_EXAMPLE)
    corrupt(frame)

    expect(() => decodeMessage(frame)).toThrow(FrameError)
  })

  it('skips the digest check for publication messages, as the plugin does', () => {
    const frame = encodeMessage({
      messageType: 'pause_publication',
      sequenceNumber: 0,
      payloadType: 0,
      payload: Buffer.from('{}'),
      createdDate: 5,
    })
    frame[80] = frame[80]! ^ 1

    expect(decodeMessage(frame).messageType).toBe('pause_publication')
  })

  it('rejects a frame shorter than the header', () => {
    expect(() => decodeMessage(Buffer.alloc(119))).toThrow(FrameError)
  })
})

describe('swapUuidHalves', () => {
  it('swaps the two 8-byte halves and is its own inverse', () => {
    const canonical = Buffer.from('112233445566778899aabbccddeeff00', 'hex')

    expect(swapUuidHalves(canonical).toString('hex')).toBe('99aabbccddeeff001122334455667788')
    expect(swapUuidHalves(swapUuidHalves(canonical))).toEqual(canonical)
  })
})

describe('encodeAck', () => {
  it('has the acknowledge layout of §3.1/§6.1: seq 0, flags 3, PT 0, the acked id and seq', () => {
    const acked = decodeMessage(WORKED_EXAMPLE)

    const ack = decodeMessage(encodeAck(acked, 1_700_000_000_001))

    expect(ack).toMatchObject({
      messageType: 'acknowledge',
      sequenceNumber: 0,
      flags: 3,
      payloadType: 0,
    })
    expect(ack.messageId).not.toBe(acked.messageId)
    expect(JSON.parse(ack.payload.toString())).toEqual({
      AcknowledgedMessageType: 'input_stream_data',
      AcknowledgedMessageId: '11223344-5566-7788-99aa-bbccddeeff00',
      AcknowledgedMessageSequenceNumber: 1,
      IsSequentialMessage: true,
    })
    expect(parseAck(ack.payload).AcknowledgedMessageSequenceNumber).toBe(1)
  })

  it('carries the raw SHA-256 of its payload', () => {
    const frame = encodeAck(
      {
        messageType: 'output_stream_data',
        messageId: '11223344-5566-7788-99aa-bbccddeeff00',
        sequenceNumber: 9,
      },
      7,
    )

    expect(frame.subarray(80, 112)).toEqual(
      createHash('sha256').update(frame.subarray(120)).digest(),
    )
  })
})

describe('parseAck', () => {
  it('rejects a payload without a sequence number', () => {
    expect(() => parseAck(Buffer.from('{"AcknowledgedMessageId":"x"}'))).toThrow(FrameError)
    expect(() => parseAck(Buffer.from('not json'))).toThrow(FrameError)
  })
})

describe('payload helpers', () => {
  it('encodes Size as {"cols":N,"rows":N} and Flag as a big-endian u32', () => {
    expect(encodeSize({ cols: 120, rows: 40 }).toString()).toBe('{"cols":120,"rows":40}')
    expect(encodeFlag(2)).toEqual(Buffer.from([0, 0, 0, 2]))
    expect(decodeFlag(Buffer.from([0, 0, 0, 3]))).toBe(3)
    expect(() => decodeFlag(Buffer.from([3]))).toThrow(FrameError)
  })

  it('writes OpenDataChannel with the plugin field order', () => {
    const text = openDataChannelJson({ tokenValue: 'tok', requestId: 'req', clientId: 'cid' })

    expect(text).toBe(
      '{"MessageSchemaVersion":"1.0","RequestId":"req","TokenValue":"tok","ClientId":"cid","ClientVersion":"1.2.677.0"}',
    )
  })

  it('reads a channel_closed reason, tolerating garbage', () => {
    expect(parseChannelClosed(Buffer.from('{"SessionId":"s","Output":"idle"}'))).toEqual({
      SessionId: 's',
      Output: 'idle',
    })
    expect(parseChannelClosed(Buffer.from('nope')).Output).toBe('')
  })
})

describe('compareVersions', () => {
  it('compares four numeric parts and treats anything else as unparsable', () => {
    expect(compareVersions('3.0.196.0', '3.0.196.0')).toBe(0)
    expect(compareVersions('3.3.987.0', '3.0.196.0')).toBe(1)
    expect(compareVersions('3.0.10.0', '3.0.9.0')).toBe(1) // numeric, not lexical
    expect(compareVersions('3.1', '3.0.196.0')).toBeUndefined()
    expect(versionAbove('3.0.196.1', '3.0.196.0')).toBe(true)
    expect(versionAbove('3.0.196.0', '3.0.196.0')).toBe(false)
    expect(versionAbove('garbage', '0.0.0.0')).toBe(false)
  })
})
