import { randomBytes } from 'node:crypto'
import { Readable, Writable } from 'node:stream'

import { systemClock } from '../core/clock.js'
import {
  openChannel,
  sendBytes,
  type ChannelOptions,
  type MessageChannel,
  type SessionTarget,
} from './channel.js'
import { encodeSize, PayloadType, type TerminalSize } from './frame.js'
import {
  endToError,
  HandshakeChannel,
  type HandshakeResult,
  type KmsDataKeyGenerator,
} from './handshake.js'

/**
 * Shell sessions (ssm-protocol.md §11–12): ECS Exec's pty, Size messages, and the exit-status
 * wrapper whose private marker carries the remote exit code back through the pty.
 */

export interface WrappedCommand {
  /** What to pass as ECS ExecuteCommand `command`. */
  command: string
  /** The marker to strip from the output; give it to `openShellSession`. */
  marker: string
}

/** A fresh private marker: `__DJENV_RC_` + 32 random hex characters + `__` (§12). */
export function newExitMarker(): string {
  return `__DJENV_RC_${randomBytes(16).toString('hex')}__`
}

/** POSIX single-quoting: `'…'`, an embedded `'` as `'\''`. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * Wraps argv so the remote exit status travels back behind `marker` (§12). The agent shlex-splits
 * the result into `["sh", "-c", script]`. `trap : INT QUIT` keeps the wrapping shell alive when
 * Ctrl-C reaches the pty's process group, so the status still arrives (the child gets the default
 * handlers back, as POSIX requires for caught signals).
 */
export function wrapCommand(
  argv: readonly string[],
  marker: string = newExitMarker(),
): WrappedCommand {
  if (argv.length === 0) throw new RangeError('wrapCommand needs at least one word')
  if (!/^[A-Za-z0-9_]+$/.test(marker)) throw new RangeError(`unsafe exit marker: ${marker}`)
  const script =
    `trap : INT QUIT; ${argv.map(shellQuote).join(' ')}; r=$?; ` +
    `printf '\\n${marker}%d\\n' "$r"; exit "$r"`
  return { command: `sh -c ${shellQuote(script)}`, marker }
}

const EMPTY = Buffer.alloc(0)
const isDigit = (byte: number): boolean => byte >= 0x30 && byte <= 0x39
const CR = 0x0d
const LF = 0x0a

type Match = { kind: 'none' } | { kind: 'partial' } | { kind: 'full'; end: number; code: number }

/**
 * Streaming remover of the `\r?\n<marker><digits>\r?\n` line: output passes through at once except
 * trailing bytes that could still become a marker line, which are held until decided.
 */
export class ExitMarkerFilter {
  /** The remote exit status once the marker line went by; null while unknown. */
  exitCode: number | null = null
  private held: Buffer = EMPTY
  private afterReleasedNewline = false
  private readonly marker: Buffer

  constructor(marker: string) {
    this.marker = Buffer.from(marker, 'latin1')
  }

  /** True while bytes are held back. */
  get holding(): boolean {
    return this.held.length > 0
  }

  write(data: Buffer): Buffer {
    const buf = this.held.length > 0 ? Buffer.concat([this.held, data]) : data
    this.held = EMPTY
    const out: Buffer[] = []
    let pos = 0
    let scan = 0
    if (this.afterReleasedNewline && buf.length > 0) {
      // The newline before a marker may already have been released by `releaseNewline`.
      const m = this.matchBody(buf, 0)
      if (m.kind === 'partial') {
        this.held = Buffer.from(buf)
        return EMPTY
      }
      if (m.kind === 'full') {
        this.exitCode = m.code
        pos = scan = m.end
      }
    }
    this.afterReleasedNewline = false
    for (;;) {
      const nl = buf.indexOf(LF, scan)
      if (nl === -1) {
        if (buf.length > pos && buf[buf.length - 1] === CR) {
          out.push(buf.subarray(pos, buf.length - 1))
          this.held = Buffer.from(buf.subarray(buf.length - 1))
        } else {
          out.push(buf.subarray(pos))
        }
        break
      }
      const start = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl
      const m = this.matchBody(buf, nl + 1)
      if (m.kind === 'full') {
        out.push(buf.subarray(pos, start))
        this.exitCode = m.code
        pos = scan = m.end
        continue
      }
      if (m.kind === 'partial') {
        out.push(buf.subarray(pos, start))
        this.held = Buffer.from(buf.subarray(start))
        break
      }
      scan = nl + 1
    }
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out)
  }

  /**
   * Releases held bytes that are only a line break, so a streamed line is not delayed until the
   * next output. A marker arriving later is still recognised (then that one newline stays).
   */
  releaseNewline(): Buffer {
    const h = this.held
    const onlyBreak =
      (h.length === 1 && (h[0] === LF || h[0] === CR)) ||
      (h.length === 2 && h[0] === CR && h[1] === LF)
    if (!onlyBreak) return EMPTY
    this.held = EMPTY
    this.afterReleasedNewline = h[h.length - 1] === LF
    return h
  }

  /** The end of output: whatever is still held was not a marker. */
  end(): Buffer {
    const h = this.held
    this.held = EMPTY
    return h
  }

  /** Matches `<marker><digits>\r?\n` at `p`. */
  private matchBody(buf: Buffer, p: number): Match {
    const m = this.marker
    const n = Math.min(m.length, buf.length - p)
    if (n < 0) return { kind: 'none' }
    if (buf.compare(m, 0, n, p, p + n) !== 0) return { kind: 'none' }
    if (n < m.length) return { kind: 'partial' }
    let q = p + m.length
    const digitsStart = q
    while (q < buf.length && isDigit(buf.readUInt8(q))) {
      q++
      if (q - digitsStart > 10) return { kind: 'none' }
    }
    if (q === buf.length) return { kind: 'partial' }
    if (q === digitsStart) return { kind: 'none' }
    const code = Number(buf.toString('latin1', digitsStart, q))
    if (buf[q] === CR) {
      q++
      if (q === buf.length) return { kind: 'partial' }
    }
    return buf[q] === LF ? { kind: 'full', end: q + 1, code } : { kind: 'none' }
  }
}

export interface ShellSessionOptions extends ChannelOptions {
  /** Initial pty size; djenv always sends one, so the pty is never 0×0 (§11). @default 80×24 */
  size?: TerminalSize
  /** The marker of `wrapCommand`; without it the exit status stays unknown. */
  marker?: string
  /** KMS-encrypted sessions (§10). */
  generateDataKey?: KmsDataKeyGenerator
  /** The agent's identity, for the KMS encryption context. */
  targetId?: string
  /**
   * With no agent message by then, assume a session without handshake and send the Size anyway
   * (§8.2: a silent command must not leave the pty 0×0). Agents that handshake send their
   * request at once, long before this. @default 1500
   */
  firstMessageGraceMs?: number
  /** How long a trailing line break may be held back while a marker could follow. @default 50 */
  markerHoldMs?: number
}

/** How a shell session ended. */
export interface ShellExit {
  /** The remote exit status, or null when unknown (no marker, §12). */
  exitCode: number | null
  /** The `channel_closed` reason, e.g. the idle-timeout text; '' when none. */
  closedOutput: string
}

export interface ShellSession {
  readonly sessionId: string
  /** Remote pty output (stdout and stderr merged, `\r\n` line ends), marker removed. */
  readonly stdout: Readable
  /** Bytes for the remote pty (raw: 0x03 is Ctrl-C). */
  readonly stdin: Writable
  /** Resolves once session I/O started (handshake done, or none was needed). */
  readonly started: Promise<HandshakeResult>
  resize(size: TerminalSize): Promise<void>
  /** Resolves after `stdout` ended; rejects with a DjenvError when the session failed. */
  readonly exit: Promise<ShellExit>
  close(): void
}

export const SHELL_SESSION_TYPES = [
  'InteractiveCommands',
  'Standard_Stream',
  'NonInteractiveCommands',
]

/** Opens an exec/shell session on a stream URL (ECS ExecuteCommand's `session`). */
export async function openShellSession(
  target: SessionTarget,
  options: ShellSessionOptions = {},
): Promise<ShellSession> {
  const channel = openChannel(target, options)
  try {
    await channel.opened
  } catch {
    throw endToError(await channel.ended, target.sessionId)
  }
  return new Shell(target.sessionId, channel, options)
}

class Shell implements ShellSession {
  readonly stdout: Readable
  readonly stdin: Writable
  readonly started: Promise<HandshakeResult>
  readonly exit: Promise<ShellExit>

  private readonly hs: HandshakeChannel
  private readonly filter: ExitMarkerFilter | undefined
  private readonly stopTimers = new AbortController()
  private holdTimer = false

  constructor(
    readonly sessionId: string,
    channel: MessageChannel,
    private readonly options: ShellSessionOptions,
  ) {
    const hs = new HandshakeChannel(channel, {
      sessionId,
      requireHandshake: false,
      sessionTypes: SHELL_SESSION_TYPES,
      generateDataKey: options.generateDataKey,
      targetId: options.targetId,
    })
    this.hs = hs
    this.started = hs.result
    this.filter = options.marker ? new ExitMarkerFilter(options.marker) : undefined
    this.stdout = new Readable({ read: () => hs.resume() })
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        sendBytes(hs, PayloadType.Output, chunk).then(() => callback(), callback)
      },
    })
    hs.setReceiver((m) => {
      if (m.payloadType === PayloadType.Output || m.payloadType === PayloadType.StdErr) {
        this.emit(this.filter ? this.filter.write(m.payload) : m.payload)
        if (this.filter?.holding) this.scheduleRelease()
      }
      return true
    })
    hs.send(PayloadType.Size, encodeSize(options.size ?? { cols: 80, rows: 24 })).catch(
      () => undefined,
    )
    void this.graceTimer()
    this.exit = hs.ended.then((end) => {
      this.stopTimers.abort()
      if (this.filter) this.emit(this.filter.end())
      this.stdout.push(null)
      if (end.kind === 'failed') throw end.error
      return {
        exitCode: this.filter?.exitCode ?? null,
        closedOutput: end.kind === 'channel-closed' ? end.output : '',
      }
    })
    this.exit.catch(() => undefined)
  }

  resize(size: TerminalSize): Promise<void> {
    return this.hs.send(PayloadType.Size, encodeSize(size))
  }

  close(): void {
    this.hs.close()
  }

  private emit(data: Buffer): void {
    if (data.length > 0 && !this.stdout.push(data)) this.hs.pause()
  }

  private async graceTimer(): Promise<void> {
    const clock = this.options.clock ?? systemClock
    try {
      await clock.sleep(this.options.firstMessageGraceMs ?? 1500, this.stopTimers.signal)
    } catch {
      return
    }
    this.hs.assumeNoHandshake()
  }

  private scheduleRelease(): void {
    if (this.holdTimer) return
    this.holdTimer = true
    const clock = this.options.clock ?? systemClock
    clock.sleep(this.options.markerHoldMs ?? 50, this.stopTimers.signal).then(
      () => {
        this.holdTimer = false
        if (this.filter) this.emit(this.filter.releaseNewline())
      },
      () => undefined,
    )
  }
}
