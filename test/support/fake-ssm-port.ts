/**
 * The fake agent's port personality (ssm-protocol.md §13): smux v1 server or basic mode, chosen
 * as a real agent of its version would from the ClientVersion it received (§9), forwarding to
 * real TCP targets.
 */
import { connect, type Socket } from 'node:net'

import type { AgentIo, Personality } from './fake-ssm-agent.js'
import { agentCompare, PT, SMUX, smuxFrame, SmuxReader, type WireMessage } from './fake-ssm-wire.js'

const MAX_FRAME = 32768
const INPUT_BUDGET = 4 << 20
const OUTPUT_HIGH = 256 * 1024

interface Stream {
  sid: number
  socket?: Socket
  pending: Buffer[]
  closed: boolean
}

export function portPersonality(io: AgentIo): Personality {
  const target = io.spec.target ?? { host: '127.0.0.1', port: 1 }
  let mux = false
  let keepalive = false
  let stopped = false
  let lastClientData = Date.now()
  let nextSyn = 3
  let sentFirstData = false
  const reader = new SmuxReader()
  const streams = new Map<number, Stream>()
  const dialQueue: Stream[] = []
  let dialling = false
  const timers: NodeJS.Timeout[] = []

  // Output byte stream → 1 KiB (chunkSize) messages, coalescing frames written close together.
  const outChunks: Buffer[] = []
  let outLength = 0
  let flushScheduled = false
  const sockets = (): Socket[] =>
    mux ? [...streams.values()].flatMap((s) => (s.socket ? [s.socket] : [])) : basic ? [basic] : []

  const flushOut = (): void => {
    flushScheduled = false
    while (outLength > 0 && io.writable) {
      const size = Math.min(io.chunkSize, outLength)
      const chunk = Buffer.allocUnsafe(size)
      let off = 0
      while (off < size) {
        const c = outChunks[0]!
        const k = Math.min(c.length, size - off)
        c.copy(chunk, off, 0, k)
        off += k
        if (k === c.length) outChunks.shift()
        else outChunks[0] = c.subarray(k)
      }
      outLength -= size
      io.send(PT.Output, chunk)
    }
    if (outLength > 0) io.onWritable(scheduleFlush)
    if (outLength < OUTPUT_HIGH / 2) for (const s of sockets()) s.resume()
  }
  const scheduleFlush = (): void => {
    if (flushScheduled) return
    flushScheduled = true
    setImmediate(flushOut)
  }
  const emit = (bytes: Buffer): void => {
    if (stopped) return
    outChunks.push(bytes)
    outLength += bytes.length
    if (outLength > OUTPUT_HIGH) for (const s of sockets()) s.pause()
    scheduleFlush()
  }

  const emitData = (sid: number, data: Buffer): void => {
    for (let off = 0; off < data.length; off += MAX_FRAME) {
      emit(smuxFrame(SMUX.PSH, sid, data.subarray(off, off + MAX_FRAME)))
    }
    if (!sentFirstData) {
      sentFirstData = true
      const bad = io.spec.faults?.smuxBadFrame
      if (bad === 'version') emit(smuxFrame(SMUX.NOP, 0, Buffer.alloc(0), 2))
      if (bad === 'upd') emit(smuxFrame(SMUX.UPD, sid, Buffer.alloc(8)))
    }
  }

  const checkInputBudget = (): void => {
    const buffered = sockets().reduce((n, s) => n + s.writableLength, 0)
    if (buffered > INPUT_BUDGET) io.pauseInput()
    else if (buffered < INPUT_BUDGET / 2) io.resumeInput()
  }

  // --- mux -----------------------------------------------------------------------------------

  const killMux = (why: string): void => {
    io.violation(why)
    io.finish(`smux session failed: ${why}`, false)
  }

  const dialNext = (): void => {
    if (dialling || stopped) return
    const stream = dialQueue.shift()
    if (!stream) return
    if (stream.closed) {
      dialNext()
      return
    }
    dialling = true
    // The agent's accept loop dials serially (§13.3).
    const socket = connect({ host: target.host, port: target.port })
    socket.once('connect', () => {
      dialling = false
      if (stream.closed) {
        socket.destroy()
      } else {
        stream.socket = socket
        for (const b of stream.pending) socket.write(b)
        stream.pending = []
        socket.on('data', (data: Buffer) => emitData(stream.sid, data))
        socket.on('end', () => closeFromTarget(stream))
        socket.on('drain', checkInputBudget)
      }
      dialNext()
    })
    socket.once('error', () => {
      if (stream.socket !== socket) {
        // Dial failed: Flag ConnectToPortError (names no stream) and FIN on the stream (§5.2).
        dialling = false
        stream.closed = true
        streams.delete(stream.sid)
        io.send(PT.Flag, flag(3))
        emit(smuxFrame(SMUX.FIN, stream.sid))
        dialNext()
      } else {
        closeFromTarget(stream)
      }
    })
  }

  const closeFromTarget = (stream: Stream): void => {
    if (stream.closed) return
    stream.closed = true
    streams.delete(stream.sid)
    emit(smuxFrame(SMUX.FIN, stream.sid))
    stream.socket?.destroy()
  }

  const onMuxFrame = (f: { version: number; cmd: number; sid: number; data: Buffer }): boolean => {
    if (f.version !== 1) {
      killMux(`client smux frame with version ${f.version}`)
      return false
    }
    switch (f.cmd) {
      case SMUX.SYN: {
        if (f.sid !== nextSyn) io.violation(`SYN for stream ${f.sid}, expected ${nextSyn}`)
        nextSyn = f.sid + 2
        if (streams.has(f.sid)) io.violation(`SYN for open stream ${f.sid}`)
        const stream: Stream = { sid: f.sid, pending: [], closed: false }
        streams.set(f.sid, stream)
        dialQueue.push(stream)
        dialNext()
        return true
      }
      case SMUX.PSH: {
        const stream = streams.get(f.sid)
        if (!stream || stream.closed) return true
        const data = Buffer.from(f.data)
        if (stream.socket) stream.socket.write(data)
        else stream.pending.push(data)
        return true
      }
      case SMUX.FIN: {
        const stream = streams.get(f.sid)
        if (!stream) return true
        // No half-close: the agent closes its target connection entirely (§13.3).
        stream.closed = true
        streams.delete(f.sid)
        const socket = stream.socket
        if (socket) {
          socket.removeAllListeners('data')
          socket.end(() => socket.destroy())
        }
        return true
      }
      case SMUX.NOP:
        if (!keepalive) io.violation('smux NOP sent with keepalive off')
        return true
      case SMUX.UPD:
        killMux('client sent smux UPD (v2 only)')
        return false
      default:
        killMux(`client sent unknown smux command ${f.cmd}`)
        return false
    }
  }

  // --- basic ---------------------------------------------------------------------------------

  let basic: Socket | undefined
  let basicConnected = false
  const basicPending: Buffer[] = []

  const basicWrite = (data: Buffer): void => {
    if (!basic) {
      const socket = connect({ host: target.host, port: target.port })
      basic = socket
      basicConnected = false
      socket.once('connect', () => {
        if (basic !== socket) return
        basicConnected = true
        for (const b of basicPending.splice(0)) socket.write(b)
      })
      socket.on('data', (d: Buffer) => {
        if (basic === socket) emit(Buffer.from(d))
      })
      socket.on('drain', checkInputBudget)
      const gone = () => {
        if (basic === socket) basic = undefined
      }
      socket.on('error', gone)
      socket.on('close', gone)
    }
    if (basicConnected) basic.write(data)
    else basicPending.push(data)
  }

  return {
    start() {
      const client = io.clientVersion ?? '0.0.0'
      mux = agentCompare(io.agentVersion, '3.0.196.0') > 0 && agentCompare(client, '1.1.70') >= 0
      keepalive = !(
        agentCompare(io.agentVersion, '3.1.1511.0') > 0 && agentCompare(client, '1.2.331.0') > 0
      )
      if (mux && keepalive) {
        const interval = io.spec.keepaliveIntervalMs ?? 10_000
        const timeout = io.spec.keepaliveTimeoutMs ?? 30_000
        lastClientData = Date.now()
        timers.push(
          setInterval(() => {
            if (Date.now() - lastClientData > timeout) {
              io.finish('smux keepalive timeout', false)
              return
            }
            emit(smuxFrame(SMUX.NOP, 0))
          }, interval),
        )
      }
    },

    input(m: WireMessage): boolean {
      if (m.payloadType === PT.Flag) {
        const value = m.payload.length === 4 ? m.payload.readUInt32BE(0) : 0
        if (value === 2) io.finish('', false)
        if (value === 1 && !mux && basic) {
          basic.destroy()
          basic = undefined
        }
        return true
      }
      if (m.payloadType !== PT.Output) return true
      lastClientData = Date.now()
      if (mux) {
        for (const f of reader.push(m.payload)) {
          if (!onMuxFrame(f)) break
        }
      } else {
        basicWrite(Buffer.from(m.payload))
      }
      checkInputBudget()
      return true
    },

    stop() {
      stopped = true
      for (const t of timers) clearInterval(t)
      for (const s of streams.values()) s.socket?.destroy()
      streams.clear()
      basic?.destroy()
    },
  }
}

function flag(value: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(value, 0)
  return b
}
