import { DjenvError } from './errors.js'

/** Time as workflows see it: injected, so tests run waits instantly. */
export interface Clock {
  now(): Date
  /** Resolves after `ms`, or rejects with INTERRUPTED when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(interrupted())
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = () => {
        clearTimeout(timer)
        reject(interrupted())
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}

function interrupted(): DjenvError {
  return new DjenvError('INTERRUPTED', 'Interrupted.')
}
