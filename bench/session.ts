// Session benchmark (not a test): djenv's native Session Manager client against the fake SSM
// agent on loopback, the agent in a child process. Reports port-forward throughput with 1 and 8
// streams (download and upload), exec round-trip latency through a real pty, and this process's
// peak RSS during a 1 GiB download. Target: ≥ 20 MB/s for one stream.
//   npx tsx bench/session.ts
// BENCH_MB (volume per run, default 200), BENCH_RUNS (default 3), BENCH_ONLY=down1,down8,up1,up8,
// exec,rss, BENCH_AGENT_CPU=1 (pin the agent with taskset), BENCH_PROF=1 (agent --cpu-prof).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Socket } from 'node:net'

import { openPortSession, openShellSession, type SessionTarget } from '../src/session/index.js'
import { connectTo, listen } from '../test/support/tcp.js'

const MB = 1_000_000
const volume = Number(process.env.BENCH_MB ?? 200) * MB

const agentArgs = [
  ...(process.env.BENCH_PROF ? ['--cpu-prof'] : []),
  '--import',
  'tsx',
  new URL('./session-agent.ts', import.meta.url).pathname,
]
const child = process.env.BENCH_AGENT_CPU
  ? spawn('taskset', ['-c', process.env.BENCH_AGENT_CPU, process.execPath, ...agentArgs], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
  : spawn(process.execPath, agentArgs, { stdio: ['pipe', 'pipe', 'inherit'] })
const replies = createInterface({ input: child.stdout })
const pending: Array<(line: string) => void> = []
replies.on('line', (line) => pending.shift()?.(line))
await new Promise<void>((resolve) => pending.push(() => resolve()))

function newSession(personality: string, command?: string): Promise<SessionTarget> {
  return new Promise((resolve) => {
    pending.push((line) => resolve(JSON.parse(line) as SessionTarget))
    child.stdin.write(`${JSON.stringify({ personality, command })}\n`)
  })
}

const block = Buffer.alloc(64 * 1024, 0xa5)

/** CPU seconds the agent process used so far (Linux /proc; 0 elsewhere). */
function childCpu(): number {
  try {
    const fields = (readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** One connection: `GET n` (download) or `PUT n` (upload); resolves when the target is done. */
function transfer(socket: Socket, verb: 'GET' | 'PUT', n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0
    socket.on('data', (d: Buffer) => (got += d.length))
    socket.on('error', reject)
    socket.on('close', () => {
      if (verb === 'GET' && got !== n) reject(new Error(`received ${got} of ${n} bytes`))
      else resolve()
    })
    socket.write(`${verb} ${n}\n`)
    if (verb === 'PUT') {
      let sent = 0
      const write = () => {
        while (sent < n) {
          const piece = n - sent >= block.length ? block : block.subarray(0, n - sent)
          sent += piece.length
          if (!socket.write(piece)) {
            socket.once('drain', write)
            return
          }
        }
      }
      write()
    }
  })
}

interface Throughput {
  mbps: number
  /** Share of one core used by this process and by the agent process during the transfer. */
  clientCpu: number
  agentCpu: number
}

async function throughput(
  streams: number,
  verb: 'GET' | 'PUT',
  total: number,
): Promise<Throughput> {
  const session = await openPortSession(await newSession('port-mux'))
  const local = await listen((s) => void session.forward(s))
  const each = Math.floor(total / streams)
  const started = process.hrtime.bigint()
  const cpuBefore = process.cpuUsage()
  const agentBefore = childCpu()
  await Promise.all(
    Array.from({ length: streams }, async () => transfer(await connectTo(local.port), verb, each)),
  )
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  const result = {
    mbps: (each * streams) / MB / seconds,
    clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    agentCpu: (childCpu() - agentBefore) / seconds,
  }
  await session.close()
  await local.close()
  return result
}

async function execLatency(rounds: number): Promise<{ p50: number; p95: number }> {
  const shell = await openShellSession(await newSession('exec-shell', 'cat'))
  let waiting: (() => void) | undefined
  shell.stdout.on('data', () => waiting?.())
  // Warm-up: the first byte waits for the pty (input is retransmitted until it exists).
  await new Promise<void>((resolve) => {
    waiting = resolve
    shell.stdin.write('x')
  })
  const samples: number[] = []
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint()
    await new Promise<void>((resolve) => {
      waiting = resolve
      shell.stdin.write('x')
    })
    waiting = undefined
    samples.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  shell.stdin.write('\n\x04') // Ctrl-D at the start of a line: cat sees EOF
  await shell.exit
  samples.sort((a, b) => a - b)
  return {
    p50: samples[Math.floor(rounds / 2)] ?? NaN,
    p95: samples[Math.floor(rounds * 0.95)] ?? NaN,
  }
}

async function peakRss(bytes: number): Promise<{ mbps: number; peak: number; before: number }> {
  global.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  const { mbps } = await throughput(1, 'GET', bytes)
  clearInterval(timer)
  return { mbps, peak: Math.max(peak, process.memoryUsage().rss), before }
}

const fmt = (n: number) => n.toFixed(1)
const pct = (n: number) => `${Math.round(n * 100)}%`
const only = process.env.BENCH_ONLY?.split(',')
const run = (name: string) => !only || only.includes(name)
const runs = Number(process.env.BENCH_RUNS ?? 3)

/** Repeats a throughput figure: loopback on a shared 2-core machine varies run to run. */
async function report(name: string, label: string, streams: number, verb: 'GET' | 'PUT') {
  if (!run(name)) return
  const results: Throughput[] = []
  for (let i = 0; i < runs; i++) results.push(await throughput(streams, verb, volume))
  results.sort((a, b) => a.mbps - b.mbps)
  const median = results[Math.floor(results.length / 2)]
  if (!median) return
  const all = results.map((r) => fmt(r.mbps)).join(' / ')
  console.log(
    `${label}: median ${fmt(median.mbps)} MB/s (runs ${all}); CPU client ${pct(median.clientCpu)}, agent ${pct(median.agentCpu)}`,
  )
}

console.log(`node ${process.version}, ${volume / MB} MB per throughput run, ${runs} runs each`)
await report('down1', 'port-forward download, 1 stream ', 1, 'GET')
await report('down8', 'port-forward download, 8 streams', 8, 'GET')
await report('up1', 'port-forward upload,   1 stream ', 1, 'PUT')
await report('up8', 'port-forward upload,   8 streams', 8, 'PUT')
if (run('exec')) {
  const latency = await execLatency(200)
  console.log(
    `exec round trip (1 byte through the pty): p50 ${fmt(latency.p50)} ms, p95 ${fmt(latency.p95)} ms`,
  )
}
if (run('rss')) {
  const rss = await peakRss(Number(process.env.BENCH_RSS_BYTES ?? 1 << 30))
  console.log(
    `1 GiB download: ${fmt(rss.mbps)} MB/s; client RSS before ${fmt(rss.before / MB)} MB, peak ${fmt(rss.peak / MB)} MB`,
  )
}
child.stdin.end()
await new Promise((resolve) => child.on('exit', resolve))
