import { Duplex } from 'node:stream'

import { systemClock, type Clock } from '../core/clock.js'
import { debugFor } from '../core/debug.js'

/**
 * smux v1 client (ssm-protocol.md §13.3–13.4, xtaci/smux): streams over the in-order byte stream
 * that the data channel's Output payloads form. Little-endian 8-byte headers; no per-stream
 * window in v1, so the whole session shares one receive budget and pauses the link beyond it.
 */

const log = debugFor('session:smux')

export const SMUX_VERSION = 1
export const SmuxCmd = { Syn: 0, Fin: 1, Psh: 2, Nop: 3, Upd: 4 } as const
export const SMUX_HEADER = 8

export interface SmuxFrame {
  version: number
  cmd: number
  sid: number
  data: Buffer
}

/** Encodes one frame: version, cmd, u16 LE length, u32 LE stream id, data. */
export function encodeSmuxFrame(cmd: number, sid: number, data: Buffer = EMPTY): Buffer {
  if (data.length > 0xffff) throw new RangeError(`smux frame data too long: ${data.length}`)
  const frame = Buffer.allocUnsafe(SMUX_HEADER + data.length)
  frame[0] = SMUX_VERSION
  frame[1] = cmd
  frame.writeUInt16LE(data.length, 2)
  frame.writeUInt32LE(sid, 4)
  data.copy(frame, SMUX_HEADER)
  return frame
}

const EMPTY = Buffer.alloc(0)

/**
 * Incremental frame parser: frames span messages and messages hold several frames, so partial
 * headers and data are carried across `feed` calls without re-copying what was already seen.
 */
export class SmuxParser {
  private chunks: Buffer[] = []
  private length = 0
  private header: { version: number; cmd: number; sid: number; length: number } | undefined

  /** @throws Error on a frame that is not smux v1; the session is then unusable. */
  feed(data: Buffer, onFrame: (frame: SmuxFrame) => void): void {
    if (data.length > 0) {
      this.chunks.push(data)
      this.length += data.length
    }
    for (;;) {
      if (!this.header) {
        if (this.length < SMUX_HEADER) return
        const h = this.take(SMUX_HEADER)
        const version = h.readUInt8(0)
        const cmd = h.readUInt8(1)
        if (version !== SMUX_VERSION) throw new Error(`smux version ${version} is not 1`)
        if (cmd === SmuxCmd.Upd) throw new Error('smux UPD frame (v2 only) on a v1 session')
        if (cmd > SmuxCmd.Upd) throw new Error(`unknown smux command ${cmd}`)
        this.header = { version, cmd, sid: h.readUInt32LE(4), length: h.readUInt16LE(2) }
      }
      if (this.length < this.header.length) return
      const { version, cmd, sid, length } = this.header
      this.header = undefined
      onFrame({ version, cmd, sid, data: length === 0 ? EMPTY : this.take(length) })
    }
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]
    if (first && first.length >= n) {
      const out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.length -= n
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let off = 0
    while (off < n) {
      const c = this.chunks[0]
      if (!c) throw new Error('smux parser took more than it had') // guarded by `length`
      const k = Math.min(c.length, n - off)
      c.copy(out, off, 0, k)
      off += k
      if (k === c.length) this.chunks.shift()
      else this.chunks[0] = c.subarray(k)
    }
    this.length -= n
    return out
  }
}

/** The layer below smux: the data channel's Output payload stream. */
export interface SmuxLink {
  /** Sends bytes of the smux stream; one call's bytes are never interleaved with another's. */
  write(data: Buffer): Promise<void>
  /** Stop delivering incoming bytes (flow control) until `resume`. */
  pause(): void
  resume(): void
}

export interface SmuxOptions {
  /** NOP every `keepaliveIntervalMs` and a receive watchdog: only for agents ≤ 3.1.1511.0 (§9). */
  keepalive: boolean
  /** @default systemClock */
  clock?: Clock
  /** @default 10000 */
  keepaliveIntervalMs?: number
  /** @default 30000 */
  keepaliveTimeoutMs?: number
  /** @default 32768 */
  maxFrameSize?: number
  /** Bytes buffered for all streams' readers before the link is paused. @default 4 MiB */
  receiveBudget?: number
}

/** A client smux session; `receive` takes the incoming byte stream in order. */
export class SmuxSession {
  /** Resolves when the session is over: undefined after `close()`, the error otherwise. */
  readonly closed: Promise<Error | undefined>

  private readonly parser = new SmuxParser()
  private readonly streams = new Map<number, SmuxStream>()
  private readonly clock: Clock
  private readonly stop = new AbortController()
  private readonly budget: number
  private readonly maxFrameSize: number
  private nextId = 1
  private linkPaused = false
  private lastReceived: number
  private done = false
  private resolveClosed!: (error: Error | undefined) => void

  constructor(
    private readonly link: SmuxLink,
    private readonly options: SmuxOptions,
  ) {
    this.clock = options.clock ?? systemClock
    this.budget = options.receiveBudget ?? 4 << 20
    this.maxFrameSize = options.maxFrameSize ?? 32768
    this.lastReceived = this.clock.now().getTime()
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve))
    if (options.keepalive) void this.keepalive()
  }

  get isClosed(): boolean {
    return this.done
  }

  /** Opens the next stream (ids 3, 5, 7, …) and sends its SYN; data may follow at once. */
  openStream(): SmuxStream {
    if (this.done) throw new Error('smux session is closed')
    this.nextId += 2
    const stream = new SmuxStream(this, this.nextId)
    this.streams.set(stream.id, stream)
    this.writeFrame(SmuxCmd.Syn, stream.id).catch(() => undefined)
    return stream
  }

  /** Feeds incoming smux bytes, in order. A protocol error closes the session. */
  receive(data: Buffer): void {
    if (this.done) return
    this.lastReceived = this.clock.now().getTime()
    try {
      this.parser.feed(data, (frame) => this.onFrame(frame))
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)))
      return
    }
    if (!this.linkPaused && this.buffered() > this.budget) {
      this.linkPaused = true
      this.link.pause()
    }
  }

  /** Ends every stream (destroyed with `error`, if any) and stops the keepalive. */
  close(error?: Error): void {
    if (this.done) return
    this.done = true
    this.stop.abort()
    if (error) log('smux session failed: %s', error.message)
    for (const stream of this.streams.values()) stream.destroy(error)
    this.streams.clear()
    if (this.linkPaused) this.link.resume()
    this.resolveClosed(error)
  }

  /** @internal */
  writeFrame(cmd: number, sid: number, data?: Buffer): Promise<void> {
    if (this.done) return Promise.reject(new Error('smux session is closed'))
    return this.link.write(encodeSmuxFrame(cmd, sid, data))
  }

  /** @internal Writes PSH frames of at most maxFrameSize bytes; resolves when all are sent. */
  writeData(sid: number, data: Buffer): Promise<void> {
    let last: Promise<void> = Promise.resolve()
    for (let off = 0; off < data.length; off += this.maxFrameSize) {
      const sent = this.writeFrame(SmuxCmd.Psh, sid, data.subarray(off, off + this.maxFrameSize))
      if (off + this.maxFrameSize < data.length) sent.catch(() => undefined)
      last = sent
    }
    return last
  }

  /** @internal */
  forget(sid: number): void {
    this.streams.delete(sid)
    this.onReaderProgress()
  }

  /** @internal A reader consumed data: resume the link once below half the budget. */
  onReaderProgress(): void {
    if (this.linkPaused && this.buffered() <= this.budget / 2) {
      this.linkPaused = false
      this.link.resume()
    }
  }

  private onFrame(frame: SmuxFrame): void {
    switch (frame.cmd) {
      case SmuxCmd.Psh: {
        const stream = this.streams.get(frame.sid)
        if (stream) stream.onRemoteData(frame.data)
        break
      }
      case SmuxCmd.Fin: {
        const stream = this.streams.get(frame.sid)
        if (stream) {
          this.streams.delete(frame.sid)
          stream.onRemoteFin()
        }
        break
      }
      case SmuxCmd.Syn:
        log('ignoring SYN for stream %d: the agent never opens streams', frame.sid)
        break
      default: // NOP
    }
  }

  private buffered(): number {
    let total = 0
    for (const stream of this.streams.values()) total += stream.readableLength
    return total
  }

  private async keepalive(): Promise<void> {
    const interval = this.options.keepaliveIntervalMs ?? 10_000
    const timeout = this.options.keepaliveTimeoutMs ?? 30_000
    while (!this.done) {
      try {
        await this.clock.sleep(interval, this.stop.signal)
      } catch {
        return
      }
      if (this.done) return
      const silent = this.clock.now().getTime() - this.lastReceived
      // smux skips the close while its own receive budget is exhausted (§13.4).
      if (silent > timeout && !this.linkPaused) {
        this.close(new Error(`smux keepalive: nothing received for ${Math.round(silent / 1000)} s`))
        return
      }
      this.writeFrame(SmuxCmd.Nop, 0).catch(() => undefined)
    }
  }
}

/**
 * One smux stream as a Duplex. Writing sends PSH frames; ending sends FIN and forgets the stream
 * (no half-close in SSM, §13.3); the agent's FIN ends the readable side.
 */
export class SmuxStream extends Duplex {
  private finSent = false
  private remoteClosed = false

  constructor(
    private readonly session: SmuxSession,
    readonly id: number,
  ) {
    super({ allowHalfOpen: true })
  }

  /** True once the agent sent FIN for this stream. */
  get closedByRemote(): boolean {
    return this.remoteClosed
  }

  /** @internal */
  onRemoteData(data: Buffer): void {
    if (!this.readableEnded && !this.destroyed) this.push(data)
  }

  /** @internal */
  onRemoteFin(): void {
    this.remoteClosed = true
    if (!this.destroyed) this.push(null)
  }

  override _read(): void {
    this.session.onReaderProgress()
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.remoteClosed || this.finSent) {
      callback() // the agent closed its side; smux refuses data after FIN
      return
    }
    this.session.writeData(this.id, chunk).then(
      () => callback(),
      (error: Error) => callback(error),
    )
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.sendFin()
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.sendFin()
    callback(error)
  }

  private sendFin(): void {
    if (!this.finSent && !this.remoteClosed) {
      this.finSent = true
      if (!this.session.isClosed)
        this.session.writeFrame(SmuxCmd.Fin, this.id).catch(() => undefined)
    }
    this.session.forget(this.id)
    // Forgotten: nothing more arrives, so the readable side ends here too.
    if (!this.readableEnded && !this.destroyed) this.push(null)
  }
}
