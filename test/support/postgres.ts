/**
 * A throwaway PostgreSQL server on loopback for session tests (testing.md §1.6): `initdb -A trust
 * --no-sync` into a temporary directory, `pg_ctl start` on a free port, `pg_ctl stop -m fast` and
 * removal afterwards. As root (CI), both tools run as the `postgres` user through `runuser`,
 * because initdb refuses root.
 */
import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

export const POSTGRES_INSTALL_HINT =
  'Install PostgreSQL server binaries (Debian/Ubuntu: apt-get install -y postgresql).'

export interface PostgresServer {
  host: '127.0.0.1'
  port: number
  user: 'djenv'
  database: 'postgres'
  /** Directory of the binaries used, e.g. /usr/lib/postgresql/15/bin. */
  bin: string
  stop(): Promise<void>
}

/**
 * Where initdb and pg_ctl live: Debian keeps them off PATH in /usr/lib/postgresql/<major>/bin
 * (the newest major wins); otherwise any PATH directory holding both.
 */
export function findPostgresBin(): string | undefined {
  const debian = '/usr/lib/postgresql'
  const candidates: string[] = []
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((d) => /^\d+(\.\d+)?$/.test(d))
      .sort((a, b) => Number(b) - Number(a))
    candidates.push(...majors.map((m) => join(debian, m, 'bin')))
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean))
  return candidates.find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')),
  )
}

function run(file: string, args: string[], asPostgres: boolean): Promise<string> {
  const [cmd, argv] = asPostgres
    ? ['runuser', ['-u', 'postgres', '--', file, ...args]]
    : [file, args]
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || stdout || error.message}`))
      else resolve(stdout)
    })
  })
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Starts a server; throws with the install hint when the binaries are missing. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin()
  if (!bin) throw new Error(`PostgreSQL binaries not found. ${POSTGRES_INSTALL_HINT}`)
  const asPostgres = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'djenv-pg-'))
  if (asPostgres) {
    const uid = Number(await run('id', ['-u', 'postgres'], false))
    const gid = Number(await run('id', ['-g', 'postgres'], false))
    chownSync(dir, uid, gid)
  }
  const data = join(dir, 'data')
  const pgCtl = join(bin, 'pg_ctl')
  try {
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-A', 'trust', '-U', 'djenv', '--no-sync'],
      asPostgres,
    )
    let port = 0
    for (let attempt = 0; ; attempt++) {
      port = await freePort()
      try {
        await run(
          pgCtl,
          [
            '-D',
            data,
            '-l',
            join(dir, 'log'),
            '-w',
            '-o',
            `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off`,
            'start',
          ],
          asPostgres,
        )
        break
      } catch (error) {
        if (attempt >= 2) throw error // the free port was taken meanwhile: try another
      }
    }
    return {
      host: '127.0.0.1',
      port,
      user: 'djenv',
      database: 'postgres',
      bin,
      stop: async () => {
        try {
          await run(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop'], asPostgres)
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      },
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}
