import chalk from 'chalk'

import type { LabelledLogEvent } from '../../deploy/logs.js'

const COLOURS = [chalk.cyan, chalk.magenta, chalk.yellow, chalk.green, chalk.blue] as const
const SERVICES = ['web', 'worker', 'beat', 'migrate']

/** One line of `djenv logs`: time (UTC), service and short task id, message. */
export function renderLogLine(e: LabelledLogEvent): string {
  const i = SERVICES.indexOf(e.service)
  const colour = COLOURS[(i < 0 ? SERVICES.length : i) % COLOURS.length] ?? chalk.cyan
  const source = e.task ? `${e.service}/${e.task.slice(0, 8)}` : e.service
  return `${chalk.dim(e.time.slice(11, 19))} ${colour(source.padEnd(16))} ${e.message}`
}
