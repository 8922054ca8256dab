import { createHash, randomFillSync, randomUUID } from 'node:crypto'

/**
 * Session Manager ClientMessage codec (ssm-protocol.md §3–6): the 120-byte header, the payload
 * types and the JSON payloads. Pure functions only; no I/O and no clock.
 */

/** Offset of PayloadLength; the value every writer puts in HeaderLength. */
export const HEADER_LENGTH = 116
/** Offset of the payload in a frame written by djenv. */
export const PAYLOAD_OFFSET = HEADER_LENGTH + 4
const TYPE_FIELD = 32

/** The ClientVersion djenv claims everywhere (§9): above every agent feature threshold. */
export const CLIENT_VERSION = '1.2.677.0'

export const MessageType = {
  Input: 'input_stream_data',
  Output: 'output_stream_data',
  Acknowledge: 'acknowledge',
  ChannelClosed: 'channel_closed',
  StartPublication: 'start_publication',
  PausePublication: 'pause_publication',
  AgentSessionState: 'agent_session_state',
} as const

/** PayloadType (§5.1). */
export const PayloadType = {
  None: 0,
  Output: 1,
  Error: 2,
  Size: 3,
  Parameter: 4,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  Flag: 10,
  StdErr: 11,
  ExitCode: 12,
} as const

/** Values of a Flag payload (§5.2). */
export const FlagValue = {
  DisconnectToPort: 1,
  TerminateSession: 2,
  ConnectToPortError: 3,
} as const

/** Header flags (§5.3): SYN on the agent's output seq 0, 3 on acknowledgements. */
export const HeaderFlags = { Syn: 1, Fin: 2, Ack: 3 } as const

/** One decoded frame. Sequence numbers are per direction (§7.1) and fit a JS number. */
export interface ClientMessage {
  messageType: string
  schemaVersion: number
  /** Unix epoch milliseconds; never 0. */
  createdDate: number
  sequenceNumber: number
  flags: number
  /** Canonical lowercase hyphenated UUID (halves already swapped back). */
  messageId: string
  payloadType: number
  payload: Buffer
}

/** A frame that fails the §3 validation rules. Receivers drop such frames without acking them. */
export class FrameError extends Error {
  override name = 'FrameError'
}

/** Swaps the two 8-byte halves of a 16-byte UUID: the wire order of MessageId (§3). */
export function swapUuidHalves(bytes: Buffer): Buffer {
  if (bytes.length !== 16) throw new FrameError(`a UUID has 16 bytes, got ${bytes.length}`)
  return Buffer.concat([bytes.subarray(8, 16), bytes.subarray(0, 8)])
}

function uuidToBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new FrameError(`not a UUID: ${id}`)
  return Buffer.from(hex, 'hex')
}

// randomFillSync costs microseconds per call: draw message ids from a pool refilled in bulk.
const randomPool = Buffer.allocUnsafe(16 * 512)
let randomPoolOffset = randomPool.length

/** A random v4 UUID written straight in wire order (canonical bytes 8–15 first). */
function writeRandomUuid(frame: Buffer, offset: number): void {
  if (randomPoolOffset === randomPool.length) {
    randomFillSync(randomPool)
    randomPoolOffset = 0
  }
  randomPool.copy(frame, offset, randomPoolOffset, randomPoolOffset + 16)
  randomPoolOffset += 16
  frame.writeUInt8((frame.readUInt8(offset + 14) & 0x0f) | 0x40, offset + 14) // version 4: canonical byte 6
  frame.writeUInt8((frame.readUInt8(offset) & 0x3f) | 0x80, offset) // RFC 4122 variant: canonical byte 8
}

function bytesToUuid(bytes: Buffer): string {
  const h = bytes.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export interface EncodeInput {
  messageType: string
  sequenceNumber: number
  payloadType: number
  payload: Buffer
  /** Unix epoch milliseconds; must be non-zero. */
  createdDate: number
  /** @default 0 */
  flags?: number
  /** @default a fresh random UUID */
  messageId?: string
  /** @default 1 */
  schemaVersion?: number
}

/** Encodes one ClientMessage exactly as §3 lays it out (space padding, swapped id, raw SHA-256). */
export function encodeMessage(m: EncodeInput): Buffer {
  if (m.messageType.length === 0 || m.messageType.length > TYPE_FIELD) {
    throw new FrameError(`MessageType must have 1-32 characters: ${JSON.stringify(m.messageType)}`)
  }
  if (!(m.createdDate > 0)) throw new FrameError('CreatedDate must be non-zero')
  // Every byte below is written, so the buffer need not be zeroed first.
  const frame = Buffer.allocUnsafe(PAYLOAD_OFFSET + m.payload.length)
  frame.writeUInt32BE(HEADER_LENGTH, 0)
  frame.fill(0x20, 4, 4 + TYPE_FIELD)
  frame.write(m.messageType, 4, 'ascii')
  frame.writeUInt32BE(m.schemaVersion ?? 1, 36)
  frame.writeBigUInt64BE(BigInt(Math.trunc(m.createdDate)), 40)
  frame.writeBigInt64BE(BigInt(m.sequenceNumber), 48)
  frame.writeBigUInt64BE(BigInt(m.flags ?? 0), 56)
  if (m.messageId === undefined) writeRandomUuid(frame, 64)
  else swapUuidHalves(uuidToBytes(m.messageId)).copy(frame, 64)
  createHash('sha256').update(m.payload).digest().copy(frame, 80)
  frame.writeUInt32BE(m.payloadType, 112)
  frame.writeUInt32BE(m.payload.length, 116)
  m.payload.copy(frame, PAYLOAD_OFFSET)
  return frame
}

const UNDIGESTED: ReadonlySet<string> = new Set([
  MessageType.StartPublication,
  MessageType.PausePublication,
])

/**
 * Decodes and validates one frame: the plugin's checks (HeaderLength, MessageType, CreatedDate,
 * digest when the payload is non-empty, except for publication messages) plus PayloadLength.
 * @throws FrameError when any rule fails.
 */
export function decodeMessage(frame: Buffer): ClientMessage {
  if (frame.length < PAYLOAD_OFFSET) throw new FrameError(`frame too short: ${frame.length} bytes`)
  const headerLength = frame.readUInt32BE(0)
  if (headerLength < HEADER_LENGTH || headerLength + 4 > frame.length) {
    throw new FrameError(`bad HeaderLength ${headerLength}`)
  }
  const messageType = frame.toString('latin1', 4, 4 + TYPE_FIELD).replace(/^[\s\0]+|[\s\0]+$/g, '')
  if (messageType === '') throw new FrameError('empty MessageType')
  const createdDate = frame.readBigUInt64BE(40)
  if (createdDate === 0n) throw new FrameError('CreatedDate is 0')
  const sequenceNumber = Number(frame.readBigInt64BE(48))
  if (!Number.isSafeInteger(sequenceNumber)) throw new FrameError('SequenceNumber out of range')
  const payloadStart = headerLength + 4
  const payloadLength = frame.readUInt32BE(headerLength)
  if (payloadLength !== frame.length - payloadStart) {
    throw new FrameError(
      `PayloadLength ${payloadLength} disagrees with the ${frame.length - payloadStart} bytes present`,
    )
  }
  const payload = frame.subarray(payloadStart)
  if (payload.length > 0 && !UNDIGESTED.has(messageType)) {
    const digest = createHash('sha256').update(payload).digest()
    if (!digest.equals(frame.subarray(80, 112))) throw new FrameError('payload digest mismatch')
  }
  return {
    messageType,
    schemaVersion: frame.readUInt32BE(36),
    createdDate: Number(createdDate),
    sequenceNumber,
    flags: Number(frame.readBigUInt64BE(56)),
    messageId: bytesToUuid(swapUuidHalves(frame.subarray(64, 80))),
    payloadType: frame.readUInt32BE(112),
    payload,
  }
}

/** AcknowledgeContent (§6.1). */
export interface AcknowledgeContent {
  AcknowledgedMessageType: string
  AcknowledgedMessageId: string
  AcknowledgedMessageSequenceNumber: number
  IsSequentialMessage: boolean
}

/** Encodes the acknowledgement of `acked`: fresh id, seq 0, flags 3, PayloadType 0 (§6.1). */
export function encodeAck(
  acked: Pick<ClientMessage, 'messageType' | 'messageId' | 'sequenceNumber'>,
  createdDate: number,
  messageId?: string,
): Buffer {
  // Same bytes as JSON.stringify of an AcknowledgeContent; built by hand because acks are hot.
  const json =
    `{"AcknowledgedMessageType":${JSON.stringify(acked.messageType)},` +
    `"AcknowledgedMessageId":${JSON.stringify(acked.messageId)},` +
    `"AcknowledgedMessageSequenceNumber":${acked.sequenceNumber},"IsSequentialMessage":true}`
  return encodeMessage({
    messageType: MessageType.Acknowledge,
    sequenceNumber: 0,
    flags: HeaderFlags.Ack,
    payloadType: PayloadType.None,
    payload: Buffer.from(json),
    createdDate,
    messageId,
  })
}

/** Parses an acknowledgement payload. @throws FrameError when it is not §6.1 JSON. */
export function parseAck(payload: Buffer): AcknowledgeContent {
  const value = parseJson(payload, 'acknowledge')
  const seq = value.AcknowledgedMessageSequenceNumber
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) {
    throw new FrameError('acknowledge without AcknowledgedMessageSequenceNumber')
  }
  return {
    AcknowledgedMessageType: String(value.AcknowledgedMessageType ?? ''),
    AcknowledgedMessageId: String(value.AcknowledgedMessageId ?? ''),
    AcknowledgedMessageSequenceNumber: seq,
    IsSequentialMessage: value.IsSequentialMessage !== false,
  }
}

/** The text frame a client sends right after the WebSocket opens (§2), fields in plugin order. */
export function openDataChannelJson(o: {
  tokenValue: string
  requestId?: string
  clientId: string
  clientVersion?: string
}): string {
  return JSON.stringify({
    MessageSchemaVersion: '1.0',
    RequestId: o.requestId ?? randomUUID(),
    TokenValue: o.tokenValue,
    ClientId: o.clientId,
    ClientVersion: o.clientVersion ?? CLIENT_VERSION,
  })
}

/** A requested client action of a HandshakeRequest (§6.2). */
export interface RequestedClientAction {
  ActionType: string
  ActionParameters?: unknown
}

export interface HandshakeRequest {
  AgentVersion: string
  RequestedClientActions: RequestedClientAction[]
}

export interface SessionTypeParameters {
  SessionType: string
  Properties?: Record<string, unknown> | null
}

export interface KmsEncryptionParameters {
  KMSKeyId: string
  Challenge?: string
}

/** ActionStatus of a processed client action (§6.3). */
export const ActionStatus = { Success: 1, Failed: 2, Unsupported: 3 } as const

export interface ProcessedClientAction {
  ActionType: string
  ActionStatus: number
  ActionResult: unknown
  Error: string
}

export interface HandshakeResponse {
  ClientVersion: string
  ProcessedClientActions: ProcessedClientAction[]
  Errors: string[] | null
}

export interface HandshakeComplete {
  HandshakeTimeToComplete: number
  CustomerMessage: string
}

export function parseHandshakeRequest(payload: Buffer): HandshakeRequest {
  const value = parseJson(payload, 'HandshakeRequest')
  const actions = Array.isArray(value.RequestedClientActions) ? value.RequestedClientActions : []
  return {
    AgentVersion: typeof value.AgentVersion === 'string' ? value.AgentVersion : '',
    RequestedClientActions: actions.filter(isRecord).map((a) => ({
      ActionType: String(a.ActionType ?? ''),
      ActionParameters: a.ActionParameters,
    })),
  }
}

export function parseHandshakeComplete(payload: Buffer): HandshakeComplete {
  const value = parseJson(payload, 'HandshakeComplete')
  return {
    HandshakeTimeToComplete: Number(value.HandshakeTimeToComplete ?? 0),
    CustomerMessage: typeof value.CustomerMessage === 'string' ? value.CustomerMessage : '',
  }
}

/** ChannelClosed (§6.6); only `Output` matters to a client. */
export interface ChannelClosed {
  SessionId: string
  Output: string
}

export function parseChannelClosed(payload: Buffer): ChannelClosed {
  let value: Record<string, unknown> = {}
  try {
    value = parseJson(payload, 'channel_closed')
  } catch {
    // An unreadable reason still closes the channel.
  }
  return {
    SessionId: typeof value.SessionId === 'string' ? value.SessionId : '',
    Output: typeof value.Output === 'string' ? value.Output : '',
  }
}

/** Terminal size in character cells. */
export interface TerminalSize {
  cols: number
  rows: number
}

/** The Size payload (PayloadType 3): `{"cols":N,"rows":N}`. */
export function encodeSize(size: TerminalSize): Buffer {
  const cols = Math.max(0, Math.trunc(size.cols)) >>> 0
  const rows = Math.max(0, Math.trunc(size.rows)) >>> 0
  return Buffer.from(JSON.stringify({ cols, rows }))
}

/** The Flag payload (PayloadType 10): a 4-byte big-endian u32. */
export function encodeFlag(flag: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(flag, 0)
  return b
}

export function decodeFlag(payload: Buffer): number {
  if (payload.length !== 4)
    throw new FrameError(`a Flag payload has 4 bytes, got ${payload.length}`)
  return payload.readUInt32BE(0)
}

function parseJson(payload: Buffer, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new FrameError(`${what} payload is not JSON`)
  }
  if (!isRecord(value)) throw new FrameError(`${what} payload is not a JSON object`)
  return value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Compares dotted numeric versions (§9). djenv requires four numeric parts: anything else is
 * "unparsable" and yields undefined, which callers treat as an old agent.
 */
export function compareVersions(a: string, b: string): number | undefined {
  const pa = parseVersion(a)
  const pb = parseVersion(b)
  if (!pa || !pb) return undefined
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

function parseVersion(v: string): number[] | undefined {
  const parts = v.trim().split('.')
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,9}$/.test(p))) return undefined
  return parts.map(Number)
}

/** True when `version` parses and is strictly greater than `threshold`. */
export function versionAbove(version: string, threshold: string): boolean {
  return (compareVersions(version, threshold) ?? -1) > 0
}
