import { hostname, userInfo } from 'node:os'

import type { Deps } from '../core/command.js'
import { debugFor } from '../core/debug.js'
import { DjenvError } from '../core/errors.js'
import type { EnvNames } from '../config/naming.js'
import type { SsmApi } from '../aws/clients.js'
import { createString, deleteParameter, parameterInfo, type ParameterInfo } from '../aws/ssm.js'

const log = debugFor('lock')

/**
 * How long a lock is trusted by default: longer than any deploy with default timeouts. An older
 * lock is taken to belong to a run that died without releasing it, and is taken over.
 */
export const ENV_LOCK_STALE_MS = 2 * 60 * 60_000

/** Slack added to a run's own time bound before its lock counts as stale. */
const STALE_MARGIN_MS = 60 * 60_000

/** What the env lock parameter holds, as a small JSON document. */
export interface EnvLock {
  /** The command holding it: `deploy-image`, `env create` or `env destroy`. */
  command: string
  /** Who runs it: the GitHub Actions run URL in a workflow, else `user@host`. */
  holder: string
  /** The holder's process id; null when the lock does not say. */
  pid: number | null
  /** When it was taken (ISO-8601). */
  since: string
  /**
   * From when another run may take it over (ISO-8601): `since` plus the longer of 2 hours and
   * the holder's own time bound plus an hour.
   */
  staleAfter: string
}

/** The env lock: `<envSsmRoot>/lock`, an SSM String parameter (infrastructure.md §9.2 step 0). */
export function envLockPath(names: Pick<EnvNames, 'envSsmRoot'>): string {
  return `${names.envSsmRoot}/lock`
}

/** Where and for what a run takes the env lock. */
export interface EnvLockTarget {
  ssm: SsmApi
  region: string
  names: Pick<EnvNames, 'env' | 'envSsmRoot'>
  /** The command taking it, e.g. `deploy-image`. */
  command: string
  /**
   * The longest the run may legitimately take (its --timeout, a stack wait), so a long run's
   * lock is not taken for stale. @default 0
   */
  expectedMs?: number
}

export type EnvLockDeps = Pick<Deps, 'env' | 'clock' | 'report'>

/**
 * Runs `work` holding the env lock, and releases the lock when `work` ends, however it ends
 * (result, error, interruption). The lock is claimed atomically with PutParameter
 * `Overwrite: false`, as priority blocks are (infrastructure.md §4.4): a lock another run holds
 * refuses the command with ENV_LOCKED before `work` starts, naming the holder; a stale one is
 * taken over with a warning. Taking it is each workflow's first step that reads env state it may
 * change, so nothing is read before the lock and acted on after it.
 */
export async function withEnvLock<T>(
  target: EnvLockTarget,
  deps: EnvLockDeps,
  work: () => Promise<T>,
): Promise<T> {
  const value = await acquire(target, deps)
  try {
    return await work()
  } finally {
    await release(target, value, deps)
  }
}

/** The env's lock, or undefined when nobody holds it. */
export async function readEnvLock(
  ssm: SsmApi,
  names: Pick<EnvNames, 'envSsmRoot'>,
  region: string,
): Promise<EnvLock | undefined> {
  const p = await parameterInfo(ssm, envLockPath(names), region)
  return p && parseEnvLock(p)
}

/** `deploy-image by alice@laptop (pid 4242) since 2026-11-20T09:55:00.000Z` */
export function describeLock(lock: EnvLock): string {
  const pid = lock.pid === null ? '' : ` (pid ${lock.pid})`
  return `${lock.command} by ${lock.holder}${pid} since ${lock.since}`
}

/**
 * Who this run is: the GitHub Actions run (its URL, so a blocked job links to the one holding
 * the env), else `user@host`.
 */
export function lockHolder(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY) {
    const server = env.GITHUB_SERVER_URL || 'https://github.com'
    const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''
    return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`
  }
  return `${env.USER || env.USERNAME || osUser()}@${hostname()}`
}

/**
 * Reads a lock parameter leniently: a lock written by hand or by another version still names
 * a holder and a time (the parameter's), so it can be reported and, once stale, taken over.
 */
export function parseEnvLock(p: Pick<ParameterInfo, 'value' | 'lastModified'>): EnvLock {
  let doc: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(p.value)
    if (parsed && typeof parsed === 'object') doc = parsed as Record<string, unknown>
  } catch {
    // Not JSON: the raw value is all there is to show.
  }
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined)
  const time = (v: unknown) =>
    typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? v : undefined
  const since = time(doc.since) ?? p.lastModified ?? new Date(0).toISOString()
  return {
    command: text(doc.command) ?? 'an unknown command',
    holder: text(doc.holder) ?? (Object.keys(doc).length ? 'unknown' : p.value.slice(0, 200)),
    pid: typeof doc.pid === 'number' ? doc.pid : null,
    since,
    staleAfter:
      time(doc.staleAfter) ?? new Date(Date.parse(since) + ENV_LOCK_STALE_MS).toISOString(),
  }
}

/** Claims the lock; returns the value written, which release compares before deleting. */
async function acquire(target: EnvLockTarget, deps: EnvLockDeps): Promise<string> {
  const { ssm, region, names } = target
  const path = envLockPath(names)
  const now = deps.clock.now()
  const lifetime = Math.max(ENV_LOCK_STALE_MS, (target.expectedMs ?? 0) + STALE_MARGIN_MS)
  const mine: EnvLock = {
    command: target.command,
    holder: lockHolder(deps.env),
    pid: process.pid,
    since: now.toISOString(),
    staleAfter: new Date(now.getTime() + lifetime).toISOString(),
  }
  const value = JSON.stringify(mine)
  let seen: EnvLock | undefined
  // A few rounds: the holder may release between our claim and our read, or a stale lock may
  // be replaced by a concurrent taker.
  for (let round = 0; round < 3; round++) {
    if (await createString(ssm, path, value, region)) {
      log('locked %s: %s', names.env, value)
      return value
    }
    const current = await parameterInfo(ssm, path, region)
    if (!current) continue
    seen = parseEnvLock(current)
    if (Date.parse(seen.staleAfter) > now.getTime()) throw lockedError(names.env, seen)
    deps.report.warn(
      `Taking over the lock of ${names.env}: ${describeLock(seen)} went stale at ${seen.staleAfter}, so that run is taken to be gone.`,
    )
    // Delete it only while it is still that stale lock; whoever then claims first wins, as the
    // claim itself stays atomic.
    const again = await parameterInfo(ssm, path, region)
    if (again?.value === current.value) await deleteParameter(ssm, path, region)
  }
  if (seen) throw lockedError(names.env, seen)
  throw new DjenvError(
    'ENV_LOCKED',
    `Could not take the lock of ${names.env} (${path}): other runs kept taking it; nothing was changed.`,
    'Run the command again once the other runs have finished.',
  )
}

/**
 * Deletes the lock if it is still this run's. A lock someone released (`env unlock`) and
 * another run took is left alone. A failure to release is a warning, never the run's result.
 */
async function release(target: EnvLockTarget, value: string, deps: EnvLockDeps): Promise<void> {
  const { ssm, region, names } = target
  const path = envLockPath(names)
  try {
    const current = await parameterInfo(ssm, path, region)
    if (!current) {
      log('lock of %s was already gone', names.env)
    } else if (current.value !== value) {
      deps.report.warn(
        `The lock of ${names.env} is no longer this run's (now ${describeLock(parseEnvLock(current))}); left it in place.`,
      )
    } else {
      await deleteParameter(ssm, path, region)
      log('unlocked %s', names.env)
    }
  } catch (err) {
    deps.report.warn(
      `Could not release the lock of ${names.env} (${(err as Error).message}); release it with \`djenv env unlock ${names.env}\`.`,
    )
  }
}

function lockedError(env: string, lock: EnvLock): DjenvError {
  return new DjenvError(
    'ENV_LOCKED',
    `Environment ${env} is locked by another djenv run: ${describeLock(lock)}; nothing was changed.`,
    `Wait for that run to finish, then run the command again. If it is gone (a killed process, a cancelled CI job), release the lock with \`djenv env unlock ${env}\`; from ${lock.staleAfter} on it is taken over on its own.`,
  )
}

function osUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}
