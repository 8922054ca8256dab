import chalk from 'chalk'

import type { DjenvError } from '../../core/errors.js'

/** The human form of an error: one line, a hint, and with --verbose the cause chain. */
export function renderError(error: DjenvError, o: { verbose: boolean }): string {
  const lines = [`${chalk.red('✖')} ${error.message}`]
  if (error.hint) lines.push(`  ${chalk.dim('→')} ${error.hint}`)
  if (o.verbose) {
    let cause: unknown = error.cause
    for (let depth = 0; cause !== undefined && depth < 5; depth++) {
      const text = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
      lines.push(chalk.dim(`  caused by: ${text}`))
      cause = cause instanceof Error ? cause.cause : undefined
    }
  }
  return lines.join('\n')
}
