import { relative } from 'node:path'

import chalk from 'chalk'

import type { InitResult } from '../../init/init.js'

export function renderInit(result: InitResult, cwd: string): string {
  const file = relative(cwd, result.file) || result.file
  const verb = result.overwritten === 'kept' ? 'Kept' : result.overwritten ? 'Replaced' : 'Wrote'
  const workflows = result.workflows.map(
    (w) => `${chalk.green('✔')} Wrote ${relative(cwd, w) || w}`,
  )
  const ci = result.workflows.length
    ? [
        '',
        'In GitHub: set the repository variable DJENV_AWS_ROLE_ARN (and DJENV_AWS_PROD_ROLE_ARN) to roles GitHub OIDC may assume.',
      ]
    : []
  return [
    `${chalk.green('✔')} ${verb} ${file} for project ${result.project} (${result.region}).`,
    ...workflows,
    ...ci,
    '',
    'Next:',
    `  djenv env create pr-1 --dry-run     plan an ad hoc env offline (https://pr-1.${result.domain})`,
    `  djenv base deploy                   create the shared base in AWS`,
  ].join('\n')
}
