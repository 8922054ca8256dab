import type { Clock } from '../../src/core/clock.js'
import { DjenvError } from '../../src/core/errors.js'

interface Timer {
  at: number
  resolve: () => void
}

/** A Clock that moves only when told: `advance(ms)` fires due sleeps in time order. */
export class ManualClock implements Clock {
  private readonly timers = new Set<Timer>()

  constructor(private t = 1_700_000_000_000) {}

  now(): Date {
    return new Date(this.t)
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new DjenvError('INTERRUPTED', 'Interrupted.'))
        return
      }
      const timer: Timer = {
        at: this.t + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = () => {
        this.timers.delete(timer)
        reject(new DjenvError('INTERRUPTED', 'Interrupted.'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.timers.add(timer)
    })
  }

  /** Moves time forward, firing each due sleep in order and letting I/O settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      let next: Timer | undefined
      for (const timer of this.timers)
        if (timer.at <= end && (!next || timer.at < next.at)) next = timer
      if (!next) break
      this.timers.delete(next)
      this.t = next.at
      next.resolve()
      await settle()
    }
    this.t = end
    await settle()
  }
}

/** Lets pending promise callbacks and socket events run. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve))
}
