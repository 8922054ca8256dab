import { randomUUID } from 'node:crypto'
import WebSocket from 'ws'

import { systemClock, type Clock } from '../core/clock.js'
import { debugFor } from '../core/debug.js'
import { DjenvError } from '../core/errors.js'
import {
  decodeMessage,
  encodeAck,
  encodeMessage,
  MessageType,
  openDataChannelJson,
  parseAck,
  parseChannelClosed,
  type ClientMessage,
} from './frame.js'

/**
 * The reliable data channel (ssm-protocol.md §2, §7, §15): one WebSocket at a time to the stream
 * URL, per-direction sequence numbers, per-message acks, out-of-order buffering, retransmission
 * with the agent's RTO, duplicate re-acks, and resume after transport loss with every counter and
 * buffer kept.
 */

const log = debugFor('session:channel')

/** What a control-plane call (ECS ExecuteCommand, SSM StartSession) returns. */
export interface SessionTarget {
  sessionId: string
  streamUrl: string
  tokenValue: string
}

/** Builds the WebSocket for a stream URL; tests and SigV4 signing plug in here. */
export type WebSocketFactory = (url: string) => WebSocket

/** Progress a command may show: reconnects, and frames the channel chose to ignore. */
export type ChannelEvent =
  | { type: 'reconnecting'; attempt: number; reason: string }
  | { type: 'reconnected'; attempt: number }

export interface ChannelOptions {
  /** @default a `ws` client without permessage-deflate (§2) */
  createWebSocket?: WebSocketFactory
  /** @default systemClock */
  clock?: Clock
  /** Aborting ends the channel with INTERRUPTED. */
  signal?: AbortSignal
  /**
   * `ssm:ResumeSession`: returns a fresh TokenValue, or null/undefined when the session timed out.
   * Without it, transport loss ends the session.
   */
  resume?: (sessionId: string) => Promise<string | null | undefined>
  /** @default a UUID constant per process */
  clientId?: string
  onEvent?: (event: ChannelEvent) => void
  /** Largest data payload djenv sends (§14). @default 1024 */
  maxPayloadSize?: number
  /** Unacked messages in flight before writers wait. @default 1024 */
  maxUnacked?: number
  /** Out-of-order messages kept (already acked); beyond it they are dropped unacked. @default 4096 */
  maxOutOfOrder?: number
  /** @default 30000 */
  pingIntervalMs?: number
  /** Oldest unacked message older than this means transport loss (§15). @default 30000 */
  staleAckMs?: number
  /** Consecutive failed reconnects before the session fails. @default 10 */
  maxReconnects?: number
}

export type ChannelEnd =
  | { kind: 'channel-closed'; output: string }
  | { kind: 'closed' }
  | { kind: 'failed'; error: DjenvError }

/** One in-order data message handed to the layer above. */
export interface DataMessage {
  sequenceNumber: number
  payloadType: number
  payload: Buffer
}

/** Returns false when not ready: the message is dropped unacked and the agent resends it (§7.2). */
export type Receiver = (message: DataMessage) => boolean

/** The reliable channel as the layers above see it. */
export interface MessageChannel {
  /** Payloads larger than this must be split by the caller (see `sendBytes`). */
  readonly maxPayloadSize: number
  /**
   * Queues one data message (synchronously, so calls keep their order) and resolves once it has
   * been transmitted within the unacked bound. Rejects when the channel has ended.
   */
  send(payloadType: number, payload: Buffer): Promise<void>
  setReceiver(receiver: Receiver): void
  /** Incoming flow control: stop reading the transport until `resume`. */
  pause(): void
  /** Reads again and retries delivery of buffered messages a receiver refused. */
  resume(): void
  /** Resolves true once everything sent was acked, false on timeout or end. */
  drain(timeoutMs: number): Promise<boolean>
  close(): void
  readonly ended: Promise<ChannelEnd>
}

/**
 * Sends `data` as consecutive messages of at most `maxPayloadSize` bytes, never an empty one
 * (§14). All messages are queued synchronously, so concurrent callers never interleave.
 */
export function sendBytes(
  channel: MessageChannel,
  payloadType: number,
  data: Buffer,
): Promise<void> {
  if (data.length === 0) return Promise.resolve()
  const size = channel.maxPayloadSize
  let last: Promise<void> = Promise.resolve()
  for (let off = 0; off < data.length; off += size) {
    const sent = channel.send(payloadType, data.subarray(off, off + size))
    if (off + size < data.length) sent.catch(() => undefined) // the last promise reports
    last = sent
  }
  return last
}

/** RTT estimator and retransmission timeout, identical on both AWS sides (§7.4). All in ms. */
export class Rto {
  srtt = 100
  rttvar = 0
  rto = 200

  onSample(sample: number): void {
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - sample)
    this.srtt = 0.875 * this.srtt + 0.125 * sample
    this.rto = Math.min(1000, this.srtt + Math.max(10, 4 * this.rttvar))
  }
}

const PROCESS_CLIENT_ID = randomUUID()
const RESEND_TICK_MS = 100
const MAX_WS_BUFFERED = 1 << 20

interface Outgoing {
  seq: number
  bytes: Buffer
  firstSent: number
  lastSent: number
  resent: number
  done?: () => void
  fail?: (error: Error) => void
}

interface Connection {
  ws: WebSocket
  open: boolean
  buffered: number
  frames: number
  awaitingPong: boolean
  corked: boolean
}

interface Corkable {
  cork(): void
  uncork(): void
}

/** Opens the channel: connects at once; the first connection's outcome is `opened`. */
export function openChannel(target: SessionTarget, options: ChannelOptions = {}): DataChannel {
  return new DataChannel(target, options)
}

export class DataChannel implements MessageChannel {
  readonly maxPayloadSize: number
  readonly ended: Promise<ChannelEnd>
  /** Resolves when the first WebSocket is open and OpenDataChannel sent; rejects if it never is. */
  readonly opened: Promise<void>

  private readonly clock: Clock
  private readonly createWebSocket: WebSocketFactory
  private readonly internal = new AbortController()
  private readonly rtoState = new Rto()
  private endResult: ChannelEnd | undefined
  private resolveEnded!: (end: ChannelEnd) => void
  private conn: Connection | undefined
  private everReceived = false
  private reconnecting = false
  private failedConnects = 0
  private paused = false
  private receiver: Receiver = () => false

  private outSeq = 0
  private readonly outbox: Outgoing[] = []
  private outboxHead = 0
  private readonly unacked = new Map<number, Outgoing>()
  private drainWaiters: Array<(drained: boolean) => void> = []

  private inExpected = 0
  private readonly inBuffer = new Map<number, DataMessage>()

  constructor(
    private readonly target: SessionTarget,
    private readonly options: ChannelOptions = {},
  ) {
    this.maxPayloadSize = options.maxPayloadSize ?? 1024
    this.clock = options.clock ?? systemClock
    this.createWebSocket =
      options.createWebSocket ??
      ((url) => new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 30_000 }))
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve))
    this.opened = this.connect(target.tokenValue)
    this.opened.catch((error: unknown) => {
      this.fail(
        new DjenvError(
          'SESSION_FAILED',
          `Could not connect to the Session Manager stream of session ${target.sessionId} (${describe(error)}).`,
          'Check the network path to ssmmessages, then start a new session.',
          error,
        ),
      )
    })
    const signal = options.signal
    if (signal) {
      const onAbort = () => this.fail(new DjenvError('INTERRUPTED', 'Interrupted.'))
      if (signal.aborted) onAbort()
      else {
        signal.addEventListener('abort', onAbort, { once: true })
        void this.ended.then(() => signal.removeEventListener('abort', onAbort))
      }
    }
    void this.loop(RESEND_TICK_MS, () => this.tick())
    void this.loop(options.pingIntervalMs ?? 30_000, () => this.ping())
  }

  /** The current retransmission timeout in ms (§7.4). */
  get rto(): number {
    return this.rtoState.rto
  }

  /** Number of sent, not yet acknowledged messages. */
  get unackedCount(): number {
    return this.unacked.size
  }

  setReceiver(receiver: Receiver): void {
    this.receiver = receiver
    this.drainInBuffer()
  }

  send(payloadType: number, payload: Buffer): Promise<void> {
    if (this.endResult) return Promise.reject(this.endError())
    const seq = this.outSeq++
    const bytes = encodeMessage({
      messageType: MessageType.Input,
      sequenceNumber: seq,
      payloadType,
      payload,
      createdDate: this.now(),
    })
    const promise = new Promise<void>((resolve, reject) => {
      this.outbox.push({
        seq,
        bytes,
        firstSent: 0,
        lastSent: 0,
        resent: 0,
        done: resolve,
        fail: reject,
      })
    })
    this.pump()
    return promise
  }

  pause(): void {
    if (this.paused) return
    this.paused = true
    if (this.conn?.open) this.conn.ws.pause()
  }

  resume(): void {
    if (!this.paused) {
      this.drainInBuffer()
      return
    }
    this.paused = false
    if (this.conn?.open) this.conn.ws.resume()
    this.drainInBuffer()
  }

  async drain(timeoutMs: number): Promise<boolean> {
    if (this.isDrained()) return true
    if (this.endResult) return false
    const timeout = new AbortController()
    const drained = new Promise<boolean>((resolve) => this.drainWaiters.push(resolve))
    const timer = this.clock.sleep(timeoutMs, timeout.signal).then(
      () => false,
      () => false,
    )
    const result = await Promise.race([drained, timer])
    timeout.abort()
    return result
  }

  close(): void {
    this.finish({ kind: 'closed' })
  }

  // --- transport -------------------------------------------------------------------------------

  private connect(token: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ws: WebSocket
      try {
        ws = this.createWebSocket(this.target.streamUrl)
      } catch (error) {
        reject(error)
        return
      }
      ws.binaryType = 'nodebuffer'
      const conn: Connection = {
        ws,
        open: false,
        buffered: 0,
        frames: 0,
        awaitingPong: false,
        corked: false,
      }
      this.conn = conn
      let lastError: unknown
      ws.on('error', (error) => {
        lastError = error
        log('websocket error: %s', describe(error))
      })
      ws.on('open', () => {
        if (this.conn !== conn || this.endResult) {
          ws.terminate()
          return
        }
        conn.open = true
        ws.send(
          openDataChannelJson({
            tokenValue: token,
            clientId: this.options.clientId ?? PROCESS_CLIENT_ID,
          }),
        )
        if (this.paused) ws.pause()
        this.resendAll(conn)
        this.pump()
        resolve()
      })
      ws.on('message', (data: Buffer) => {
        if (this.conn === conn) this.onFrame(conn, data)
      })
      ws.on('pong', () => {
        conn.awaitingPong = false
      })
      ws.on('close', (code: number, reason: Buffer) => {
        const why = `WebSocket closed with code ${code}${reason.length ? ` ${reason.toString()}` : ''}`
        if (!conn.open) {
          reject(lastError instanceof Error ? lastError : new Error(why))
          return
        }
        if (this.conn === conn) this.onTransportLoss(conn, why)
      })
    })
  }

  private onTransportLoss(conn: Connection, reason: string): void {
    if (this.endResult || this.conn !== conn) return
    log('transport lost: %s', reason)
    this.conn = undefined
    conn.open = false
    conn.ws.removeAllListeners('message')
    conn.ws.terminate()
    if (!this.everReceived) {
      this.fail(
        new DjenvError(
          'SESSION_FAILED',
          `Session Manager closed the stream of session ${this.target.sessionId} before it started (${reason}).`,
          'The session token may be invalid or expired: start a new session.',
        ),
      )
      return
    }
    if (conn.frames === 0) this.failedConnects++
    if (!this.options.resume) {
      this.fail(
        new DjenvError(
          'SESSION_FAILED',
          `Lost the connection to session ${this.target.sessionId} (${reason}).`,
          'Start a new session.',
        ),
      )
      return
    }
    void this.reconnect(reason)
  }

  /** §15: ResumeSession, reopen the same StreamUrl, keep all state; backoff 100–200 ms × 2 ≤ 5 s. */
  private async reconnect(reason: string): Promise<void> {
    const resume = this.options.resume
    if (this.reconnecting || !resume) return
    this.reconnecting = true
    const initial = 100 + Math.random() * 100
    let delay = initial
    const max = this.options.maxReconnects ?? 10
    let attempt = 0
    while (!this.endResult) {
      if (this.failedConnects >= max) {
        this.fail(
          new DjenvError(
            'SESSION_FAILED',
            `Could not reconnect session ${this.target.sessionId} after ${this.failedConnects} attempts (${reason}).`,
            'Check the network path to ssmmessages, then start a new session.',
          ),
        )
        break
      }
      attempt++
      this.options.onEvent?.({ type: 'reconnecting', attempt, reason })
      try {
        await this.clock.sleep(delay, this.internal.signal)
      } catch {
        break
      }
      delay = delay * 2 > 5000 ? initial : delay * 2
      let token: string | null | undefined
      try {
        token = await resume(this.target.sessionId)
      } catch (error) {
        reason = `ResumeSession failed: ${describe(error)}`
        this.failedConnects++
        continue
      }
      if (this.endResult) break
      if (!token) {
        this.fail(
          new DjenvError(
            'SESSION_FAILED',
            `Session ${this.target.sessionId} timed out and cannot be resumed.`,
            'Start a new session.',
          ),
        )
        break
      }
      try {
        await this.connect(token)
      } catch (error) {
        reason = describe(error)
        this.failedConnects++
        continue
      }
      this.options.onEvent?.({ type: 'reconnected', attempt })
      break
    }
    this.reconnecting = false
  }

  private transmit(conn: Connection, bytes: Buffer): void {
    this.cork(conn)
    conn.buffered += bytes.length
    conn.ws.send(bytes, () => {
      conn.buffered -= bytes.length
      if (conn === this.conn && conn.buffered < MAX_WS_BUFFERED / 2) this.pump()
    })
  }

  /**
   * Batches every frame sent in this tick into one socket write: one syscall per 1 KiB message
   * would otherwise cap throughput. `ws` keeps its socket private, hence the guarded access.
   */
  private cork(conn: Connection): void {
    if (conn.corked) return
    const socket = (conn.ws as unknown as { _socket?: Partial<Corkable> })._socket
    if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return
    conn.corked = true
    socket.cork()
    process.nextTick(() => {
      conn.corked = false
      socket.uncork?.()
    })
  }

  private resendAll(conn: Connection): void {
    const now = this.now()
    for (const entry of this.unacked.values()) {
      entry.firstSent = now
      entry.lastSent = now
      entry.resent++
      this.transmit(conn, entry.bytes)
    }
  }

  private pump(): void {
    const conn = this.conn
    if (!conn?.open) return
    const max = this.options.maxUnacked ?? 1024
    while (
      this.outboxHead < this.outbox.length &&
      this.unacked.size < max &&
      conn.buffered < MAX_WS_BUFFERED
    ) {
      const entry = this.outbox[this.outboxHead]
      if (!entry) break
      this.outbox[this.outboxHead++] = undefined as unknown as Outgoing
      const now = this.now()
      entry.firstSent = now
      entry.lastSent = now
      this.unacked.set(entry.seq, entry)
      this.transmit(conn, entry.bytes)
      const done = entry.done
      entry.done = undefined
      entry.fail = undefined
      done?.()
    }
    if (this.outboxHead > 1024 && this.outboxHead * 2 > this.outbox.length) {
      this.outbox.splice(0, this.outboxHead)
      this.outboxHead = 0
    }
  }

  // --- receiving -------------------------------------------------------------------------------

  private onFrame(conn: Connection, data: Buffer): void {
    let message: ClientMessage
    try {
      message = decodeMessage(data)
    } catch (error) {
      log('dropping an invalid frame unacked: %s', describe(error))
      return
    }
    this.everReceived = true
    conn.frames++
    conn.awaitingPong = false
    this.failedConnects = 0
    switch (message.messageType) {
      case MessageType.Output:
        this.onData(conn, message)
        break
      case MessageType.Acknowledge:
        this.onAck(message)
        break
      case MessageType.ChannelClosed:
        this.finish({ kind: 'channel-closed', output: parseChannelClosed(message.payload).Output })
        break
      default:
        // start_publication, pause_publication, agent_session_state and unknown types (§4).
        log('ignoring %s', message.messageType)
    }
  }

  private onData(conn: Connection, m: ClientMessage): void {
    const s = m.sequenceNumber
    if (s < this.inExpected) {
      this.ack(conn, m) // a duplicate: its ack was probably lost
      return
    }
    if (s > this.inExpected) {
      if (!this.inBuffer.has(s)) {
        if (this.inBuffer.size >= (this.options.maxOutOfOrder ?? 4096)) return
        this.inBuffer.set(s, toData(m))
      }
      this.ack(conn, m)
      return
    }
    if (!this.deliver(toData(m))) return // not ready: no ack, the agent resends
    this.inBuffer.delete(s)
    this.ack(conn, m)
    this.inExpected++
    this.drainInBuffer()
  }

  private drainInBuffer(): void {
    for (;;) {
      if (this.endResult) return
      const next = this.inBuffer.get(this.inExpected)
      if (!next || !this.deliver(next)) return
      this.inBuffer.delete(this.inExpected)
      this.inExpected++
    }
  }

  private deliver(m: DataMessage): boolean {
    if (this.endResult) return false
    try {
      return this.receiver(m)
    } catch (error) {
      this.fail(
        new DjenvError(
          'SESSION_FAILED',
          `Session ${this.target.sessionId} failed while handling output (${describe(error)}).`,
          undefined,
          error,
        ),
      )
      return false
    }
  }

  private ack(conn: Connection, m: ClientMessage): void {
    if (conn.open && conn.ws.readyState === WebSocket.OPEN)
      this.transmit(conn, encodeAck(m, this.now()))
  }

  private onAck(m: ClientMessage): void {
    let seq: number
    try {
      seq = parseAck(m.payload).AcknowledgedMessageSequenceNumber
    } catch (error) {
      log('ignoring an unreadable ack: %s', describe(error))
      return
    }
    const entry = this.unacked.get(seq)
    if (!entry) return
    this.unacked.delete(seq)
    if (entry.resent === 0) this.rtoState.onSample(this.now() - entry.lastSent) // Karn: skip resent
    this.pump()
    if (this.drainWaiters.length > 0 && this.isDrained()) {
      const waiters = this.drainWaiters
      this.drainWaiters = []
      for (const w of waiters) w(true)
    }
  }

  // --- timers ----------------------------------------------------------------------------------

  private async loop(intervalMs: number, body: () => void): Promise<void> {
    while (!this.endResult) {
      try {
        await this.clock.sleep(intervalMs, this.internal.signal)
      } catch {
        return
      }
      if (!this.endResult) body()
    }
  }

  /** Every 100 ms: resend the oldest unacked message once it is older than the RTO (§7.3). */
  private tick(): void {
    const conn = this.conn
    if (!conn?.open || this.paused) return
    const head = this.unacked.values().next()
    if (head.done) return
    const entry = head.value
    const now = this.now()
    if (now - entry.firstSent > (this.options.staleAckMs ?? 30_000)) {
      this.onTransportLoss(
        conn,
        `no acknowledgement for ${Math.round((now - entry.firstSent) / 1000)} s`,
      )
      return
    }
    if (now - entry.lastSent > this.rtoState.rto) {
      entry.lastSent = now
      entry.resent++
      this.transmit(conn, entry.bytes)
    }
  }

  private ping(): void {
    const conn = this.conn
    if (!conn?.open || this.paused) return
    if (conn.awaitingPong) {
      this.onTransportLoss(conn, 'no answer to a WebSocket ping')
      return
    }
    conn.awaitingPong = true
    conn.ws.ping('keepalive')
  }

  // --- ending ----------------------------------------------------------------------------------

  private fail(error: DjenvError): void {
    this.finish({ kind: 'failed', error })
  }

  private finish(end: ChannelEnd): void {
    if (this.endResult) return
    this.endResult = end
    log('channel ended: %s', end.kind)
    this.internal.abort()
    const conn = this.conn
    this.conn = undefined
    if (conn) closeSocket(conn.ws)
    const error = this.endError()
    for (let i = this.outboxHead; i < this.outbox.length; i++) this.outbox[i]?.fail?.(error)
    this.outbox.length = 0
    this.outboxHead = 0
    for (const w of this.drainWaiters) w(false)
    this.drainWaiters = []
    this.resolveEnded(end)
  }

  private endError(): DjenvError {
    const end = this.endResult
    if (end?.kind === 'failed') return end.error
    return new DjenvError('SESSION_FAILED', `Session ${this.target.sessionId} has ended.`)
  }

  private isDrained(): boolean {
    return this.unacked.size === 0 && this.outboxHead >= this.outbox.length
  }

  private now(): number {
    return this.clock.now().getTime()
  }
}

function toData(m: ClientMessage): DataMessage {
  return { sequenceNumber: m.sequenceNumber, payloadType: m.payloadType, payload: m.payload }
}

function closeSocket(ws: WebSocket): void {
  ws.removeAllListeners('message')
  if (ws.readyState === WebSocket.OPEN) {
    ws.close(1000)
    setTimeout(() => ws.terminate(), 2000).unref()
  } else {
    ws.terminate()
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
