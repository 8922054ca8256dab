import { relative } from 'node:path'

import chalk from 'chalk'

import type { InitResult } from '../../init/init.js'

export function renderInit(result: InitResult, cwd: string): string {
  const file = relative(cwd, result.file) || result.file
  return [
    `${chalk.green('✔')} ${result.overwritten ? 'Replaced' : 'Wrote'} ${file} for project ${result.project} (${result.region}).`,
    '',
    'Next:',
    `  djenv env create pr-1 --dry-run     plan an ad hoc env offline (https://pr-1.${result.domain})`,
    `  djenv base deploy                   create the shared base in AWS`,
  ].join('\n')
}
