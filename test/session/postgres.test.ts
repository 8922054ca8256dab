import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { isCi } from '../../src/core/interactive.js'
import { openPortSession, type PortSession } from '../../src/session/port.js'
import { FakeSsmAgent, type FakeAgentSession } from '../support/fake-ssm-agent.js'
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  startPostgres,
  type PostgresServer,
} from '../support/postgres.js'
import { listen, type TcpServer } from '../support/tcp.js'

const available = findPostgresBin() !== undefined
const ci = isCi(process.env)
if (!available && !ci)
  console.warn(`Skipping the PostgreSQL session tests. ${POSTGRES_INSTALL_HINT}`)

// Outside CI, missing binaries skip; in CI they fail (beforeAll throws), so a broken install
// step cannot pass unnoticed.
describe.skipIf(!available && !ci)('port forwarding to a real PostgreSQL', () => {
  let server: PostgresServer
  let agent: FakeSsmAgent
  let port: PortSession
  let local: TcpServer
  let fake: FakeAgentSession

  beforeAll(async () => {
    server = await startPostgres()
    agent = await FakeSsmAgent.start()
    const target = agent.createSession({
      personality: 'port-mux',
      target: { host: '127.0.0.1', port: server.port },
      record: false,
    })
    fake = agent.session(target.sessionId)
    port = await openPortSession(target)
    local = await listen((socket) => {
      port.forward(socket).catch(() => undefined)
    })
  })

  afterAll(async () => {
    await local?.close()
    await port?.close()
    await agent?.close()
    await server?.stop()
  })

  const client = () =>
    new pg.Client({ host: '127.0.0.1', port: local.port, user: 'djenv', database: 'postgres' })

  it(
    'serves 8 concurrent pg connections through one multiplexed session',
    { timeout: 60_000 },
    async () => {
      const clients = Array.from({ length: 8 }, client)
      await Promise.all(clients.map((c) => c.connect()))

      const results = await Promise.all(
        clients.map(async (c, i) => {
          await c.query(`create temporary table t${i} (n int, payload text)`)
          await c.query(
            `insert into t${i} select g, repeat(md5(g::text), 8) from generate_series(1, 5000) g`,
          )
          const sum = await c.query<{ sum: string; bytes: string }>(
            `select sum(n)::text as sum, sum(length(payload))::text as bytes from t${i}`,
          )
          const rows = await c.query<{ payload: string }>(`select payload from t${i} order by n`)
          const backend = await c.query<{ pid: number }>('select pg_backend_pid() as pid')
          return { sum: sum.rows[0]!, rows: rows.rows, pid: backend.rows[0]!.pid }
        }),
      )
      await Promise.all(clients.map((c) => c.end()))

      for (const r of results) {
        expect(r.sum).toEqual({ sum: String((5000 * 5001) / 2), bytes: String(5000 * 256) })
        expect(r.rows).toHaveLength(5000)
      }
      expect(new Set(results.map((r) => r.pid)).size).toBe(8) // eight real backends
      expect(port.mode).toBe('mux')
      expect(fake.violations).toEqual([])
    },
  )

  it('runs psql through the forward', async () => {
    const psql = [join(server.bin, 'psql'), '/usr/bin/psql'].find((p) => existsSync(p))
    if (!psql) throw new Error(`psql not found. ${POSTGRES_INSTALL_HINT}`)

    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        psql,
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(local.port),
          '-U',
          'djenv',
          '-d',
          'postgres',
          '-tAc',
          'select 40 + 2',
        ],
        (error, stdout, stderr) =>
          error ? reject(new Error(stderr || error.message)) : resolve(stdout),
      ),
    )

    expect(out.trim()).toBe('42')
  })
})
