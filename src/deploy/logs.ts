import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { parseDuration } from '../config/duration.js'
import { followLogs, searchLogs, type LogEvent, type LogSelection } from '../aws/logs.js'
import { openAppEnv } from './app-env.js'
import type { ProjectInput } from './project.js'

export interface EnvLogsInput extends ProjectInput {
  /** The env; absent: DJENV_ENV, defaultEnv, or a pick on a terminal. */
  name?: string
  /** Only this service's (or `migrate`'s) logs; absent: every service, interleaved. */
  service?: string
  /** Go on showing new lines until Ctrl-C. */
  follow: boolean
  /** How far back: a duration (`10m`, `2h`, `1d`) or an ISO time. @default 10m */
  since: string
  /** Each line, labelled with its service and task. */
  onEvent(e: LabelledLogEvent): void
}

/** A log line with where it came from; one `--json` line. */
export interface LabelledLogEvent {
  time: string
  service: string
  /** The ECS task id (the last part of the stream name). */
  task: string
  stream: string
  message: string
}

export interface EnvLogsResult {
  env: string
  logGroup: string
  service: string | null
  since: string
  follow: boolean
  /** search: past lines only; live: live tail; polling: live tail was unavailable. */
  mode: 'search' | 'live' | 'polling'
  events: number
}

export type EnvLogsDeps = Pick<
  Deps,
  'cwd' | 'env' | 'ask' | 'terminal' | 'report' | 'clock' | 'signal'
>

/**
 * Shows an env's service logs since a time, all services interleaved and labelled unless one is
 * named; with `follow`, goes on with new lines (live tail, else polling) until Ctrl-C, which
 * ends it normally. Lines already shown are not repeated when history hands over to the tail.
 */
export async function envLogs(input: EnvLogsInput, deps: EnvLogsDeps): Promise<EnvLogsResult> {
  const now = deps.clock.now().getTime()
  const startTime = parseSince(input.since, now)
  const app = await openAppEnv(input, deps)
  if (input.service && ![...app.services, 'migrate'].includes(input.service)) {
    throw new DjenvError(
      'USAGE',
      `${app.env.name} has no service ${input.service}.`,
      `Pick one of ${[...app.services, 'migrate'].join(', ')}.`,
    )
  }
  const sel: LogSelection = {
    group: app.logGroup,
    groupArn: app.logGroupArn,
    ...(input.service ? { prefix: `${input.service}/` } : {}),
  }
  let count = 0
  const emit = (e: LogEvent) => {
    count += 1
    input.onEvent(label(e))
  }
  const result = (mode: EnvLogsResult['mode']): EnvLogsResult => ({
    env: app.env.name,
    logGroup: app.logGroup,
    service: input.service ?? null,
    since: new Date(startTime).toISOString(),
    follow: input.follow,
    mode,
    events: count,
  })
  const { aws, region } = app.project

  if (!input.follow) {
    await searchLogs(aws.logs, sel, { startTime, endTime: now }, region, emit, {
      signal: deps.signal,
    })
    return result('search')
  }

  // Start the tail first and hold what it brings while the history prints, so nothing falls in
  // between; the tail's copy of a line the history already showed is dropped.
  const shown = new Set<string>()
  let held: LogEvent[] | undefined = []
  const following = followLogs(
    aws.logs,
    sel,
    (e) => {
      if (held) held.push(e)
      else if (!shown.has(key(e))) emit(e)
    },
    {
      clock: deps.clock,
      region,
      until: deps.signal,
      startTime: now,
      onFallback: (reason) =>
        deps.report.info(`Live tail unavailable (${reason}); polling every 2 s`),
      onSampled: once(() =>
        deps.report.warn('Live tail is sampling: more lines arrive than it streams.'),
      ),
    },
  )
  const settled = following.then(
    (mode) => ({ mode }),
    (err: unknown) => ({ err }),
  )
  await searchLogs(
    aws.logs,
    sel,
    { startTime, endTime: now },
    region,
    (e) => {
      shown.add(key(e))
      emit(e)
    },
    { signal: deps.signal },
  )
  for (const e of held ?? []) if (!shown.has(key(e))) emit(e)
  held = undefined
  const end = await settled
  if ('err' in end) throw end.err
  return result(end.mode)
}

/** `10m` → that long before `now`; an ISO time as given. */
export function parseSince(since: string, now: number): number {
  const ms = parseDuration(since)
  if (ms !== undefined) return now - ms
  const at = Date.parse(since)
  if (/^\d{4}-\d{2}-\d{2}/.test(since) && !Number.isNaN(at)) return at
  throw new DjenvError(
    'USAGE',
    `--since ${since} is neither a duration nor a time.`,
    'Use a duration such as 10m, 2h or 1d, or an ISO time such as 2026-11-20T09:00:00Z.',
  )
}

/** Streams are `<service>/<container>/<taskId>` (the awslogs prefix is the service). */
function label(e: LogEvent): LabelledLogEvent {
  const parts = e.stream.split('/')
  return {
    time: new Date(e.timestamp).toISOString(),
    service: parts[0] ?? e.stream,
    task: parts.length >= 3 ? (parts[parts.length - 1] ?? '') : '',
    stream: e.stream,
    message: e.message,
  }
}

function key(e: LogEvent): string {
  return `${e.stream}\u0000${e.timestamp}\u0000${e.message}`
}

function once(fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}
