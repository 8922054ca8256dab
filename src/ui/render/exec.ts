import chalk from 'chalk'

import type { ExecResult } from '../../connect/exec.js'

/** The line after a failed `djenv exec` (nothing after success: the output speaks for itself). */
export function renderExec(r: ExecResult): string {
  if (r.remoteExitCode === 0) return ''
  if (r.remoteExitCode === null) {
    return `${chalk.red('✖')} ${r.command.join(' ')}: remote exit status unknown (task ${r.taskId}); djenv exits 1`
  }
  return `${chalk.red('✖')} ${r.command.join(' ')} exited with code ${r.remoteExitCode} (task ${r.taskId})`
}
