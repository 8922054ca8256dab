/**
 * # Fake SSM agent (MGS + agent in one WebSocket server)
 *
 * Written from ssm-protocol.md (§17 conformance checklist), not from djenv's client. It listens on
 * 127.0.0.1, port 0, and plays both Message Gateway Service and the SSM agent of one or more
 * sessions. Its codec lives in `fake-ssm-wire.ts`, independent of `src/session`.
 *
 * ## Control plane stand-ins
 * - `createSession(spec)` is ECS ExecuteCommand / SSM StartSession: it returns
 *   `{ sessionId, streamUrl: 'ws://127.0.0.1:<port>/v1/data-channel/<id>?role=publish_subscribe',
 *   tokenValue }`.
 * - `resumeSession(id)` is ssm:ResumeSession: a new token (the old one stops working), `null`
 *   when the spec says the session timed out, or a thrown error when resume is refused.
 *
 * ## Transport (§2)
 * - Accepts the upgrade on `/v1/data-channel/<sessionId>`; with `strictSigV4` it answers 403
 *   unless an `Authorization: AWS4-HMAC-SHA256 …` header is present (not verified).
 * - The first frame must be a text OpenDataChannel JSON with MessageSchemaVersion "1.0", a
 *   RequestId and the current TokenValue; ClientId and ClientVersion are optional. A wrong token
 *   (or the `rejectToken` fault) closes the socket with 1008. Each accepted socket replaces the
 *   previous one; all sequence state survives reconnects.
 * - Pings are answered, except on a connection made to hang (`hangConnection`), which then
 *   ignores everything and sends nothing.
 *
 * ## Reliability, as agent 3.3.x (§7)
 * - Output seq counts from 0 (SYN flag on seq 0); at most 100 000 unacked; every 100 ms the
 *   oldest unacked message is resent unchanged once older than the RTO (§7.4, samples measured
 *   from the last (re)send, no Karn); no resend limit. While no client is connected the agent is
 *   paused (nothing sent or resent; modelled on pause_publication) and producers stop once the
 *   output queue is full.
 * - Input: in order and ready → process, ack, drain the buffer; in order but not ready → drop
 *   unacked; ahead → ack and buffer (cap 100 000); behind → re-ack. The agent checks
 *   HeaderLength, MessageType and CreatedDate, not the digest (a bad digest is recorded as a
 *   violation instead).
 *
 * ## Personalities (§17)
 * - `exec-shell` (agent 3.3.987.0): no handshake; shlex-splits `command` (empty → `sh`) and execs
 *   it without a shell under a real pty (`script -qfec`), TERM=xterm-256color, LANG=C.UTF-8.
 *   Input is dropped unacked until the pty exists and `notReadyMs` passed. Size → `stty -F` on
 *   the pty; output split on UTF-8 boundaries; on exit waits ≤ 2 s for acks, then channel_closed.
 * - `exec-shell-handshake`: the same after an InteractiveCommands handshake.
 * - `exec-kms`: handshake with KMSEncryption (with or without `Challenge`), data key checked
 *   against `FakeKms` with the §10 encryption context, EncChallenge exchange, then encrypted
 *   Output both ways. Any non-Success action cancels the session with a reason.
 * - `port-mux` (3.3.987.0), `port-mux-keepalive` (3.1.0.0), `port-basic` (3.0.0.0): Port
 *   handshake (`LocalPortForwarding`, host/portNumber of `target`); the mode is derived from the
 *   agent version and the ClientVersion received in the HandshakeResponse (§9). Mux: smux v1
 *   server, serial dialling per SYN, dial failure → Flag 3 + FIN, target EOF → FIN, client FIN →
 *   target closed; keepalive NOPs and a silence watchdog when keepalive is on. Basic: raw bytes
 *   to one target connection, Flag 1 closes it (redial on next data). Flag 2 ends the session.
 *   No handshake answer within `handshakeTimeoutMs` (15 s) → channel_closed.
 *
 * ## Faults (per session, see `Faults`)
 * Drop the first N client data messages; delay acks; duplicate, reorder, gap, corrupt (digest or
 * PayloadLength) output on first transmission only; re-chunk output (1 B, 7 B, 1 KiB…); noise
 * frames (publication messages, agent_session_state, unknown type, a text frame); reject the
 * token; close with 1000 or drop TCP after N output messages; never handshake, delay
 * HandshakeComplete; bad smux frames; lose the exec output tail.
 *
 * ## Recording and conformance
 * Every frame is recorded (payload kept up to 256 bytes) unless `record: false`. Online checks
 * collect `violations`: client seq from 0 without gaps, no empty payloads, flags 0 on input,
 * acks with seq 0 / flags 3 / PT 0 / §6.1 JSON, valid digests, Size and Flag payloads readable
 * (never encrypted), HandshakeResponse as the client's seq 0, smux version 1, SYN ids 3, 5, 7…,
 * no NOP with keepalive off, no UPD.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

import { WebSocketServer, type WebSocket } from 'ws'

import { execPersonality } from './fake-ssm-exec.js'
import { portPersonality } from './fake-ssm-port.js'
import {
  FakeKms,
  gcmOpen,
  gcmSeal,
  PT,
  wireAck,
  wireControl,
  wireDecode,
  wireEncode,
  wireProblems,
  type WireMessage,
} from './fake-ssm-wire.js'

export type PersonalityName =
  | 'exec-shell'
  | 'exec-shell-handshake'
  | 'exec-kms'
  | 'port-mux'
  | 'port-mux-keepalive'
  | 'port-basic'

const AGENT_VERSION: Record<PersonalityName, string> = {
  'exec-shell': '3.3.987.0',
  'exec-shell-handshake': '3.3.987.0',
  'exec-kms': '3.3.987.0',
  'port-mux': '3.3.987.0',
  'port-mux-keepalive': '3.1.0.0',
  'port-basic': '3.0.0.0',
}

export interface Faults {
  /** The first N client data messages to arrive are dropped unacked. */
  dropFirstInput?: number
  /** Every ack to client data leaves this much later. */
  delayAcksMs?: number
  /** Output messages (first transmission) sent twice. */
  duplicateOutput?: boolean
  /** Consecutive output messages swapped pairwise on first transmission. */
  reorderOutput?: boolean
  /** Output seqs not transmitted the first time (recovered by retransmission). */
  gapOutput?: number[]
  /** Output seqs first sent with a wrong digest. */
  corruptDigest?: number[]
  /** Output seqs first sent with a wrong PayloadLength. */
  wrongPayloadLength?: number[]
  /** Output payload size; the agent reads 1 KiB (§13.3). @default 1024 */
  outputChunkSize?: number
  /** Close at OpenDataChannel with 1008 whatever the token. */
  rejectToken?: boolean
  /** After this many output messages, close with 1000 Bye ('bye') or drop TCP ('drop'). Once. */
  closeAfterOutput?: { messages: number; mode: 'bye' | 'drop' }
  /** Publication messages, agent_session_state, an unknown type and a text frame at start. */
  noise?: boolean
  /** 'never': no HandshakeRequest. */
  handshake?: 'never'
  /** Delay before HandshakeComplete. */
  handshakeCompleteDelayMs?: number
  /** A bad smux frame after the first data sent to the client. */
  smuxBadFrame?: 'version' | 'upd'
  /** Exec: output lags 100 ms and channel_closed follows the exit at once: the tail is lost. */
  loseTailAfterExit?: boolean
}

export interface FakeSessionSpec {
  personality: PersonalityName
  /** Exec: ECS ExecuteCommand `command`. */
  command?: string
  /** Port: the document's host and portNumber. */
  target?: { host: string; port: number }
  /** Overrides the personality's AgentVersion. */
  agentVersion?: string
  /** Exec: input not ready for this long after the client connected. */
  notReadyMs?: number
  /** exec-kms: the KMS key and whether the request carries a Challenge. */
  kms?: { keyId?: string; challenge?: boolean }
  /** The agent's identity for the KMS context. @default 'ecs:cluster_task_runtime' */
  targetId?: string
  faults?: Faults
  /** 'timed-out': ResumeSession returns no token; 'refused': it throws. @default 'allow' */
  resume?: 'allow' | 'timed-out' | 'refused'
  /** @default 15000 */
  handshakeTimeoutMs?: number
  /** smux keepalive (old agents): @default 10000 */
  keepaliveIntervalMs?: number
  /** @default 30000 */
  keepaliveTimeoutMs?: number
  customerMessage?: string
  /** @default true */
  record?: boolean
}

export interface RecordedFrame {
  dir: 'in' | 'out'
  kind: 'text' | 'binary'
  type: string
  seq: number
  flags: number
  payloadType: number
  length: number
  /** First transmission, a resend, or a fault-altered copy. */
  note?: 'resend' | 'duplicate' | 'corrupt' | 'gap' | 'dropped'
  payload?: Buffer
  text?: string
}

export interface SessionTargetLike {
  sessionId: string
  streamUrl: string
  tokenValue: string
}

export interface FakeAgentOptions {
  strictSigV4?: boolean
}

/** What a personality sees of its session. */
export interface AgentIo {
  readonly spec: FakeSessionSpec
  readonly agentVersion: string
  /** ClientVersion from the HandshakeResponse (undefined without handshake). */
  readonly clientVersion: string | undefined
  readonly chunkSize: number
  /** Queues one output message (PT 1 is encrypted under KMS). */
  send(payloadType: number, payload: Buffer): void
  /** The output queue has room. */
  readonly writable: boolean
  onWritable(callback: () => void): void
  pauseInput(): void
  resumeInput(): void
  /** Ends the session with channel_closed, after flushing output for ≤ 2 s when `flush`. */
  finish(output: string, flush: boolean): void
  violation(text: string): void
}

export interface Personality {
  start(): void
  /** In-order client data after the handshake; false = not ready (dropped unacked). */
  input(m: WireMessage): boolean
  stop(): void
}

const MAX_UNACKED = 100_000
const MAX_BUFFERED_INPUT = 100_000
const QUEUE_HIGH = 256
const WS_HIGH = 4 << 20

export class FakeSsmAgent {
  readonly kms: FakeKms
  private readonly sessions = new Map<string, FakeAgentSession>()

  private constructor(
    private readonly wss: WebSocketServer,
    readonly port: number,
    kms: FakeKms,
  ) {
    this.kms = kms
  }

  static async start(options: FakeAgentOptions = {}, kms = new FakeKms()): Promise<FakeSsmAgent> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      autoPong: false,
      verifyClient: options.strictSigV4
        ? (info: { req: IncomingMessage }) =>
            String(info.req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')
        : undefined,
    })
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve)
      wss.once('error', reject)
    })
    const agent = new FakeSsmAgent(wss, (wss.address() as AddressInfo).port, kms)
    wss.on('connection', (ws, req) => agent.onConnection(ws, req))
    return agent
  }

  createSession(spec: FakeSessionSpec): SessionTargetLike {
    const id = `ecs-execute-command-${randomBytes(8).toString('hex')}`
    const session = new FakeAgentSession(id, spec, this.kms)
    this.sessions.set(id, session)
    return {
      sessionId: id,
      streamUrl: `ws://127.0.0.1:${this.port}/v1/data-channel/${id}?role=publish_subscribe`,
      tokenValue: session.token,
    }
  }

  /** ssm:ResumeSession stand-in. */
  resumeSession = async (sessionId: string): Promise<string | null> => {
    const session = this.session(sessionId)
    session.resumeCalls++
    if (session.spec.resume === 'refused') throw new Error('ResumeSession refused')
    if (session.spec.resume === 'timed-out' || session.isClosed) return null
    session.token = `token-${randomUUID()}`
    return session.token
  }

  session(sessionId: string): FakeAgentSession {
    const session = this.sessions.get(sessionId)
    if (!session) throw new Error(`no fake session ${sessionId}`)
    return session
  }

  async close(): Promise<void> {
    for (const session of this.sessions.values()) session.stop()
    for (const client of this.wss.clients) client.terminate()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const match = /^\/v1\/data-channel\/([^/]+)$/.exec(url.pathname)
    const session = match ? this.sessions.get(match[1]!) : undefined
    if (!session || url.searchParams.get('role') !== 'publish_subscribe') {
      ws.close(1008, 'unknown data channel')
      return
    }
    session.accept(ws, req)
  }
}

interface Unacked {
  bytes: Buffer
  lastSent: number
}

export class FakeAgentSession implements AgentIo {
  token = `token-${randomUUID()}`
  readonly frames: RecordedFrame[] = []
  readonly violations: string[] = []
  readonly openDataChannels: Array<Record<string, unknown>> = []
  readonly sizes: Array<{ cols: number; rows: number }> = []
  readonly flags: number[] = []
  readonly agentVersion: string
  readonly chunkSize: number
  clientVersion: string | undefined
  handshakeResponse: Record<string, unknown> | undefined
  connections = 0
  resumeCalls = 0
  /** Output message transmissions that were resends. */
  resends = 0
  /** Client data messages dropped by the dropFirstInput fault. */
  droppedInput = 0
  /** Output messages the client acknowledged. */
  ackedOutput = 0

  private ws: WebSocket | undefined
  private hung: WebSocket | undefined
  private started = false
  private phase: 'new' | 'handshake' | 'ready' | 'closed' = 'new'
  private personality: Personality
  private readonly timers = new Set<NodeJS.Timeout>()

  private outSeq = 0
  private readonly outQueue: Array<{ payloadType: number; payload: Buffer }> = []
  private readonly unacked = new Map<number, Unacked>()
  private rto = { srtt: 100, rttvar: 0, rto: 200 }
  private firstTransmissions = 0
  private heldForReorder: { seq: number; bytes: Buffer } | undefined
  private writableWaiters: Array<() => void> = []

  private inExpected = 0
  private readonly inBuffer = new Map<number, WireMessage>()
  private highestClientSeq = -1
  private inputPaused = false

  private keys: { encrypt: Buffer; decrypt: Buffer } | undefined
  private kmsChallenge: Buffer | undefined
  private handshakeStarted = 0

  constructor(
    readonly id: string,
    readonly spec: FakeSessionSpec,
    private readonly kms: FakeKms,
  ) {
    this.agentVersion = spec.agentVersion ?? AGENT_VERSION[spec.personality]
    this.chunkSize = spec.faults?.outputChunkSize ?? 1024
    this.personality = spec.personality.startsWith('exec')
      ? execPersonality(this)
      : portPersonality(this)
    this.every(100, () => this.retransmit())
  }

  get isClosed(): boolean {
    return this.phase === 'closed'
  }

  /** Output messages sent and not yet acknowledged. */
  get unackedCount(): number {
    return this.unacked.size
  }

  // --- test controls ---------------------------------------------------------------------------

  /** MGS-originated channel_closed (idle timeout, max duration, TerminateSession). */
  closeChannel(output = ''): void {
    this.finish(output, false)
  }

  /** Transport loss: `bye` = close 1000 Bye; `drop` = TCP gone without a close frame. */
  dropConnection(mode: 'bye' | 'drop'): void {
    const ws = this.ws
    if (!ws) return
    this.ws = undefined
    if (mode === 'bye') ws.close(1000, 'Bye')
    else ws.terminate()
  }

  /** The current connection stays open but goes silent: no frames, no pongs. */
  hangConnection(): void {
    this.hung = this.ws
    this.ws = undefined
  }

  // --- AgentIo ---------------------------------------------------------------------------------

  get writable(): boolean {
    return this.outQueue.length < QUEUE_HIGH && this.phase !== 'closed'
  }

  onWritable(callback: () => void): void {
    this.writableWaiters.push(callback)
  }

  send(payloadType: number, payload: Buffer): void {
    if (this.phase === 'closed') return
    const sealed =
      this.keys && payloadType === PT.Output ? gcmSeal(this.keys.encrypt, payload) : payload
    this.outQueue.push({ payloadType, payload: sealed })
    this.pump()
  }

  pauseInput(): void {
    if (this.inputPaused) return
    this.inputPaused = true
    this.ws?.pause()
  }

  resumeInput(): void {
    if (!this.inputPaused) return
    this.inputPaused = false
    this.ws?.resume()
  }

  finish(output: string, flush: boolean): void {
    if (this.phase === 'closed') return
    const close = () => {
      if (this.phase === 'closed') return
      this.phase = 'closed'
      this.outQueue.length = 0
      this.sendFrame(
        wireControl('channel_closed', {
          MessageId: randomUUID(),
          CreatedDate: new Date().toISOString(),
          DestinationId: this.spec.targetId ?? 'ecs:cluster_task_runtime',
          SessionId: this.id,
          MessageType: 'channel_closed',
          SchemaVersion: 1,
          Output: output,
        }),
        'out',
      )
      this.personality.stop()
      const ws = this.ws
      this.after(200, () => {
        if (ws && ws.readyState === ws.OPEN) ws.close(1000, 'Bye')
      })
    }
    if (!flush) {
      close()
      return
    }
    const deadline = Date.now() + 2000
    const wait = () => {
      if ((this.outQueue.length === 0 && this.unacked.size === 0) || Date.now() >= deadline) close()
      else this.after(20, wait)
    }
    wait()
  }

  violation(text: string): void {
    this.violations.push(text)
  }

  stop(): void {
    if (this.phase !== 'closed') {
      this.phase = 'closed'
      this.personality.stop()
    }
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  // --- connections -----------------------------------------------------------------------------

  accept(ws: WebSocket, req: IncomingMessage): void {
    ws.on('error', () => undefined)
    ws.on('ping', (data: Buffer) => {
      if (this.hung !== ws) ws.pong(data)
    })
    ws.once('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.violation('first frame was binary, not the OpenDataChannel text frame')
        ws.close(1008, 'expected OpenDataChannel')
        return
      }
      let open: Record<string, unknown>
      try {
        open = JSON.parse(data.toString('utf8')) as Record<string, unknown>
      } catch {
        this.violation('OpenDataChannel is not JSON')
        ws.close(1008, 'bad OpenDataChannel')
        return
      }
      this.record({
        dir: 'in',
        kind: 'text',
        type: 'OpenDataChannel',
        seq: 0,
        flags: 0,
        payloadType: 0,
        length: data.length,
        text: data.toString('utf8'),
      })
      this.openDataChannels.push(open)
      if (open.MessageSchemaVersion !== '1.0') this.violation('MessageSchemaVersion is not "1.0"')
      if (typeof open.RequestId !== 'string' || !/^[0-9a-f-]{36}$/.test(open.RequestId)) {
        this.violation('RequestId is not a UUID')
      }
      if (this.spec.faults?.rejectToken || open.TokenValue !== this.token) {
        ws.close(1008, 'invalid token')
        return
      }
      void req
      this.attach(ws)
    })
  }

  private attach(ws: WebSocket): void {
    const previous = this.ws
    this.ws = ws
    if (previous && previous !== ws) previous.terminate()
    this.connections++
    if (this.inputPaused) ws.pause()
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // A socket closing with 1000 still delivers the acks already on their way; a hung one not.
      if (this.hung === ws) return
      if (!isBinary) this.violation('text frame after OpenDataChannel')
      this.onFrame(data)
    })
    ws.on('close', () => {
      if (this.ws === ws) this.ws = undefined
    })
    if (!this.started) {
      this.started = true
      if (this.spec.faults?.noise) this.sendNoise()
      this.startSession()
    }
    this.pump()
  }

  private sendNoise(): void {
    this.sendFrame(wireControl('pause_publication', {}), 'out')
    this.sendFrame(wireControl('start_publication', {}), 'out')
    this.sendFrame(
      wireControl('agent_session_state', {
        SchemaVersion: 1,
        SessionState: 'Connected',
        SessionId: this.id,
      }),
      'out',
    )
    this.sendFrame(wireControl('some_future_message', { hello: 1 }), 'out')
    this.ws?.send('this text frame is not a ClientMessage')
  }

  // --- handshake (§8) --------------------------------------------------------------------------

  private startSession(): void {
    const p = this.spec.personality
    const needsHandshake = p !== 'exec-shell'
    if (!needsHandshake) {
      this.phase = 'ready'
      this.personality.start()
      return
    }
    this.phase = 'handshake'
    if (this.spec.faults?.handshake === 'never') return
    this.handshakeStarted = Date.now()
    const actions: Array<Record<string, unknown>> = []
    if (p.startsWith('port')) {
      const t = this.spec.target ?? { host: '127.0.0.1', port: 1 }
      actions.push({
        ActionType: 'SessionType',
        ActionParameters: {
          SessionType: 'Port',
          Properties: {
            portNumber: String(t.port),
            type: 'LocalPortForwarding',
            localPortNumber: '0',
            host: t.host,
          },
        },
      })
    } else {
      actions.push({
        ActionType: 'SessionType',
        ActionParameters: {
          SessionType: 'InteractiveCommands',
          Properties: { commands: this.spec.command ?? '' },
        },
      })
    }
    if (p === 'exec-kms') {
      const params: Record<string, unknown> = {
        KMSKeyId: this.spec.kms?.keyId ?? 'arn:aws:kms:us-east-1:000000000000:key/fake',
      }
      if (this.spec.kms?.challenge !== false) {
        this.kmsChallenge = randomBytes(16)
        params.Challenge = this.kmsChallenge.toString('base64')
      }
      actions.push({ ActionType: 'KMSEncryption', ActionParameters: params })
    }
    this.send(
      PT.HandshakeRequest,
      Buffer.from(
        JSON.stringify({ AgentVersion: this.agentVersion, RequestedClientActions: actions }),
      ),
    )
    this.after(this.spec.handshakeTimeoutMs ?? 15_000, () => {
      if (this.phase === 'handshake' && this.handshakeResponse === undefined) {
        this.finish(
          'Handshake timed out. Please ensure that you have the latest version of the session manager plugin.',
          false,
        )
      }
    })
  }

  private onHandshakeResponse(m: WireMessage): void {
    if (m.seq !== 0) this.violation(`HandshakeResponse is the client's seq ${m.seq}, not 0`)
    let response: Record<string, unknown>
    try {
      response = JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>
    } catch {
      this.violation('HandshakeResponse is not JSON')
      this.finish('Handshake failed.', false)
      return
    }
    this.handshakeResponse = response
    this.clientVersion =
      typeof response.ClientVersion === 'string' ? response.ClientVersion : undefined
    const processed = Array.isArray(response.ProcessedClientActions)
      ? (response.ProcessedClientActions as Array<Record<string, unknown>>)
      : []
    const failed = processed.filter((a) => a.ActionStatus !== 1)
    if (failed.length > 0) {
      this.finish(
        `Session cancelled: client could not process ${failed.map((a) => String(a.ActionType)).join(', ')}.`,
        false,
      )
      return
    }
    const kmsAction = processed.find((a) => a.ActionType === 'KMSEncryption')
    if (this.spec.personality === 'exec-kms') {
      if (!kmsAction) {
        this.finish('Session cancelled: KMS encryption not acknowledged.', false)
        return
      }
      const result = (kmsAction.ActionResult ?? {}) as Record<string, unknown>
      const context: Record<string, string> = {
        'aws:ssm:SessionId': this.id,
        'aws:ssm:TargetId': this.spec.targetId ?? 'ecs:cluster_task_runtime',
      }
      if (this.kmsChallenge) {
        if (result.ChallengeAcknowledgement !== true) {
          this.finish('Session cancelled: KMS challenge not acknowledged.', false)
          return
        }
        context['aws:ssm:RandomChallenge'] = this.kmsChallenge.toString('base64')
      }
      let dataKey: Buffer
      try {
        dataKey = this.kms.decrypt(
          Buffer.from(String(result.KMSCipherTextKey ?? ''), 'base64'),
          context,
        )
      } catch (error) {
        this.finish(`Session cancelled: KMS decrypt failed (${(error as Error).message}).`, false)
        return
      }
      // The agent uses the halves the other way round from the client (§10).
      this.keys = { encrypt: dataKey.subarray(0, 32), decrypt: dataKey.subarray(32, 64) }
      this.expectedChallenge = randomBytes(64)
      this.send(
        PT.EncChallengeRequest,
        Buffer.from(
          JSON.stringify({
            Challenge: gcmSeal(this.keys.encrypt, this.expectedChallenge).toString('base64'),
          }),
        ),
      )
      return
    }
    this.completeHandshake()
  }

  private expectedChallenge: Buffer | undefined

  private onChallengeResponse(m: WireMessage): void {
    try {
      const body = JSON.parse(m.payload.toString('utf8')) as { Challenge: string }
      const plain = gcmOpen(this.keys!.decrypt, Buffer.from(body.Challenge, 'base64'))
      if (!this.expectedChallenge || !plain.equals(this.expectedChallenge))
        throw new Error('mismatch')
    } catch {
      this.finish('Session cancelled: KMS challenge response did not match.', false)
      return
    }
    this.completeHandshake()
  }

  private completeHandshake(): void {
    const complete = () => {
      if (this.phase !== 'handshake') return
      const message =
        this.spec.customerMessage ?? (this.keys ? 'This session is encrypted using AWS KMS.' : '')
      this.send(
        PT.HandshakeComplete,
        Buffer.from(
          JSON.stringify({
            HandshakeTimeToComplete: (Date.now() - this.handshakeStarted) * 1e6,
            CustomerMessage: message,
          }),
        ),
      )
      this.phase = 'ready'
      this.personality.start()
    }
    const delay = this.spec.faults?.handshakeCompleteDelayMs ?? 0
    if (delay > 0) this.after(delay, complete)
    else complete()
  }

  // --- frames in -------------------------------------------------------------------------------

  private onFrame(data: Buffer): void {
    let m: WireMessage
    try {
      m = wireDecode(data)
    } catch (error) {
      this.violation(`undecodable client frame: ${(error as Error).message}`)
      return
    }
    for (const p of wireProblems(m)) this.violation(`client ${m.type} seq ${m.seq}: ${p}`)
    if (m.headerLength === 0 || m.type === '' || m.created === 0) return // the agent's own checks
    if (m.type === 'acknowledge') {
      this.record({
        dir: 'in',
        kind: 'binary',
        type: m.type,
        seq: m.seq,
        flags: m.flags,
        payloadType: m.payloadType,
        length: m.payload.length,
        payload: m.payload,
      })
      this.onAck(m)
      return
    }
    if (m.type !== 'input_stream_data') {
      this.violation(`client sent ${m.type}`)
      return
    }
    const dropped = (this.spec.faults?.dropFirstInput ?? 0) > this.droppedInput
    this.record({
      dir: 'in',
      kind: 'binary',
      type: m.type,
      seq: m.seq,
      flags: m.flags,
      payloadType: m.payloadType,
      length: m.payload.length,
      payload: m.payload.length <= 256 ? m.payload : undefined,
      note: dropped ? 'dropped' : undefined,
    })
    this.checkClientData(m)
    if (dropped) {
      this.droppedInput++
      return
    }
    this.onData(m)
  }

  private checkClientData(m: WireMessage): void {
    if (m.seq > this.highestClientSeq + 1) {
      this.violation(`client seq jumped from ${this.highestClientSeq} to ${m.seq}`)
    }
    this.highestClientSeq = Math.max(this.highestClientSeq, m.seq)
    if (m.payload.length === 0) this.violation(`client seq ${m.seq} has an empty payload`)
    if (m.flags !== 0) this.violation(`client seq ${m.seq} has header flags ${m.flags}`)
    if (m.payloadType === PT.Size) {
      try {
        const size = JSON.parse(m.payload.toString('utf8')) as { cols: unknown; rows: unknown }
        if (!Number.isInteger(size.cols) || !Number.isInteger(size.rows))
          throw new Error('not integers')
      } catch {
        this.violation(`Size seq ${m.seq} is not {"cols":N,"rows":N} (encrypted?)`)
      }
    }
    if (m.payloadType === PT.Flag) {
      const v = m.payload.length === 4 ? m.payload.readUInt32BE(0) : -1
      if (v < 1 || v > 2) this.violation(`Flag seq ${m.seq} has a bad value`)
    }
  }

  private onAck(m: WireMessage): void {
    if (m.seq !== 0 || m.flags !== 3 || m.payloadType !== 0) {
      this.violation(`ack with seq ${m.seq}, flags ${m.flags}, PT ${m.payloadType}`)
    }
    let content: Record<string, unknown>
    try {
      content = JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>
    } catch {
      this.violation('ack payload is not JSON')
      return
    }
    if (content.AcknowledgedMessageType !== 'output_stream_data') {
      this.violation(`ack of ${String(content.AcknowledgedMessageType)}`)
    }
    if (typeof content.AcknowledgedMessageId !== 'string') this.violation('ack without message id')
    const seq = content.AcknowledgedMessageSequenceNumber
    if (typeof seq !== 'number') return
    const entry = this.unacked.get(seq)
    if (!entry) return
    this.unacked.delete(seq)
    this.ackedOutput++
    const sample = Date.now() - entry.lastSent
    const r = this.rto
    r.rttvar = 0.75 * r.rttvar + 0.25 * Math.abs(r.srtt - sample)
    r.srtt = 0.875 * r.srtt + 0.125 * sample
    r.rto = Math.min(1000, r.srtt + Math.max(10, 4 * r.rttvar))
    this.pump()
  }

  private onData(m: WireMessage): void {
    if (this.phase === 'closed') return
    if (m.seq < this.inExpected) {
      this.ack(m)
      return
    }
    if (m.seq > this.inExpected) {
      if (!this.inBuffer.has(m.seq) && this.inBuffer.size >= MAX_BUFFERED_INPUT) return
      this.inBuffer.set(m.seq, m)
      this.ack(m)
      return
    }
    if (!this.process(m)) return
    this.inBuffer.delete(m.seq)
    this.ack(m)
    this.inExpected++
    for (;;) {
      const next = this.inBuffer.get(this.inExpected)
      if (!next || !this.process(next)) break
      this.inBuffer.delete(this.inExpected)
      this.inExpected++
    }
  }

  private process(m: WireMessage): boolean {
    if (this.phase === 'handshake') {
      if (m.payloadType === PT.HandshakeResponse) {
        this.onHandshakeResponse(m)
        return true
      }
      if (m.payloadType === PT.EncChallengeResponse && this.keys) {
        this.onChallengeResponse(m)
        return true
      }
      return false
    }
    if (this.phase !== 'ready') return false
    let message = m
    if (this.keys && m.payloadType === PT.Output) {
      try {
        message = { ...m, payload: gcmOpen(this.keys.decrypt, m.payload) }
      } catch {
        this.violation(`client Output seq ${m.seq} does not decrypt`)
        return true
      }
    }
    if (!this.personality.input(message)) return false
    if (m.payloadType === PT.Size) {
      const size = safeJson(m.payload) as { cols?: number; rows?: number } | undefined
      if (size && typeof size.cols === 'number' && typeof size.rows === 'number') {
        this.sizes.push({ cols: size.cols, rows: size.rows })
      }
    }
    if (m.payloadType === PT.Flag && m.payload.length === 4)
      this.flags.push(m.payload.readUInt32BE(0))
    return true
  }

  private ack(m: WireMessage): void {
    const delay = this.spec.faults?.delayAcksMs ?? 0
    const send = () => this.sendFrame(wireAck(m), 'out')
    if (delay > 0) this.after(delay, send)
    else send()
  }

  // --- frames out ------------------------------------------------------------------------------

  private pump(): void {
    const ws = this.ws
    while (
      ws &&
      this.outQueue.length > 0 &&
      this.unacked.size < MAX_UNACKED &&
      ws.bufferedAmount < WS_HIGH &&
      this.phase !== 'closed'
    ) {
      const { payloadType, payload } = this.outQueue.shift()!
      const seq = this.outSeq++
      const bytes = wireEncode({
        type: 'output_stream_data',
        seq,
        flags: seq === 0 ? 1 : 0,
        payloadType,
        payload,
      })
      this.unacked.set(seq, { bytes, lastSent: Date.now() })
      this.transmitFirst(seq, bytes, payloadType)
    }
    if (this.writable && this.writableWaiters.length > 0) {
      const waiters = this.writableWaiters
      this.writableWaiters = []
      for (const w of waiters) w()
    }
    if (ws && this.outQueue.length > 0 && ws.bufferedAmount >= WS_HIGH) {
      this.after(5, () => this.pump())
    }
  }

  private transmitFirst(seq: number, bytes: Buffer, payloadType: number): void {
    const f = this.spec.faults ?? {}
    const meta = { seq, payloadType, length: bytes.length - 120 }
    if (f.gapOutput?.includes(seq)) {
      this.recordOut(meta, bytes, 'gap')
    } else if (f.corruptDigest?.includes(seq)) {
      const bad = Buffer.from(bytes)
      bad[80] = bad[80]! ^ 0xff
      this.sendBytes(bad, meta, 'corrupt')
    } else if (f.wrongPayloadLength?.includes(seq)) {
      const bad = Buffer.from(bytes)
      bad.writeUInt32BE(bad.readUInt32BE(116) + 1, 116)
      this.sendBytes(bad, meta, 'corrupt')
    } else if (f.reorderOutput) {
      const held = this.heldForReorder
      if (held) {
        this.heldForReorder = undefined
        this.sendBytes(bytes, meta)
        this.sendBytes(held.bytes, { seq: held.seq, payloadType, length: held.bytes.length - 120 })
      } else {
        this.heldForReorder = { seq, bytes }
        this.after(5, () => {
          const h = this.heldForReorder
          if (h?.seq === seq) {
            this.heldForReorder = undefined
            this.sendBytes(h.bytes, meta)
          }
        })
      }
    } else {
      this.sendBytes(bytes, meta)
    }
    if (f.duplicateOutput) this.sendBytes(bytes, meta, 'duplicate')
    this.firstTransmissions++
    const c = f.closeAfterOutput
    if (c && this.firstTransmissions === c.messages) this.dropConnection(c.mode)
  }

  private retransmit(): void {
    if (!this.ws || this.phase === 'closed') return
    const head = this.unacked.entries().next()
    if (head.done) return
    const [seq, entry] = head.value
    if (Date.now() - entry.lastSent > this.rto.rto) {
      entry.lastSent = Date.now()
      this.resends++
      this.sendBytes(
        entry.bytes,
        { seq, payloadType: entry.bytes.readUInt32BE(112), length: entry.bytes.length - 120 },
        'resend',
      )
    }
  }

  private sendBytes(
    bytes: Buffer,
    meta: { seq: number; payloadType: number; length: number },
    note?: RecordedFrame['note'],
  ): void {
    this.recordOut(meta, bytes, note)
    const ws = this.ws
    if (ws && ws.readyState === ws.OPEN) {
      this.cork(ws)
      // Refill in bursts once the socket buffer has drained well below its mark (hysteresis):
      // pumping on every completed write degrades into one tiny write per message.
      ws.send(bytes, () => {
        if (ws.bufferedAmount < WS_HIGH / 4) this.pump()
      })
    }
  }

  private recordOut(
    meta: { seq: number; payloadType: number; length: number },
    bytes: Buffer,
    note?: RecordedFrame['note'],
  ): void {
    this.record({
      dir: 'out',
      kind: 'binary',
      type: 'output_stream_data',
      seq: meta.seq,
      flags: meta.seq === 0 ? 1 : 0,
      payloadType: meta.payloadType,
      length: meta.length,
      payload: meta.length <= 256 ? bytes.subarray(120) : undefined,
      note,
    })
  }

  private sendFrame(bytes: Buffer, dir: 'out'): void {
    const m = wireDecode(bytes)
    this.record({
      dir,
      kind: 'binary',
      type: m.type,
      seq: m.seq,
      flags: m.flags,
      payloadType: m.payloadType,
      length: m.payload.length,
      payload: m.payload,
    })
    const ws = this.ws
    if (ws && ws.readyState === ws.OPEN) {
      this.cork(ws)
      ws.send(bytes)
    }
  }

  /** Batches the frames of one tick into one socket write, as a Go writer's buffer would. */
  private cork(ws: WebSocket): void {
    if (this.corked.has(ws)) return
    const socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket
    if (!socket) return
    this.corked.add(ws)
    socket.cork()
    process.nextTick(() => {
      this.corked.delete(ws)
      socket.uncork()
    })
  }

  private readonly corked = new Set<WebSocket>()

  private record(frame: RecordedFrame): void {
    if (this.spec.record !== false) this.frames.push(frame)
  }

  // --- timers ----------------------------------------------------------------------------------

  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    this.timers.add(t)
  }

  every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms)
    this.timers.add(t)
  }
}

function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'))
  } catch {
    return undefined
  }
}
