import type { Deps } from '../core/command.js'
import { DjenvError, toDjenvError } from '../core/errors.js'
import { parseDuration } from '../config/duration.js'
import { envDestroy, type EnvDestroyInput, type EnvDestroyResult } from './env-destroy.js'
import { envList, type EnvRow } from './env-list.js'
import type { ProjectInput } from './project.js'

export interface EnvGcInput extends ProjectInput {
  /** Remove ad hoc envs not deployed for this long, whatever their own TTL (e.g. 7d). */
  olderThan?: string
  /** Only say what would go, and why. */
  dryRun: boolean
}

export interface GcCandidate {
  env: string
  base: string
  lastDeployAt: string
  expiredAt: string
  reason: string
}

export interface EnvGcResult {
  dryRun: boolean
  expired: GcCandidate[]
  destroyed: string[]
  failed: { env: string; code: string; message: string }[]
  /** Ad hoc envs kept because they have not expired yet. */
  kept: number
}

export type EnvGcDeps = Pick<
  Deps,
  'cwd' | 'env' | 'report' | 'ask' | 'clock' | 'signal' | 'terminal'
>

/**
 * Which envs have expired at `now`: ad hoc only (never production, never a base), whose
 * last deploy is older than `--older-than`, else than their own TTL (`expiresAt`).
 */
export function selectExpired(
  rows: readonly EnvRow[],
  now: Date,
  olderThanMs?: number,
): GcCandidate[] {
  const expired: GcCandidate[] = []
  for (const row of rows) {
    if (row.kind !== 'adhoc' || !row.lastDeployAt) continue
    const last = Date.parse(row.lastDeployAt)
    const expiresAt =
      olderThanMs !== undefined
        ? last + olderThanMs
        : row.expiresAt
          ? Date.parse(row.expiresAt)
          : undefined
    if (expiresAt === undefined || expiresAt > now.getTime()) continue
    const days = Math.floor((now.getTime() - last) / 86_400_000)
    expired.push({
      env: row.env,
      base: row.base,
      lastDeployAt: row.lastDeployAt,
      expiredAt: new Date(expiresAt).toISOString(),
      reason: `last deployed ${days}d ago; ${olderThanMs !== undefined ? '--older-than' : 'its TTL'} ran out ${new Date(expiresAt).toISOString().slice(0, 10)}`,
    })
  }
  return expired
}

/**
 * Destroys the ad hoc envs whose time is up, with their databases and files. A failure on one
 * env does not stop the others; the result lists each failure, and the command exits 1 if there
 * was any.
 */
export async function envGc(
  input: EnvGcInput,
  deps: EnvGcDeps,
  destroy: (input: EnvDestroyInput, deps: EnvGcDeps) => Promise<EnvDestroyResult> = envDestroy,
): Promise<EnvGcResult> {
  const olderThanMs = input.olderThan === undefined ? undefined : parseDuration(input.olderThan)
  if (input.olderThan !== undefined && olderThanMs === undefined) {
    throw new DjenvError(
      'USAGE',
      `--older-than ${input.olderThan} is not a duration.`,
      'Use a duration such as 12h, 7d or 2w.',
    )
  }
  const list = await envList(input, deps)
  const expired = selectExpired(list.envs, deps.clock.now(), olderThanMs)
  const adhoc = list.envs.filter((e) => e.kind === 'adhoc').length
  const result: EnvGcResult = {
    dryRun: input.dryRun,
    expired,
    destroyed: [],
    failed: [],
    kept: adhoc - expired.length,
  }
  if (input.dryRun) return result

  for (const candidate of expired) {
    try {
      await destroy(
        {
          name: candidate.env,
          configPath: input.configPath,
          profile: input.profile,
          region: input.region,
          yes: true,
          force: false,
          keepDatabase: false,
          keepFiles: false,
          wait: false,
        },
        deps,
      )
      result.destroyed.push(candidate.env)
    } catch (err) {
      const e = toDjenvError(err)
      if (e.djenvCode === 'INTERRUPTED') throw e
      deps.report.warn(`Could not destroy ${candidate.env}: ${e.message}`)
      result.failed.push({ env: candidate.env, code: e.djenvCode, message: e.message })
    }
  }
  return result
}
