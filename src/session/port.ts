import type { Duplex } from 'node:stream'

import { systemClock } from '../core/clock.js'
import { debugFor } from '../core/debug.js'
import { DjenvError } from '../core/errors.js'
import {
  openChannel,
  sendBytes,
  type ChannelEnd,
  type ChannelOptions,
  type SessionTarget,
} from './channel.js'
import { decodeFlag, encodeFlag, FlagValue, PayloadType } from './frame.js'
import {
  agentAcceptsTerminateFlag,
  agentNeedsSmuxKeepalive,
  agentSupportsMux,
  HandshakeChannel,
} from './handshake.js'
import { SmuxSession, type SmuxOptions, type SmuxStream } from './smux.js'

/**
 * Port sessions (ssm-protocol.md §13): after the handshake, smux multiplexing for current agents
 * or basic mode (one TCP connection at a time) for agents ≤ 3.0.196.0; and a forwarder that keeps
 * the local side up across sessions (§15).
 */

const log = debugFor('session:port')

export interface PortSessionOptions extends ChannelOptions {
  /** The agent must send its HandshakeRequest within this time. @default 30000 */
  handshakeTimeoutMs?: number
  /** smux tuning; keepalive itself follows the agent version (§9). */
  smux?: Pick<SmuxOptions, 'keepaliveIntervalMs' | 'keepaliveTimeoutMs' | 'receiveBudget'>
  /** Non-fatal problems, e.g. Flag ConnectToPortError (§5.2). */
  onWarning?: (message: string) => void
}

export interface PortSession {
  readonly sessionId: string
  readonly mode: 'mux' | 'basic'
  readonly agentVersion: string
  /** The document's properties from the HandshakeRequest (host, portNumber, …). */
  readonly properties: Record<string, unknown>
  /** Forwards one local connection; resolves when it is over. */
  forward(socket: Duplex): Promise<void>
  /** User abort: Flag TerminateSession (§5.2), a short wait for its ack, then close. */
  close(): Promise<void>
  readonly ended: Promise<ChannelEnd>
  readonly isEnded: boolean
}

/** Opens a port-forwarding session (SSM StartSession's answer) and completes the handshake. */
export async function openPortSession(
  target: SessionTarget,
  options: PortSessionOptions = {},
): Promise<PortSession> {
  const channel = openChannel(target, options)
  const hs = new HandshakeChannel(channel, {
    sessionId: target.sessionId,
    requireHandshake: true,
    sessionTypes: ['Port'],
  })
  const clock = options.clock ?? systemClock
  const stopTimer = new AbortController()
  const timeout = clock.sleep(options.handshakeTimeoutMs ?? 30_000, stopTimer.signal).then(
    () => {
      throw new DjenvError(
        'SESSION_FAILED',
        `The agent of session ${target.sessionId} sent no handshake.`,
        'The SSM agent on the target may be stopped or unreachable.',
      )
    },
    () => new Promise<never>(() => undefined),
  )
  let result
  try {
    result = await Promise.race([hs.result, timeout])
  } catch (error) {
    hs.close()
    throw error
  } finally {
    stopTimer.abort()
  }
  if (result.properties.type !== 'LocalPortForwarding') {
    hs.close()
    throw new DjenvError(
      'SESSION_FAILED',
      `Session ${target.sessionId} is not a local port-forwarding session (type ${String(result.properties.type ?? 'absent')}).`,
      'Start it with AWS-StartPortForwardingSession or AWS-StartPortForwardingSessionToRemoteHost.',
    )
  }
  const agentVersion = result.agentVersion ?? ''
  const info = { sessionId: target.sessionId, agentVersion, properties: result.properties }
  if (agentSupportsMux(agentVersion)) return new MuxPortSession(hs, info, options)
  log('agent %s predates smux: basic mode, one connection at a time', agentVersion)
  return new BasicPortSession(hs, info, options)
}

interface Info {
  sessionId: string
  agentVersion: string
  properties: Record<string, unknown>
}

abstract class BasePortSession implements PortSession {
  abstract readonly mode: 'mux' | 'basic'
  readonly sessionId: string
  readonly agentVersion: string
  readonly properties: Record<string, unknown>
  readonly ended: Promise<ChannelEnd>
  protected failure: DjenvError | undefined
  private endedFlag = false

  constructor(
    protected readonly channel: HandshakeChannel,
    info: Info,
    protected readonly options: PortSessionOptions,
  ) {
    this.sessionId = info.sessionId
    this.agentVersion = info.agentVersion
    this.properties = info.properties
    this.ended = channel.ended.then((end) => {
      this.endedFlag = true
      return this.failure ? { kind: 'failed', error: this.failure } : end
    })
  }

  get isEnded(): boolean {
    return this.endedFlag
  }

  abstract forward(socket: Duplex): Promise<void>

  async close(): Promise<void> {
    if (this.endedFlag) return
    if (this.sendsTerminateFlag()) {
      try {
        await this.channel.send(PayloadType.Flag, encodeFlag(FlagValue.TerminateSession))
        await this.channel.drain(1000)
      } catch {
        // Already gone: nothing to tell the agent.
      }
    }
    this.channel.close()
    await this.ended
  }

  protected abstract sendsTerminateFlag(): boolean

  protected fail(error: DjenvError): void {
    this.failure ??= error
    this.channel.close()
  }
}

class MuxPortSession extends BasePortSession {
  readonly mode = 'mux'
  private readonly smux: SmuxSession

  constructor(channel: HandshakeChannel, info: Info, options: PortSessionOptions) {
    super(channel, info, options)
    this.smux = new SmuxSession(
      {
        write: (data) => sendBytes(channel, PayloadType.Output, data),
        pause: () => channel.pause(),
        resume: () => channel.resume(),
      },
      {
        ...options.smux,
        keepalive: agentNeedsSmuxKeepalive(info.agentVersion),
        clock: options.clock,
      },
    )
    channel.setReceiver((m) => {
      if (m.payloadType === PayloadType.Output) {
        this.smux.receive(m.payload)
      } else if (m.payloadType === PayloadType.Flag) {
        this.onFlag(m.payload)
      }
      return true
    })
    void this.smux.closed.then((error) => {
      if (error) {
        this.fail(
          new DjenvError(
            'SESSION_FAILED',
            `The multiplexed stream of session ${info.sessionId} broke (${error.message}).`,
            'Start a new session; report this if it happens again.',
            error,
          ),
        )
      }
    })
    void channel.ended.then((end) => {
      this.smux.close(new Error(`session ended (${end.kind})`))
    })
  }

  forward(socket: Duplex): Promise<void> {
    if (this.smux.isClosed) {
      socket.destroy()
      return Promise.reject(
        new DjenvError('SESSION_FAILED', `Session ${this.sessionId} has ended.`),
      )
    }
    const stream = this.smux.openStream()
    return pipeBoth(socket, stream)
  }

  protected sendsTerminateFlag(): boolean {
    return true
  }

  private onFlag(payload: Buffer): void {
    let flag: number
    try {
      flag = decodeFlag(payload)
    } catch {
      return
    }
    if (flag === FlagValue.ConnectToPortError) {
      this.options.onWarning?.(
        `The agent could not connect to ${String(this.properties.host ?? 'localhost')}:${String(this.properties.portNumber ?? '?')}.`,
      )
    }
  }
}

/** Joins a local socket and a smux stream; a half-close on either side ends both (§13.3). */
function pipeBoth(socket: Duplex, stream: SmuxStream): Promise<void> {
  return new Promise((resolve) => {
    socket.pipe(stream)
    stream.pipe(socket)
    socket.on('error', (error) => {
      log('local connection on stream %d failed: %s', stream.id, error.message)
      stream.destroy()
    })
    stream.on('error', () => socket.destroy())
    socket.on('close', () => {
      stream.destroy()
      resolve()
    })
    stream.on('close', () => {
      if (stream.errored) socket.destroy()
      else socket.end()
    })
  })
}

interface Waiting {
  socket: Duplex
  resolve: () => void
}

class BasicPortSession extends BasePortSession {
  readonly mode = 'basic'
  private current: Waiting | undefined
  private readonly waiting: Waiting[] = []

  constructor(channel: HandshakeChannel, info: Info, options: PortSessionOptions) {
    super(channel, info, options)
    channel.setReceiver((m) => {
      if (m.payloadType !== PayloadType.Output) return true
      const current = this.current
      if (!current) return true // left over from a connection already closed
      if (!current.socket.write(m.payload)) {
        channel.pause()
        current.socket.once('drain', () => channel.resume())
      }
      return true
    })
    void channel.ended.then(() => {
      for (const w of [...this.waiting, ...(this.current ? [this.current] : [])]) w.socket.destroy()
    })
  }

  forward(socket: Duplex): Promise<void> {
    if (this.isEnded) {
      socket.destroy()
      return Promise.reject(
        new DjenvError('SESSION_FAILED', `Session ${this.sessionId} has ended.`),
      )
    }
    socket.pause()
    return new Promise((resolve) => {
      const entry: Waiting = { socket, resolve }
      this.waiting.push(entry)
      socket.once('close', () => {
        const i = this.waiting.indexOf(entry)
        if (i >= 0) {
          this.waiting.splice(i, 1)
          resolve()
        }
      })
      this.next()
    })
  }

  protected sendsTerminateFlag(): boolean {
    return agentAcceptsTerminateFlag(this.agentVersion)
  }

  /** One connection at a time (§13.2); the next waits until the current one is over. */
  private next(): void {
    if (this.current || this.isEnded) return
    const entry = this.waiting.shift()
    if (!entry) return
    this.current = entry
    const { socket } = entry
    socket.on('data', (chunk: Buffer) => {
      socket.pause()
      sendBytes(this.channel, PayloadType.Output, chunk).then(
        () => socket.resume(),
        () => socket.destroy(),
      )
    })
    const finish = () => {
      if (this.current !== entry) return
      this.current = undefined
      this.channel
        .send(PayloadType.Flag, encodeFlag(FlagValue.DisconnectToPort))
        .catch(() => undefined)
      this.channel.resume()
      socket.destroy()
      entry.resolve()
      this.next()
    }
    socket.on('end', finish)
    socket.on('error', finish)
    socket.on('close', finish)
    socket.resume()
  }
}

export interface PortForwarderOptions extends PortSessionOptions {
  /** Starts a new session (SSM StartSession) whenever none is usable. */
  start: () => Promise<SessionTarget>
  /** Session lifecycle, for the command's output. */
  onSession?: (event: PortForwarderEvent) => void
}

export type PortForwarderEvent =
  | { type: 'opened'; sessionId: string; mode: 'mux' | 'basic' }
  | { type: 'ended'; sessionId: string; end: ChannelEnd }

/** Keeps forwarding local connections across sessions: resume first, then a new session (§15). */
export interface PortForwarder {
  forward(socket: Duplex): Promise<void>
  /** The session in use, if any. */
  readonly session: PortSession | undefined
  close(): Promise<void>
}

export function createPortForwarder(options: PortForwarderOptions): PortForwarder {
  let current: PortSession | undefined
  let opening: Promise<PortSession> | undefined
  let closed = false

  const ensure = (): Promise<PortSession> => {
    if (current && !current.isEnded) return Promise.resolve(current)
    opening ??= (async () => {
      const target = await options.start()
      const session = await openPortSession(target, options)
      current = session
      options.onSession?.({ type: 'opened', sessionId: session.sessionId, mode: session.mode })
      void session.ended.then((end) => {
        options.onSession?.({ type: 'ended', sessionId: session.sessionId, end })
      })
      return session
    })().finally(() => {
      opening = undefined
    })
    return opening
  }

  return {
    get session() {
      return current && !current.isEnded ? current : undefined
    },
    async forward(socket) {
      if (closed) {
        socket.destroy()
        throw new DjenvError('SESSION_FAILED', 'The port forwarder is closed.')
      }
      let session: PortSession
      try {
        session = await ensure()
      } catch (error) {
        socket.destroy()
        throw error instanceof DjenvError ? error : endToErrorUnknown(error)
      }
      return session.forward(socket)
    },
    async close() {
      closed = true
      const pending = opening
      if (pending) await pending.catch(() => undefined)
      await current?.close()
    },
  }
}

function endToErrorUnknown(error: unknown): DjenvError {
  return new DjenvError(
    'SESSION_FAILED',
    `Could not start a port-forwarding session (${error instanceof Error ? error.message : String(error)}).`,
    undefined,
    error,
  )
}
