/** Loopback TCP helpers for session tests: servers on port 0, clients, byte checksums. */
import { createHash, randomBytes } from 'node:crypto'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

export interface TcpServer {
  port: number
  /** Sockets accepted so far. */
  accepted: number
  close(): Promise<void>
}

export async function listen(onSocket: (socket: Socket) => void): Promise<TcpServer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    result.accepted++
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    onSocket(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const result: TcpServer = {
    port: (server.address() as AddressInfo).port,
    accepted: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  return result
}

/** Echoes every byte back. */
export function startEchoServer(): Promise<TcpServer> {
  return listen((socket) => socket.pipe(socket))
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = await listen(() => undefined)
  await s.close()
  return s.port
}

export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

/**
 * Writes `total` random bytes and reads the same number back, hashing both sides as they go
 * (nothing held in memory). Resolves with both digests.
 */
export function roundTrip(
  socket: Socket,
  total: number,
  chunk = 64 * 1024,
): Promise<{ sent: string; received: string }> {
  return new Promise((resolve, reject) => {
    const sentHash = createHash('sha256')
    const receivedHash = createHash('sha256')
    let received = 0
    let sent = 0
    socket.on('data', (data: Buffer) => {
      receivedHash.update(data)
      received += data.length
      if (received >= total) {
        socket.end()
        resolve({ sent: sentHash.digest('hex'), received: receivedHash.digest('hex') })
      }
    })
    socket.on('error', reject)
    socket.on('close', () => {
      if (received < total) reject(new Error(`connection closed after ${received}/${total} bytes`))
    })
    const write = () => {
      while (sent < total) {
        const piece = randomBytes(Math.min(chunk, total - sent))
        sentHash.update(piece)
        sent += piece.length
        if (!socket.write(piece)) {
          socket.once('drain', write)
          return
        }
      }
    }
    write()
  })
}

/** Reads until the peer closes; resolves with everything received. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    socket.on('data', (d: Buffer) => parts.push(d))
    socket.on('end', () => resolve(Buffer.concat(parts)))
    socket.on('error', reject)
  })
}
