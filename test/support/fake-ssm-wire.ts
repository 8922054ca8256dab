/**
 * The fake SSM agent's own wire codec, written from ssm-protocol.md §3, §6, §9, §10, §11 and
 * §13.4 independently of src/session, so a bug in djenv's codec cannot hide behind the same bug
 * in the fake. Deliberately plain: fixed offsets, no shared helpers with the client.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

export interface WireMessage {
  type: string
  schemaVersion: number
  created: number
  seq: number
  flags: number
  id: string
  payloadType: number
  payload: Buffer
  /** Digest as sent (raw 32 bytes). */
  digest: Buffer
  headerLength: number
  payloadLength: number
}

export const PT = {
  Output: 1,
  Size: 3,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  Flag: 10,
} as const

function idToWire(id: string): Buffer {
  const hex = id.split('-').join('')
  const canonical = Buffer.from(hex, 'hex')
  const wire = Buffer.alloc(16)
  canonical.copy(wire, 0, 8, 16)
  canonical.copy(wire, 8, 0, 8)
  return wire
}

let idPool = Buffer.alloc(0)

/** 16 random bytes for a fresh MessageId (drawn from a pool: per-call randomness is slow). */
function randomId(): Buffer {
  if (idPool.length < 16) idPool = randomBytes(16 * 1024)
  const id = idPool.subarray(0, 16)
  idPool = idPool.subarray(16)
  return id
}

function wireToId(wire: Buffer): string {
  const canonical = Buffer.alloc(16)
  wire.copy(canonical, 0, 8, 16)
  wire.copy(canonical, 8, 0, 8)
  const h = canonical.toString('hex')
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20, 32)].join(
    '-',
  )
}

export function wireEncode(m: {
  type: string
  seq: number
  flags: number
  payloadType: number
  payload: Buffer
  id?: string
  created?: number
}): Buffer {
  const header = Buffer.alloc(120)
  header.writeUInt32BE(116, 0)
  const type = Buffer.from(m.type.padEnd(32, ' '), 'ascii')
  type.copy(header, 4)
  header.writeUInt32BE(1, 36)
  header.writeBigUInt64BE(BigInt(m.created ?? Date.now()), 40)
  header.writeBigInt64BE(BigInt(m.seq), 48)
  header.writeBigUInt64BE(BigInt(m.flags), 56)
  if (m.id) idToWire(m.id).copy(header, 64)
  else randomId().copy(header, 64)
  createHash('sha256').update(m.payload).digest().copy(header, 80)
  header.writeUInt32BE(m.payloadType, 112)
  header.writeUInt32BE(m.payload.length, 116)
  return Buffer.concat([header, m.payload])
}

/** Decodes without judging; `wireProblems` says what is wrong. */
export function wireDecode(frame: Buffer): WireMessage {
  if (frame.length < 120) throw new Error(`short frame (${frame.length} bytes)`)
  const headerLength = frame.readUInt32BE(0)
  const payloadStart = Math.max(headerLength, 116) + 4
  return {
    headerLength,
    type: frame
      .toString('ascii', 4, 36)
      .replace(/[ \0]+$/, '')
      .replace(/^[ \0]+/, ''),
    schemaVersion: frame.readUInt32BE(36),
    created: Number(frame.readBigUInt64BE(40)),
    seq: Number(frame.readBigInt64BE(48)),
    flags: Number(frame.readBigUInt64BE(56)),
    id: wireToId(frame.subarray(64, 80)),
    digest: frame.subarray(80, 112),
    payloadType: frame.readUInt32BE(112),
    payloadLength: frame.readUInt32BE(Math.max(headerLength, 116)),
    payload: frame.subarray(payloadStart),
  }
}

/** §3 validation, as a list of broken rules (empty when the frame is valid). */
export function wireProblems(m: WireMessage): string[] {
  const problems: string[] = []
  if (m.headerLength !== 116) problems.push(`HeaderLength ${m.headerLength}`)
  if (m.type === '') problems.push('empty MessageType')
  if (m.created === 0) problems.push('CreatedDate 0')
  if (m.payloadLength !== m.payload.length) problems.push('PayloadLength mismatch')
  const digest = createHash('sha256').update(m.payload).digest()
  if (m.payload.length > 0 && !digest.equals(m.digest)) problems.push('digest mismatch')
  return problems
}

export function wireAck(of: WireMessage): Buffer {
  // §6.1 field order; a template rather than JSON.stringify because acks are the hot path.
  const json =
    `{"AcknowledgedMessageType":"${of.type}","AcknowledgedMessageId":"${of.id}",` +
    `"AcknowledgedMessageSequenceNumber":${of.seq},"IsSequentialMessage":true}`
  return wireEncode({
    type: 'acknowledge',
    seq: 0,
    flags: 3,
    payloadType: 0,
    payload: Buffer.from(json),
  })
}

export function wireControl(type: string, payload: Record<string, unknown>): Buffer {
  return wireEncode({
    type,
    seq: 0,
    flags: 0,
    payloadType: 0,
    payload: Buffer.from(JSON.stringify(payload)),
  })
}

/** §9 comparison as the agent does it: numeric, part by part (missing parts are 0). */
export function agentCompare(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0)
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d > 0 ? 1 : -1
  }
  return 0
}

// --- smux v1 (§13.4) -----------------------------------------------------------------------------

export const SMUX = { SYN: 0, FIN: 1, PSH: 2, NOP: 3, UPD: 4 } as const

export function smuxFrame(
  cmd: number,
  sid: number,
  data: Buffer = Buffer.alloc(0),
  version = 1,
): Buffer {
  const h = Buffer.alloc(8)
  h[0] = version
  h[1] = cmd
  h.writeUInt16LE(data.length, 2)
  h.writeUInt32LE(sid, 4)
  return Buffer.concat([h, data])
}

/** Accumulating parser: keeps received pieces and joins only the bytes of a complete frame. */
export class SmuxReader {
  private parts: Buffer[] = []
  private size = 0

  push(data: Buffer): Array<{ version: number; cmd: number; sid: number; data: Buffer }> {
    this.parts.push(data)
    this.size += data.length
    const frames = []
    for (;;) {
      if (this.size < 8) break
      const header = this.peek(8)
      const length = header.readUInt16LE(2)
      if (this.size < 8 + length) break
      const whole = this.consume(8 + length)
      frames.push({
        version: whole[0]!,
        cmd: whole[1]!,
        sid: whole.readUInt32LE(4),
        data: whole.subarray(8),
      })
    }
    return frames
  }

  private peek(n: number): Buffer {
    if (this.parts[0]!.length < n) this.parts = [Buffer.concat(this.parts)]
    return this.parts[0]!.subarray(0, n)
  }

  private consume(n: number): Buffer {
    const taken: Buffer[] = []
    let need = n
    while (need > 0) {
      const part = this.parts[0]!
      if (part.length <= need) {
        taken.push(part)
        this.parts.shift()
        need -= part.length
      } else {
        taken.push(part.subarray(0, need))
        this.parts[0] = part.subarray(need)
        need = 0
      }
    }
    this.size -= n
    return taken.length === 1 ? taken[0]! : Buffer.concat(taken)
  }
}

// --- shlex (§11): POSIX-style words, as the agent splits an ECS Exec command ---------------------

export function shlexSplit(command: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let i = 0
  while (i < command.length) {
    const c = command[i]!
    if (c === "'") {
      const end = command.indexOf("'", i + 1)
      if (end < 0) throw new Error('unterminated single quote')
      word += command.slice(i + 1, end)
      inWord = true
      i = end + 1
    } else if (c === '"') {
      i++
      while (i < command.length && command[i] !== '"') {
        if (command[i] === '\\' && i + 1 < command.length && '\\"$`\n'.includes(command[i + 1]!)) {
          word += command[i + 1]
          i += 2
        } else {
          word += command[i]
          i++
        }
      }
      if (i >= command.length) throw new Error('unterminated double quote')
      inWord = true
      i++
    } else if (c === '\\') {
      if (i + 1 < command.length) word += command[i + 1]
      inWord = true
      i += 2
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      i++
    } else if (c === '#' && !inWord) {
      break
    } else {
      word += c
      inWord = true
      i++
    }
  }
  if (inWord) words.push(word)
  return words
}

// --- KMS (§10) -----------------------------------------------------------------------------------

export function gcmSeal(key: Buffer, plain: Buffer): Buffer {
  const nonce = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key, nonce)
  const body = Buffer.concat([c.update(plain), c.final()])
  return Buffer.concat([nonce, body, c.getAuthTag()])
}

export function gcmOpen(key: Buffer, sealed: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12))
  d.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()])
}

/**
 * A local stand-in for KMS GenerateDataKey/Decrypt: the blob seals the plaintext and the
 * encryption context under a master key, and Decrypt insists on the very same context.
 */
export class FakeKms {
  private readonly master = randomBytes(32)
  readonly calls: Array<{ keyId: string; encryptionContext: Record<string, string> }> = []

  constructor(private readonly fixedDataKey?: Buffer) {}

  generateDataKey = async (request: {
    keyId: string
    numberOfBytes: number
    encryptionContext: Record<string, string>
  }): Promise<{ plaintext: Uint8Array; ciphertextBlob: Uint8Array }> => {
    this.calls.push({ keyId: request.keyId, encryptionContext: { ...request.encryptionContext } })
    const plaintext = this.fixedDataKey ?? randomBytes(request.numberOfBytes)
    const blob = gcmSeal(
      this.master,
      Buffer.from(
        JSON.stringify({
          keyId: request.keyId,
          context: request.encryptionContext,
          key: plaintext.toString('base64'),
        }),
      ),
    )
    return { plaintext, ciphertextBlob: blob }
  }

  /** @throws when the blob is foreign or the context differs in any entry. */
  decrypt(blob: Buffer, context: Record<string, string>): Buffer {
    const inside = JSON.parse(gcmOpen(this.master, blob).toString()) as {
      context: Record<string, string>
      key: string
    }
    const a = JSON.stringify(Object.entries(inside.context).sort())
    const b = JSON.stringify(Object.entries(context).sort())
    if (a !== b) throw new Error(`encryption context mismatch: ${a} vs ${b}`)
    return Buffer.from(inside.key, 'base64')
  }
}
