#!/usr/bin/env node
// Times a command as a whole process: one warm-up, then N runs; prints min / median / max of
// wall time and peak RSS (from /usr/bin/time when present). Usage:
//   node bench/measure.mjs [--runs N] [--label TEXT] -- COMMAND [ARG...]
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'

const argv = process.argv.slice(2)
const sep = argv.indexOf('--')
if (sep < 0 || sep === argv.length - 1) {
  console.error('usage: node bench/measure.mjs [--runs N] [--label TEXT] -- COMMAND [ARG...]')
  process.exit(2)
}
const opts = argv.slice(0, sep)
const command = argv.slice(sep + 1)
const runs = Number(opts[opts.indexOf('--runs') + 1] ?? 10) || 10
const label = opts.includes('--label') ? opts[opts.indexOf('--label') + 1] : command.join(' ')
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const dir = mkdtempSync(join(tmpdir(), 'djenv-bench-'))

function once() {
  const out = join(dir, 'time.txt')
  const [file, args] = timeBin ? [timeBin, ['-f', '%M', '-o', out, ...command]] : [command[0], command.slice(1)]
  const started = process.hrtime.bigint()
  const run = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  const wall = Number(process.hrtime.bigint() - started) / 1e9
  if (run.status !== 0) {
    console.error(`${label}: exited ${run.status}\n${run.stderr}`)
    process.exit(1)
  }
  const rssKiB = timeBin ? Number(readFileSync(out, 'utf8').trim().split('\n').pop()) : NaN
  return { wall, rssMiB: rssKiB / 1024 }
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
  return { min: s[0], median, max: s[s.length - 1] }
}

once() // warm-up: file cache, compile cache
const samples = Array.from({ length: runs }, once)
rmSync(dir, { recursive: true, force: true })
const wall = stats(samples.map((s) => s.wall))
const rss = stats(samples.map((s) => s.rssMiB))
const fmt = (x, unit, digits) => (Number.isFinite(x) ? `${x.toFixed(digits)}${unit}` : 'n/a')
console.log(
  `${label}\n  wall  min ${fmt(wall.min, ' s', 3)}  median ${fmt(wall.median, ' s', 3)}  max ${fmt(wall.max, ' s', 3)}\n` +
    `  rss   min ${fmt(rss.min, ' MiB', 0)}  median ${fmt(rss.median, ' MiB', 0)}  max ${fmt(rss.max, ' MiB', 0)}\n` +
    `  (${runs} runs after a warm-up; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; node ${process.version})`,
)
