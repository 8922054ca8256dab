/**
 * A hand-driven Session Manager endpoint for channel-level tests: the test decides every frame
 * the "agent" sends and inspects every frame the client sends (decoded with the fake agent's own
 * codec, not djenv's).
 */
import type { AddressInfo } from 'node:net'

import { WebSocketServer, type WebSocket } from 'ws'

import { wireAck, wireControl, wireDecode, wireEncode, type WireMessage } from './fake-ssm-wire.js'

export class PeerConnection {
  readonly frames: WireMessage[] = []
  readonly closed: Promise<void>
  private waiters: Array<{
    match: (m: WireMessage) => boolean
    resolve: (m: WireMessage) => void
  }> = []
  private seen = 0

  constructor(
    readonly ws: WebSocket,
    readonly open: Record<string, unknown>,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()))
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return
      const m = wireDecode(data)
      this.frames.push(m)
      const i = this.waiters.findIndex((w) => w.match(m))
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1)
        w!.resolve(m)
      }
    })
  }

  /** The next client frame (not yet returned by `next`) matching `match`. */
  next(match: (m: WireMessage) => boolean = () => true): Promise<WireMessage> {
    for (let i = this.seen; i < this.frames.length; i++) {
      const m = this.frames[i]!
      if (match(m)) {
        this.seen = i + 1
        return Promise.resolve(m)
      }
    }
    this.seen = this.frames.length
    return new Promise((resolve) =>
      this.waiters.push({
        match,
        resolve: (m) => {
          this.seen = this.frames.length
          resolve(m)
        },
      }),
    )
  }

  data(): WireMessage[] {
    return this.frames.filter((m) => m.type === 'input_stream_data')
  }

  acks(): WireMessage[] {
    return this.frames.filter((m) => m.type === 'acknowledge')
  }

  /** Sends output_stream_data `seq`; returns the exact bytes (for identical resends). */
  output(seq: number, payloadType: number, payload: Buffer | string, id?: string): Buffer {
    const bytes = wireEncode({
      type: 'output_stream_data',
      seq,
      flags: seq === 0 ? 1 : 0,
      payloadType,
      payload: Buffer.from(payload),
      id,
    })
    this.ws.send(bytes)
    return bytes
  }

  ack(m: WireMessage): void {
    this.ws.send(wireAck(m))
  }

  control(type: string, payload: Record<string, unknown>): void {
    this.ws.send(wireControl(type, payload))
  }

  send(bytes: Buffer | string): void {
    this.ws.send(bytes)
  }
}

export class ScriptedPeer {
  readonly connections: PeerConnection[] = []
  private waiting: Array<(c: PeerConnection) => void> = []

  private constructor(
    private readonly wss: WebSocketServer,
    readonly port: number,
  ) {}

  static async start(options: { autoPong?: boolean } = {}): Promise<ScriptedPeer> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      autoPong: options.autoPong ?? true,
    })
    await new Promise<void>((resolve) => wss.once('listening', resolve))
    const peer = new ScriptedPeer(wss, (wss.address() as AddressInfo).port)
    wss.on('connection', (ws) => {
      ws.on('error', () => undefined)
      ws.once('message', (data: Buffer) => {
        const connection = new PeerConnection(
          ws,
          JSON.parse(data.toString()) as Record<string, unknown>,
        )
        peer.connections.push(connection)
        const w = peer.waiting.shift()
        if (w) w(connection)
        else peer.backlog.push(connection)
      })
    })
    return peer
  }

  private backlog: PeerConnection[] = []

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/data-channel/s-1?role=publish_subscribe`
  }

  /** The next connection, once its OpenDataChannel text frame arrived. */
  nextConnection(): Promise<PeerConnection> {
    const ready = this.backlog.shift()
    if (ready) return Promise.resolve(ready)
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }
}
