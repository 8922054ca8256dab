import chalk from 'chalk'

import type { DeployImageResult } from '../../deploy/deploy-image.js'
import { table } from './table.js'

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`
const task = (t: NonNullable<DeployImageResult['migration']>) =>
  `exit code ${t.exitCode} in ${seconds(t.durationMs)} (task ${t.taskArn.split('/').pop() ?? ''})`

/** The summary of `djenv deploy-image`. */
export function renderDeployImage(r: DeployImageResult): string {
  const head = {
    completed: `${chalk.green('✔')} Deployed ${r.tag} to ${r.env} in ${seconds(r.durationMs)}`,
    unchanged: `${chalk.green('✔')} ${r.env} already runs ${r.tag}; nothing deployed`,
    started: `${chalk.green('✔')} Started deploying ${r.tag} to ${r.env}; not waiting for the rollout`,
    'migration-failed': `${chalk.red('✖')} Migrations failed with exit code ${r.exitCode}; no service of ${r.env} was updated`,
    'collectstatic-failed': `${chalk.red('✖')} collectstatic failed with exit code ${r.exitCode}; no service of ${r.env} was updated, they still run the previous image`,
  }[r.outcome]
  const lines = [head, `  Image  ${r.image}`]
  if (r.migration) lines.push(`  Migrations     ${task(r.migration)}`)
  if (r.collectstatic) lines.push(`  collectstatic  ${task(r.collectstatic)}`)
  lines.push(
    '',
    table(
      ['SERVICE', 'STATE', 'RUNNING', 'TASK DEFINITION'],
      r.services.map((s) => [
        s.name,
        s.state,
        r.outcome === 'started' ? '-' : `${s.running}/${s.desired}`,
        (s.taskDefinition ?? '-').split('/').pop() ?? '-',
      ]),
    ),
  )
  return lines.join('\n')
}
