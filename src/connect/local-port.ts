import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:net'

import { DjenvError } from '../core/errors.js'

/** First default local port per kind of target; each env adds an offset below 500. */
export const LOCAL_PORT_BASES = { db: 15432, redis: 16379, custom: 17000 } as const

/**
 * The default local port of a forward: stable per project, env and kind of target, so a DBeaver
 * connection saved once keeps working (db 15432–15931, redis 16379–16878, other 17000–17499).
 */
export function defaultLocalPort(
  project: string,
  env: string,
  kind: keyof typeof LOCAL_PORT_BASES,
): number {
  const digest = createHash('sha256').update(`${project}/${env}`).digest()
  return LOCAL_PORT_BASES[kind] + (digest.readUInt32BE(0) % 500)
}

/** Listens on `bind:port`; a port in use is PORT_IN_USE (exit 2) naming a free one to use. */
export async function listenLocal(bind: string, port: number): Promise<Server> {
  const server = createServer({ pauseOnConnect: false })
  try {
    await listenOn(server, bind, port)
    return server
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const free = await freePort(bind).catch(() => undefined)
      throw new DjenvError(
        'PORT_IN_USE',
        code === 'EACCES'
          ? `djenv may not listen on ${bind}:${port}.`
          : `Port ${port} on ${bind} is already in use (another forward, or a local PostgreSQL?).`,
        `Pass another port, e.g. --local-port ${free ?? port + 1}.`,
        err,
      )
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new DjenvError(
        'USAGE',
        `Cannot listen on ${bind}: no such local address.`,
        'Pass an address of this machine with --bind, e.g. 127.0.0.1.',
        err,
      )
    }
    throw err
  }
}

function listenOn(server: Server, bind: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, bind, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

async function freePort(bind: string): Promise<number> {
  const probe = createServer()
  await listenOn(probe, bind, 0)
  const address = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}
