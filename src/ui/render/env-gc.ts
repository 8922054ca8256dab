import chalk from 'chalk'

import type { EnvGcResult } from '../../deploy/env-gc.js'

export function renderEnvGc(r: EnvGcResult): string {
  if (r.expired.length === 0)
    return `${chalk.green('✔')} No ad hoc env has expired (${r.kept} kept).`
  const lines = r.expired.map((c) => {
    const mark = r.dryRun ? '-' : r.destroyed.includes(c.env) ? chalk.green('✔') : chalk.red('✖')
    return `${mark} ${c.env} (base ${c.base}): ${c.reason}`
  })
  const head = r.dryRun
    ? `Would destroy ${r.expired.length} env(s) (dry run; ${r.kept} kept):`
    : `Destroyed ${r.destroyed.length} of ${r.expired.length} expired env(s); ${r.kept} kept:`
  const failures = r.failed.map((f) => chalk.red(`  ${f.env}: ${f.message}`))
  return [head, ...lines, ...failures].join('\n')
}

/** The GitHub step summary of a gc run. */
export function envGcSummary(r: EnvGcResult): string {
  const rows = r.expired.map((c) => {
    const outcome = r.dryRun
      ? 'would destroy'
      : r.destroyed.includes(c.env)
        ? 'destroyed'
        : 'failed'
    return `| ${c.env} | ${c.base} | ${c.reason} | ${outcome} |`
  })
  return [
    `### djenv env gc${r.dryRun ? ' (dry run)' : ''}`,
    '',
    rows.length
      ? ['| env | base | why | outcome |', '| --- | --- | --- | --- |', ...rows].join('\n')
      : 'No ad hoc env has expired.',
    '',
  ].join('\n')
}
