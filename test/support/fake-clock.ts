import type { Clock } from '../../src/core/clock.js'

/** A clock that starts at `start` and moves only when something sleeps: waits take no time. */
export function fakeClock(start = '2026-11-20T10:00:00Z'): Clock & { slept: number[] } {
  let now = Date.parse(start)
  const slept: number[] = []
  return {
    slept,
    now: () => new Date(now),
    sleep: async (ms, signal) => {
      if (signal?.aborted)
        throw Object.assign(new Error('Interrupted.'), { djenvCode: 'INTERRUPTED' })
      slept.push(ms)
      now += ms
    },
  }
}
