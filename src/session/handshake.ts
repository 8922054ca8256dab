import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

import { debugFor } from '../core/debug.js'
import { DjenvError } from '../core/errors.js'
import type { ChannelEnd, DataMessage, MessageChannel, Receiver } from './channel.js'
import {
  ActionStatus,
  CLIENT_VERSION,
  parseHandshakeComplete,
  parseHandshakeRequest,
  PayloadType,
  versionAbove,
  type HandshakeRequest,
  type HandshakeResponse,
  type KmsEncryptionParameters,
  type ProcessedClientAction,
  type SessionTypeParameters,
} from './frame.js'

/**
 * Session establishment (ssm-protocol.md §8–10): the handshake, version rules and KMS encryption.
 * `HandshakeChannel` wraps the reliable channel and is itself a MessageChannel: it answers the
 * agent's HandshakeRequest, holds the caller's sends until the handshake is over (so the
 * HandshakeResponse keeps its place in the sequence) and, under KMS, encrypts and decrypts data.
 */

const log = debugFor('session:handshake')

/** smux port mode (§9): AgentVersion > 3.0.196.0. Unparsable versions count as old. */
export function agentSupportsMux(agentVersion: string): boolean {
  return versionAbove(agentVersion, '3.0.196.0')
}

/** smux keepalive stays on for AgentVersion ≤ 3.1.1511.0 (§9). */
export function agentNeedsSmuxKeepalive(agentVersion: string): boolean {
  return !versionAbove(agentVersion, '3.1.1511.0')
}

/** Flag TerminateSession in basic mode (§5.2): AgentVersion > 2.3.722.0. */
export function agentAcceptsTerminateFlag(agentVersion: string): boolean {
  return versionAbove(agentVersion, '2.3.722.0')
}

/** What `kms:GenerateDataKey` needs (§10). */
export interface KmsDataKeyRequest {
  keyId: string
  numberOfBytes: number
  encryptionContext: Record<string, string>
}

/** `kms:GenerateDataKey`'s answer. */
export interface KmsDataKey {
  plaintext: Uint8Array
  ciphertextBlob: Uint8Array
}

export type KmsDataKeyGenerator = (request: KmsDataKeyRequest) => Promise<KmsDataKey>

export interface HandshakeOptions {
  sessionId: string
  /** The agent's identity for the KMS context: `i-…` or `ecs:<cluster>_<taskId>_<runtimeId>`. */
  targetId?: string
  /** Enables KMS-encrypted sessions; without it djenv answers Unsupported (§10). */
  generateDataKey?: KmsDataKeyGenerator
  /** Port sessions always handshake; exec lets the first message decide (§8.2). */
  requireHandshake: boolean
  /** SessionTypes the caller serves; any other is answered Unsupported. */
  sessionTypes: readonly string[]
  /** @default CLIENT_VERSION */
  clientVersion?: string
}

export interface HandshakeResult {
  /** False when the agent started with output instead of a HandshakeRequest (§8.2). */
  handshake: boolean
  agentVersion: string | undefined
  sessionType: string | undefined
  properties: Record<string, unknown>
  customerMessage: string
  encrypted: boolean
}

type State = 'first' | 'handshaking' | 'open' | 'failed'

interface Queued {
  payloadType: number
  payload: Buffer
  resolve: () => void
  reject: (error: Error) => void
}

const ENCRYPTED_FROM_AGENT: ReadonlySet<number> = new Set([
  PayloadType.Output,
  PayloadType.StdErr,
  PayloadType.ExitCode,
])

export class HandshakeChannel implements MessageChannel {
  readonly result: Promise<HandshakeResult>
  readonly ended: Promise<ChannelEnd>
  readonly maxPayloadSize: number

  private state: State = 'first'
  private upper: Receiver = () => false
  private queue: Queued[] = []
  private failure: DjenvError | undefined
  private resolveResult!: (r: HandshakeResult) => void
  private rejectResult!: (e: DjenvError) => void
  private agentVersion: string | undefined
  private sessionType: string | undefined
  private properties: Record<string, unknown> = {}
  private keys: { encrypt: Buffer; decrypt: Buffer } | undefined

  constructor(
    private readonly inner: MessageChannel,
    private readonly options: HandshakeOptions,
  ) {
    this.maxPayloadSize = inner.maxPayloadSize
    this.result = new Promise((resolve, reject) => {
      this.resolveResult = resolve
      this.rejectResult = reject
    })
    this.result.catch(() => undefined)
    this.ended = inner.ended.then((end) =>
      this.failure ? { kind: 'failed', error: this.failure } : end,
    )
    void this.ended.then((end) => {
      if (this.state === 'open' || this.state === 'failed') return
      this.fail(endToError(end, options.sessionId))
    })
    inner.setReceiver((m) => this.onMessage(m))
  }

  /** Exec only (§8.2): no message yet, so assume a session without handshake and start I/O. */
  assumeNoHandshake(): void {
    if (this.state === 'first') this.open(false, '')
  }

  setReceiver(receiver: Receiver): void {
    this.upper = receiver
    if (this.state === 'open') this.inner.resume()
  }

  send(payloadType: number, payload: Buffer): Promise<void> {
    if (this.state === 'failed') return Promise.reject(this.failure)
    if (this.state !== 'open') {
      return new Promise((resolve, reject) =>
        this.queue.push({ payloadType, payload, resolve, reject }),
      )
    }
    return this.inner.send(payloadType, this.seal(payloadType, payload))
  }

  pause(): void {
    this.inner.pause()
  }

  resume(): void {
    this.inner.resume()
  }

  drain(timeoutMs: number): Promise<boolean> {
    return this.inner.drain(timeoutMs)
  }

  close(): void {
    this.inner.close()
  }

  private onMessage(m: DataMessage): boolean {
    if (this.state === 'failed') return false
    if (m.payloadType === PayloadType.HandshakeRequest) {
      if (this.state === 'handshaking') return true
      if (this.state === 'open') log('HandshakeRequest after session start; answering anyway')
      let request: HandshakeRequest
      try {
        request = parseHandshakeRequest(m.payload)
      } catch (error) {
        this.fail(protocolError(this.options.sessionId, error))
        return false
      }
      this.state = 'handshaking'
      void this.answer(request)
      return true
    }
    if (this.state === 'first') {
      if (this.options.requireHandshake) {
        this.fail(
          new DjenvError(
            'SESSION_FAILED',
            `The agent of session ${this.options.sessionId} sent data instead of a handshake.`,
            'The target may run an SSM agent too old for this session type.',
          ),
        )
        return false
      }
      this.open(false, '')
      return this.deliver(m)
    }
    if (this.state === 'handshaking') {
      if (m.payloadType === PayloadType.HandshakeComplete) {
        const complete = parseHandshakeComplete(m.payload)
        this.open(true, complete.CustomerMessage)
        return true
      }
      if (m.payloadType === PayloadType.EncChallengeRequest) return this.answerChallenge(m.payload)
      return false // not ready until HandshakeComplete
    }
    return this.deliver(m)
  }

  private deliver(m: DataMessage): boolean {
    if (!this.keys || !ENCRYPTED_FROM_AGENT.has(m.payloadType)) return this.upper(m)
    let plain: Buffer
    try {
      plain = decrypt(this.keys.decrypt, m.payload)
    } catch (error) {
      this.fail(
        new DjenvError(
          'SESSION_FAILED',
          `Could not decrypt the output of session ${this.options.sessionId}.`,
          undefined,
          error,
        ),
      )
      return false
    }
    return this.upper({ ...m, payload: plain })
  }

  private async answer(request: HandshakeRequest): Promise<void> {
    this.agentVersion = request.AgentVersion
    const processed: ProcessedClientAction[] = []
    let problem: DjenvError | undefined
    for (const action of request.RequestedClientActions) {
      if (action.ActionType === 'SessionType') {
        const p = (action.ActionParameters ?? {}) as Partial<SessionTypeParameters>
        this.sessionType = typeof p.SessionType === 'string' ? p.SessionType : undefined
        this.properties = isRecord(p.Properties) ? p.Properties : {}
        if (this.sessionType && this.options.sessionTypes.includes(this.sessionType)) {
          processed.push(success('SessionType', null))
        } else {
          const error = `djenv does not support session type ${this.sessionType ?? '(none)'} here`
          processed.push(refusal('SessionType', ActionStatus.Unsupported, error))
          problem ??= new DjenvError(
            'SESSION_FAILED',
            `Session ${this.options.sessionId} is of type ${this.sessionType ?? '(none)'}, which djenv cannot use here.`,
          )
        }
      } else if (action.ActionType === 'KMSEncryption') {
        const outcome = await this.kms((action.ActionParameters ?? {}) as KmsEncryptionParameters)
        processed.push(outcome.action)
        problem ??= outcome.problem
      } else {
        processed.push(refusal(action.ActionType, ActionStatus.Unsupported, 'unsupported action'))
        problem ??= new DjenvError(
          'SESSION_FAILED',
          `The agent of session ${this.options.sessionId} asked for ${action.ActionType}, which djenv does not support.`,
        )
      }
    }
    if (this.state === 'failed') return
    const response: HandshakeResponse = {
      ClientVersion: this.options.clientVersion ?? CLIENT_VERSION,
      ProcessedClientActions: processed,
      Errors: null,
    }
    const sent = this.inner.send(
      PayloadType.HandshakeResponse,
      Buffer.from(JSON.stringify(response)),
    )
    sent.catch(() => undefined)
    if (problem) {
      // Our reason wins over the channel_closed the agent answers with; let the agent learn why
      // before leaving (it cancels the session on any non-Success).
      this.failure = problem
      await this.inner.drain(1000)
      this.fail(problem)
    }
  }

  private async kms(
    p: KmsEncryptionParameters,
  ): Promise<{ action: ProcessedClientAction; problem?: DjenvError }> {
    const setting =
      'ECS executeCommandConfiguration.kmsKeyId (or kmsKeyId of the SSM-SessionManagerRunShell document)'
    if (!this.options.generateDataKey) {
      return {
        action: refusal('KMSEncryption', ActionStatus.Unsupported, 'KMS encryption unsupported'),
        problem: new DjenvError(
          'SESSION_FAILED',
          `Session ${this.options.sessionId} requires KMS encryption, which this djenv command cannot set up.`,
          `Remove ${setting}, or use a djenv command that supports KMS-encrypted sessions.`,
        ),
      }
    }
    if (!this.options.targetId) {
      return {
        action: refusal('KMSEncryption', ActionStatus.Failed, 'target id unknown'),
        problem: new DjenvError(
          'SESSION_FAILED',
          `Session ${this.options.sessionId} requires KMS encryption (${setting}) but djenv does not know its target id.`,
        ),
      }
    }
    const encryptionContext: Record<string, string> = {
      'aws:ssm:SessionId': this.options.sessionId,
      'aws:ssm:TargetId': this.options.targetId,
    }
    if (p.Challenge !== undefined) encryptionContext['aws:ssm:RandomChallenge'] = p.Challenge
    try {
      const key = await this.options.generateDataKey({
        keyId: p.KMSKeyId,
        numberOfBytes: 64,
        encryptionContext,
      })
      const plain = Buffer.from(key.plaintext)
      if (plain.length !== 64) throw new Error(`data key has ${plain.length} bytes, expected 64`)
      this.keys = { decrypt: plain.subarray(0, 32), encrypt: plain.subarray(32, 64) }
      const result: Record<string, unknown> = {
        KMSCipherTextKey: Buffer.from(key.ciphertextBlob).toString('base64'),
        KMSCipherTextHash: null,
      }
      if (p.Challenge !== undefined) result.ChallengeAcknowledgement = true
      return { action: success('KMSEncryption', result) }
    } catch (error) {
      return {
        action: refusal('KMSEncryption', ActionStatus.Failed, describe(error)),
        problem: new DjenvError(
          'SESSION_FAILED',
          `Could not get a KMS data key for session ${this.options.sessionId} (${describe(error)}).`,
          `The caller needs kms:GenerateDataKey on the key set in ${setting}.`,
          error,
        ),
      }
    }
  }

  private answerChallenge(payload: Buffer): boolean {
    if (!this.keys) {
      this.fail(
        new DjenvError(
          'SESSION_FAILED',
          `The agent of session ${this.options.sessionId} sent a KMS challenge without a KMS handshake.`,
        ),
      )
      return false
    }
    try {
      const challenge = JSON.parse(payload.toString('utf8')) as { Challenge?: unknown }
      if (typeof challenge.Challenge !== 'string') throw new Error('no Challenge')
      const plain = decrypt(this.keys.decrypt, Buffer.from(challenge.Challenge, 'base64'))
      const answer = encrypt(this.keys.encrypt, plain).toString('base64')
      this.inner
        .send(PayloadType.EncChallengeResponse, Buffer.from(JSON.stringify({ Challenge: answer })))
        .catch(() => undefined)
      return true
    } catch (error) {
      this.fail(
        new DjenvError(
          'SESSION_FAILED',
          `Could not answer the KMS challenge of session ${this.options.sessionId}.`,
          undefined,
          error,
        ),
      )
      return false
    }
  }

  private open(handshake: boolean, customerMessage: string): void {
    this.state = 'open'
    const queued = this.queue
    this.queue = []
    for (const q of queued) {
      this.inner.send(q.payloadType, this.seal(q.payloadType, q.payload)).then(q.resolve, q.reject)
    }
    this.resolveResult({
      handshake,
      agentVersion: this.agentVersion,
      sessionType: this.sessionType,
      properties: this.properties,
      customerMessage,
      encrypted: this.keys !== undefined,
    })
  }

  private seal(payloadType: number, payload: Buffer): Buffer {
    return this.keys && payloadType === PayloadType.Output
      ? encrypt(this.keys.encrypt, payload)
      : payload
  }

  private fail(error: DjenvError): void {
    if (this.state === 'failed') return
    this.state = 'failed'
    this.failure ??= error
    for (const q of this.queue) q.reject(error)
    this.queue = []
    this.rejectResult(error)
    this.inner.close()
  }
}

/** AES-256-GCM as §10 frames it: nonce(12) ‖ ciphertext ‖ tag(16), no AAD. */
export function encrypt(key: Buffer, plaintext: Buffer): Buffer {
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([nonce, body, cipher.getAuthTag()])
}

export function decrypt(key: Buffer, data: Buffer): Buffer {
  if (data.length < 28) throw new Error('ciphertext too short')
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12))
  decipher.setAuthTag(data.subarray(data.length - 16))
  return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()])
}

function success(actionType: string, result: unknown): ProcessedClientAction {
  return {
    ActionType: actionType,
    ActionStatus: ActionStatus.Success,
    ActionResult: result,
    Error: '',
  }
}

function refusal(actionType: string, status: number, error: string): ProcessedClientAction {
  return { ActionType: actionType, ActionStatus: status, ActionResult: null, Error: error }
}

/** Turns the way a channel ended into the error of whatever was waiting on it. */
export function endToError(end: ChannelEnd, sessionId: string): DjenvError {
  if (end.kind === 'failed') return end.error
  if (end.kind === 'channel-closed') {
    return new DjenvError(
      'SESSION_FAILED',
      end.output
        ? `Session ${sessionId} was closed: ${end.output}`
        : `Session ${sessionId} was closed before it started.`,
    )
  }
  return new DjenvError('SESSION_FAILED', `Session ${sessionId} was closed.`)
}

function protocolError(sessionId: string, error: unknown): DjenvError {
  return new DjenvError(
    'SESSION_FAILED',
    `The agent of session ${sessionId} broke the Session Manager protocol (${describe(error)}).`,
    undefined,
    error,
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
