import chalk from 'chalk'

import type { TaskRunResult } from '../../deploy/task-run.js'

/** The last line of `djenv migrate` and `djenv run`: what ran, how it ended, where its logs are. */
export function renderTaskRun(r: TaskRunResult): string {
  const what = r.command ? r.command.join(' ') : 'Migrations'
  const took = `${Math.round(r.durationMs / 1000)} s`
  if (r.exitCode === 0) {
    return `${chalk.green('✔')} ${what} finished in ${took} (task ${r.taskId}, exit code 0)`
  }
  const lines = [
    `${chalk.red('✖')} ${what} exited with code ${r.exitCode} after ${took} (task ${r.taskId})`,
  ]
  if (r.containerReason) lines.push(`  ECS: ${r.containerReason}`)
  lines.push(`  Logs: ${r.logGroup} ${r.logStream}`)
  return lines.join('\n')
}
