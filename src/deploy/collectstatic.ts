import { DjenvError } from '../core/errors.js'
import { commandWords } from '../config/command-words.js'
import type { ConfigData } from '../config/schema.js'

/** Why no collectstatic task runs, or the command it runs. */
export type CollectstaticPlan =
  { run: true; command: string[] } | { run: false; reason: 'no-cdn' | 'skipped'; message: string }

/**
 * Decides whether a deploy runs collectstatic (infrastructure.md §7): with the CDN on, the
 * configured `static.collectstatic` command runs as a one-off task of the new `migrate`
 * revision, after migrations and before any service runs the new image; with `static.cdn: false`
 * the app serves files baked into its image, so there is nothing to upload.
 */
export function planCollectstatic(
  config: Pick<ConfigData, 'static'>,
  skip: boolean,
): CollectstaticPlan {
  if (!config.static.cdn) {
    return {
      run: false,
      reason: 'no-cdn',
      message: 'No collectstatic: static.cdn is false, the app serves its own static files',
    }
  }
  if (skip) {
    return {
      run: false,
      reason: 'skipped',
      message: 'collectstatic skipped (--skip-collectstatic)',
    }
  }
  return { run: true, command: collectstaticCommand(config) }
}

/** The configured collectstatic command as words, for a container command override. */
export function collectstaticCommand(config: Pick<ConfigData, 'static'>): string[] {
  let words: string[]
  try {
    words = commandWords(config.static.collectstatic)
  } catch (err) {
    throw new DjenvError(
      'CONFIG_INVALID',
      `static.collectstatic: ${(err as Error).message}.`,
      'Close the quote, or write the command as a list of words.',
      err,
    )
  }
  if (words.length === 0) {
    throw new DjenvError(
      'CONFIG_INVALID',
      'static.collectstatic is empty.',
      'Set a command such as `python manage.py collectstatic --noinput`, or set static.cdn to false.',
    )
  }
  return words
}
