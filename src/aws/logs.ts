import type {
  LiveTailSessionLogEvent,
  StartLiveTailResponseStream,
} from '@aws-sdk/client-cloudwatch-logs'

import type { Clock } from '../core/clock.js'
import { debugFor } from '../core/debug.js'
import { DjenvError } from '../core/errors.js'
import type { LogsApi } from './clients.js'
import { mapAwsError } from './errors.js'

const log = debugFor('logs')

/** One line a container wrote, as CloudWatch Logs stored it. */
export interface LogEvent {
  /** Milliseconds since the epoch, as the container wrote it. */
  timestamp: number
  /** `<service>/<container>/<taskId>` for djenv's tasks. */
  stream: string
  message: string
}

/** Which log events: one group, narrowed to some streams or a stream-name prefix. */
export interface LogSelection {
  group: string
  /** Live tail names log groups by ARN only. */
  groupArn: string
  /** Exactly these streams, e.g. a one-off task's. */
  streams?: string[]
  /** Streams whose name starts with this, e.g. `web/` for one service. */
  prefix?: string
}

/** The ARN of a log group (without the `:*` suffix live tail refuses). */
export function logGroupArn(region: string, account: string, group: string): string {
  const partition = region.startsWith('cn-')
    ? 'aws-cn'
    : region.startsWith('us-gov-')
      ? 'aws-us-gov'
      : 'aws'
  return `arn:${partition}:logs:${region}:${account}:log-group:${group}`
}

/**
 * Past events from `startTime` on (FilterLogEvents, every page), each handed over in time order.
 * Returns how many were handed over; stops early at `limit` or when `signal` aborts.
 */
export async function searchLogs(
  logs: LogsApi,
  sel: LogSelection,
  range: { startTime: number; endTime?: number },
  region: string,
  onEvent: (e: LogEvent) => void,
  o: { limit?: number; signal?: AbortSignal } = {},
): Promise<number> {
  let token: string | undefined
  let count = 0
  do {
    if (o.signal?.aborted) break
    const out = await logs
      .filterLogEvents({
        logGroupName: sel.group,
        ...(sel.streams ? { logStreamNames: sel.streams } : {}),
        ...(sel.prefix ? { logStreamNamePrefix: sel.prefix } : {}),
        startTime: range.startTime,
        ...(range.endTime === undefined ? {} : { endTime: range.endTime }),
        nextToken: token,
      })
      .catch((err: unknown) => {
        throw mapLogsError(err, sel.group, 'logs:FilterLogEvents', region)
      })
    const events = (out.events ?? [])
      .map((e) => toEvent(e.timestamp, e.logStreamName, e.message))
      .sort((a, b) => a.timestamp - b.timestamp)
    for (const e of events) {
      onEvent(e)
      count += 1
      if (o.limit !== undefined && count >= o.limit) return count
    }
    token = out.nextToken
  } while (token)
  return count
}

export interface FollowOptions {
  clock: Clock
  region: string
  /** Aborted to stop following (with `catchUp`, after one last read). */
  until: AbortSignal
  /** Aborted to stop at once, without the last read. */
  signal?: AbortSignal
  /**
   * When `until` aborts, read once more from the last line seen, so that lines written just
   * before the end (a task that stopped) are all shown even if live tail had not sent them.
   */
  catchUp?: boolean
  /** Where polling starts (live tail sees only what arrives after it starts). */
  startTime: number
  /** Polling interval. @default 2000 */
  everyMs?: number
  /** Told once when live tail cannot run and djenv polls instead. */
  onFallback?(reason: string): void
  /** Told when live tail samples events (more than it can stream). */
  onSampled?(): void
}

/**
 * Hands over new events as they arrive until `until` aborts: through Logs `StartLiveTail`
 * (a new session when one reaches its 3-hour limit), else, when live tail is refused,
 * unsupported or breaks off, by polling (`GetLogEvents` for one stream, `FilterLogEvents`
 * otherwise) from the last event seen. Returns which way it ended up following.
 */
export async function followLogs(
  logs: LogsApi,
  sel: LogSelection,
  onEvent: (e: LogEvent) => void,
  o: FollowOptions,
): Promise<'live' | 'polling'> {
  const seen = new RecentEvents()
  let last = o.startTime
  const emit = (e: LogEvent) => {
    if (!seen.add(e)) return
    last = Math.max(last, e.timestamp)
    onEvent(e)
  }
  for (;;) {
    let ended: 'ended' | 'timeout'
    try {
      ended = await liveTail(logs, sel, emit, o)
    } catch (err) {
      if (!(err instanceof LiveTailUnavailable)) throw err
      log('live tail unavailable: %s', err.message)
      o.onFallback?.(err.message)
      await poll(reader(logs, sel, emit, last, o.region), o)
      return 'polling'
    }
    if (ended === 'ended') {
      if (o.catchUp && !o.signal?.aborted) await reader(logs, sel, emit, last, o.region)()
      return 'live'
    }
    log('live tail session timed out; starting another')
  }
}

class LiveTailUnavailable extends Error {}

const END = Symbol('end')

async function liveTail(
  logs: LogsApi,
  sel: LogSelection,
  emit: (e: LogEvent) => void,
  o: FollowOptions,
): Promise<'ended' | 'timeout'> {
  const controller = new AbortController()
  let stream: AsyncIterable<StartLiveTailResponseStream> | undefined
  try {
    const out = await logs.startLiveTail(
      {
        logGroupIdentifiers: [sel.groupArn],
        ...(sel.streams ? { logStreamNames: sel.streams } : {}),
        ...(sel.prefix ? { logStreamNamePrefixes: [sel.prefix] } : {}),
      },
      { abortSignal: controller.signal },
    )
    stream = out.responseStream
  } catch (err) {
    throw new LiveTailUnavailable(reasonOf(err))
  }
  if (!stream) throw new LiveTailUnavailable('the response has no event stream')
  const it = stream[Symbol.asyncIterator]()
  const end = Promise.race([aborted(o.signal), aborted(o.until)]).then((): typeof END => END)
  try {
    for (;;) {
      const next = it.next()
      next.catch(() => undefined) // settles after we stop reading
      const item = await Promise.race([next, end])
      if (item === END) return 'ended'
      if (item.done) {
        if (o.until.aborted || o.signal?.aborted) return 'ended'
        throw new LiveTailUnavailable('the live tail session ended')
      }
      const event = item.value
      if (event.sessionUpdate) {
        if (event.sessionUpdate.sessionMetadata?.sampled) o.onSampled?.()
        for (const r of event.sessionUpdate.sessionResults ?? []) emit(fromLiveTail(r))
      } else if (event.SessionTimeoutException) {
        return 'timeout'
      } else if (event.SessionStreamingException) {
        throw new LiveTailUnavailable(
          event.SessionStreamingException.message ?? 'SessionStreamingException',
        )
      }
    }
  } catch (err) {
    if (err instanceof LiveTailUnavailable) throw err
    if ((err as { name?: string }).name === 'SessionTimeoutException') return 'timeout'
    if (o.until.aborted || o.signal?.aborted) return 'ended'
    throw new LiveTailUnavailable(reasonOf(err))
  } finally {
    controller.abort()
    void Promise.resolve(it.return?.()).catch(() => undefined)
  }
}

/**
 * Reads what arrived since the last call (since `startTime` on the first): the stream's forward
 * token with GetLogEvents for one stream, FilterLogEvents from the newest line otherwise.
 */
function reader(
  logs: LogsApi,
  sel: LogSelection,
  emit: (e: LogEvent) => void,
  startTime: number,
  region: string,
): () => Promise<void> {
  const single = sel.streams?.length === 1 ? sel.streams[0] : undefined
  let since = startTime
  let token: string | undefined
  if (single) {
    return async () => {
      for (;;) {
        const out = await logs
          .getLogEvents({
            logGroupName: sel.group,
            logStreamName: single,
            startFromHead: true,
            ...(token ? { nextToken: token } : { startTime: since }),
          })
          .catch((err: unknown) => {
            // The stream appears only once the container has written something.
            if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined
            throw mapLogsError(err, sel.group, 'logs:GetLogEvents', region)
          })
        if (!out) return
        const events = out.events ?? []
        for (const e of events) emit(toEvent(e.timestamp, single, e.message))
        const next = out.nextForwardToken
        const done = !next || next === token || events.length === 0
        if (next) token = next
        if (done) return
      }
    }
  }
  return async () => {
    await searchLogs(logs, sel, { startTime: since }, region, (e) => {
      since = Math.max(since, e.timestamp)
      emit(e)
    })
  }
}

/** Reads every `everyMs` until `until` aborts, then once more (with `catchUp`). */
async function poll(read: () => Promise<void>, o: FollowOptions): Promise<void> {
  const wake = o.signal ? AbortSignal.any([o.until, o.signal]) : o.until
  for (;;) {
    if (o.signal?.aborted) return
    if (o.until.aborted) {
      if (o.catchUp) await read()
      return
    }
    await read()
    await o.clock.sleep(o.everyMs ?? 2_000, wake).catch(() => undefined)
  }
}

/**
 * Events already handed over, so that a switch between live tail, polling and history shows
 * each line once. Live tail events carry no id: a line is its stream, time and text.
 */
class RecentEvents {
  private readonly keys = new Map<string, number>()
  private newest = 0

  add(e: LogEvent): boolean {
    const key = `${e.stream}\u0000${e.timestamp}\u0000${e.message}`
    if (this.keys.has(key)) return false
    this.keys.set(key, e.timestamp)
    this.newest = Math.max(this.newest, e.timestamp)
    if (this.keys.size > 5_000) {
      for (const [k, t] of this.keys) if (t < this.newest - 60_000) this.keys.delete(k)
    }
    return true
  }
}

function fromLiveTail(r: LiveTailSessionLogEvent): LogEvent {
  return toEvent(r.timestamp, r.logStreamName, r.message)
}

function toEvent(
  timestamp: number | undefined,
  stream: string | undefined,
  message: string | undefined,
): LogEvent {
  return {
    timestamp: timestamp ?? 0,
    stream: stream ?? '',
    message: (message ?? '').replace(/\r?\n$/, ''),
  }
}

/** Resolves when `signal` aborts; never without one. */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return
    if (signal.aborted) return resolve()
    signal.addEventListener('abort', () => resolve(), { once: true })
  })
}

function reasonOf(err: unknown): string {
  const e = err as { name?: string; message?: string }
  return e.message ? `${e.name ?? 'Error'}: ${e.message}` : String(err)
}

function mapLogsError(err: unknown, group: string, action: string, region: string): DjenvError {
  if ((err as { name?: string }).name === 'ResourceNotFoundException') {
    return new DjenvError(
      'ENV_NOT_FOUND',
      `Log group ${group} does not exist in ${region}.`,
      'Check the env name; its log group is created with the env (`djenv env create`).',
      err,
    )
  }
  return mapAwsError(err, { action, region })
}
