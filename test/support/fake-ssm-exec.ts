/**
 * The fake agent's exec personality (ssm-protocol.md §11): the command is shlex-split and exec'd
 * without a shell under a real pty made by util-linux `script`, the way ECS Exec runs it.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { AgentIo, Personality } from './fake-ssm-agent.js'
import { PT, shlexSplit, type WireMessage } from './fake-ssm-wire.js'

const quote = (word: string): string => `'${word.split("'").join(`'"'"'`)}'`

export function execPersonality(io: AgentIo): Personality {
  let proc: ChildProcessWithoutNullStreams | undefined
  let tty: string | undefined
  let ready = false
  let stopped = false
  let dir: string | undefined
  let carry = Buffer.alloc(0)
  let chain: Promise<void> = Promise.resolve()

  const emit = (chunk: Buffer): void => {
    let buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
    // The agent never splits a UTF-8 sequence: keep an incomplete tail for the next read.
    let end = buf.length
    let i = end - 1
    while (i >= 0 && end - i <= 3 && (buf[i]! & 0xc0) === 0x80) i--
    if (i >= 0 && buf[i]! >= 0xc0) {
      const need = buf[i]! >= 0xf0 ? 4 : buf[i]! >= 0xe0 ? 3 : 2
      if (end - i < need) end = i
    }
    carry = Buffer.from(buf.subarray(end))
    buf = buf.subarray(0, end)
    for (let off = 0; off < buf.length;) {
      let cut = Math.min(off + io.chunkSize, buf.length)
      while (cut < buf.length && cut > off + 1 && (buf[cut]! & 0xc0) === 0x80) cut--
      const piece = buf.subarray(off, cut)
      // loseTailAfterExit: output lags 100 ms, and the session closes at exit without waiting.
      if (io.spec.faults?.loseTailAfterExit) setTimeout(() => io.send(PT.Output, piece), 100)
      else io.send(PT.Output, piece)
      off = cut
    }
    if (!io.writable && proc) {
      const p = proc
      p.stdout.pause()
      io.onWritable(() => p.stdout.resume())
    }
  }

  const applySize = (payload: Buffer): Promise<void> =>
    new Promise((resolve) => {
      let size: { cols?: unknown; rows?: unknown }
      try {
        size = JSON.parse(payload.toString('utf8')) as typeof size
      } catch {
        resolve()
        return
      }
      if (!tty || typeof size.cols !== 'number' || typeof size.rows !== 'number') {
        resolve()
        return
      }
      execFile('stty', ['-F', tty, 'cols', String(size.cols), 'rows', String(size.rows)], () =>
        resolve(),
      )
    })

  return {
    start() {
      const argv = shlexSplit(io.spec.command ?? '')
      if (argv.length === 0) argv.push('sh')
      dir = mkdtempSync(join(tmpdir(), 'fake-ssm-exec-'))
      const ttyFile = join(dir, 'tty')
      const inner = `tty > ${quote(ttyFile)} && exec ${argv.map(quote).join(' ')}`
      const p = spawn('script', ['-qfec', inner, '/dev/null'], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/root',
          SHELL: '/bin/sh',
          TERM: 'xterm-256color',
          LANG: 'C.UTF-8',
        },
        stdio: 'pipe',
      })
      proc = p
      p.stdin.on('error', () => undefined)
      p.stdout.on('data', emit)
      p.stderr.on('data', emit)
      p.on('close', () => {
        if (carry.length > 0) io.send(PT.Output, carry)
        io.finish('', !io.spec.faults?.loseTailAfterExit)
      })
      const startedAt = Date.now()
      const poll = () => {
        if (stopped) return
        const name = existsSync(ttyFile) ? readFileSync(ttyFile, 'utf8').trim() : ''
        if (!name) {
          setTimeout(poll, 5)
          return
        }
        tty = name
        const wait = (io.spec.notReadyMs ?? 0) - (Date.now() - startedAt)
        if (wait > 0) setTimeout(() => (ready = true), wait)
        else ready = true
      }
      poll()
    },

    input(m: WireMessage): boolean {
      if (!ready || !proc) return false // no pty yet: dropped unacked (§7.2)
      const p = proc
      if (m.payloadType === PT.Output) {
        const data = m.payload
        chain = chain.then(
          () =>
            new Promise<void>((resolve) => {
              if (p.stdin.writable) p.stdin.write(data, () => resolve())
              else resolve()
            }),
        )
      } else if (m.payloadType === PT.Size) {
        const payload = m.payload
        chain = chain.then(() => applySize(payload))
      }
      return true
    },

    stop() {
      stopped = true
      if (proc && proc.exitCode === null) proc.kill('SIGKILL')
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}
