import chalk from 'chalk'

import type { BaseDeployResult } from '../../deploy/base-deploy.js'
import type { BaseDestroyResult } from '../../deploy/base-destroy.js'
import type { EnvCreateResult } from '../../deploy/env-create.js'
import type { EnvDestroyResult } from '../../deploy/env-destroy.js'
import type { EnvDiffResult } from '../../deploy/env-diff.js'
import type { EnvListResult } from '../../deploy/env-list.js'
import type { EnvStatusResult } from '../../deploy/env-status.js'
import type { EnvUnlockResult } from '../../deploy/env-unlock.js'
import { renderCost } from './cost.js'
import { table } from './table.js'

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

export function renderEnvCreate(r: EnvCreateResult): string {
  const verb = { created: 'Created', updated: 'Updated', unchanged: 'No changes to' }[r.outcome]
  const images = [...new Set(Object.values(r.images))].join(', ')
  return [
    `${chalk.green('✔')} ${verb} ${r.env} (${r.stack}) in ${seconds(r.durationMs)}`,
    `  URL       ${chalk.cyan(r.url)}`,
    `  Image     ${images}`,
    `  Services  ${r.services.map((s) => `${s.name} ${s.running}/${s.desired}`).join(', ')}`,
    `  Database  ${r.database.name}${r.database.created ? ' (created)' : ''}`,
    ...renderCost(r.cost),
  ].join('\n')
}

export function renderEnvDestroy(r: EnvDestroyResult): string {
  const files = r.files.kept ? 'kept (--keep-files)' : `${r.files.deleted} object(s) deleted`
  const revisions = `${r.taskDefinitionsDeregistered} task definition revision(s) deregistered`
  if (r.outcome === 'absent') {
    return `${chalk.green('✔')} ${r.env} had no stack; cleaned up ${r.parametersDeleted} leftover parameter(s); files ${files}; ${revisions}.`
  }
  return [
    `${chalk.green('✔')} Destroyed ${r.env} (${r.stack}) in ${seconds(r.durationMs)}`,
    `  Database  ${r.database.name} ${r.database.dropped ? 'dropped' : 'kept'}`,
    `  Files     ${files}`,
    `  Secrets   ${r.secrets.kept ? 'kept (--keep-secrets)' : `${r.secrets.deleted} deleted`}`,
    `  Revisions ${revisions}`,
  ].join('\n')
}

export function renderEnvUnlock(r: EnvUnlockResult): string {
  if (!r.lock) return `${r.env} was not locked; nothing to release.`
  const { command, holder, pid, since } = r.lock
  return `${chalk.green('✔')} Released the lock of ${r.env}, held by ${holder} (${command}${pid === null ? '' : `, pid ${pid}`}) since ${since}.`
}

export function renderEnvList(r: EnvListResult, now: Date): string {
  if (r.envs.length === 0 && r.bases.length === 0) {
    return `No environments or bases of ${r.project} in ${r.region}. Start with \`djenv base deploy\`.`
  }
  const rows = r.envs.map((e) => [
    e.env,
    e.kind,
    e.base,
    e.status,
    e.url ?? '-',
    e.imageTag ?? '-',
    age(now, e.createdAt),
    e.lastDeployAt ? `${age(now, e.lastDeployAt)} ago` : '-',
    e.expiresAt
      ? Date.parse(e.expiresAt) <= now.getTime()
        ? chalk.yellow('expired')
        : `in ${age(now, now.toISOString(), e.expiresAt)}`
      : '-',
    `$${e.monthlyUsd.toFixed(2)}${e.baseShareUsd === null ? '' : ` + $${e.baseShareUsd.toFixed(2)} base`}`,
  ])
  const envTable = rows.length
    ? table(
        [
          'ENV',
          'TYPE',
          'BASE',
          'STATUS',
          'URL',
          'IMAGE',
          'AGE',
          'DEPLOYED',
          'EXPIRES',
          'COST/MONTH',
        ],
        rows,
      )
    : 'No environments yet: `djenv env create pr-1`.'
  const bases = r.bases.map((b) => `${b.name} (${b.kind}, ${b.stack}): ${b.status}`).join('\n  ')
  return `${envTable}\n\nBases:\n  ${bases || 'none'}\n\n${chalk.dim(r.costLabel)}`
}

export function renderEnvStatus(r: EnvStatusResult): string {
  const lines = [
    chalk.bold(
      `${r.env} (${r.kind === 'prod' ? 'production' : 'ad hoc'}): ${r.stack.name} ${r.stack.status}`,
    ),
    `  URL  ${r.url ? chalk.cyan(r.url) : '-'}`,
    '',
    table(
      ['SERVICE', 'STATE', 'RUNNING', 'DESIRED', 'PENDING', 'ROLLOUT', 'LAST EVENT'],
      r.services.map((s) => [
        s.name,
        s.state,
        String(s.running),
        String(s.desired),
        String(s.pending),
        s.deployment?.rolloutState ?? '-',
        (s.lastEvent ?? '-').slice(0, 70),
      ]),
    ),
  ]
  if (r.events.length) {
    lines.push('', 'Recent stack events:')
    lines.push(
      ...r.events.map(
        (e) =>
          `  ${e.time.slice(0, 19)} ${e.status} ${e.type} ${e.logicalId}${e.reason ? `: ${e.reason}` : ''}`,
      ),
    )
  }
  return lines.join('\n')
}

export function renderEnvDiff(r: EnvDiffResult): string {
  if (r.changes.length === 0) return `${chalk.green('✔')} ${r.stack}: no changes.`
  const head = `${r.stack}: ${r.changes.length} change(s)${r.exists ? '' : ' (a new stack)'}${r.permissionsBroadened ? chalk.yellow(', permissions broadened') : ''}`
  return [
    head,
    '',
    r.text || r.changes.map((c) => `  ${c.impact} ${c.type} ${c.logicalId}`).join('\n'),
  ].join('\n')
}

export function renderBaseDeploy(r: BaseDeployResult): string {
  const verb = { created: 'Created', updated: 'Updated', unchanged: 'No changes to' }[r.outcome]
  return [
    `${chalk.green('✔')} ${verb} base ${r.base} (${r.stack}) in ${seconds(r.durationMs)}${r.bootstrapped ? ', after bootstrapping CDK' : ''}`,
    ...(r.outputs.CdnDomainName
      ? [`  Static and media files: https://${r.outputs.CdnDomainName}/ (CloudFront)`]
      : []),
    ...(r.cdnCertificate
      ? [`  CDN certificate: ${r.cdnCertificate.stack} (${r.cdnCertificate.region})`]
      : []),
    r.kind === 'adhoc'
      ? '  Next: `djenv env create pr-1`'
      : `  Next: \`djenv env create ${r.base}\``,
  ].join('\n')
}

export function renderBaseDestroy(r: BaseDestroyResult): string {
  if (r.outcome === 'absent')
    return `${chalk.green('✔')} Base ${r.base} (${r.stack}) did not exist.`
  return `${chalk.green('✔')} Destroyed base ${r.base} (${r.stack}) in ${seconds(r.durationMs)}${r.objectsDeleted ? `; deleted ${r.objectsDeleted} object(s) from its bucket` : ''}${r.cdnCertificateStackDeleted ? '; deleted its CDN certificate stack' : ''}`
}

/** "3d", "5h", "12m" between two times. */
export function age(now: Date, from: string, to?: string): string {
  const ms = Math.abs((to ? Date.parse(to) : now.getTime()) - Date.parse(from))
  const minutes = Math.floor(ms / 60_000)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h`
  return `${Math.floor(hours / 24)}d`
}

/** The GitHub step summary of `env create`: env, URL, images, outcome, cost. */
export function envCreateSummary(r: EnvCreateResult): string {
  return [
    `### djenv env create ${r.env}: ${r.outcome}`,
    '',
    `| | |`,
    `| --- | --- |`,
    `| URL | ${r.url} |`,
    `| image | ${[...new Set(Object.values(r.images))].join(', ')} |`,
    `| stack | ${r.stack} |`,
    `| est. cost | $${r.cost.envMonthlyUsd.toFixed(2)}/month${r.cost.base.shareUsd === null ? '' : ` + $${r.cost.base.shareUsd.toFixed(2)} base share`} |`,
    '',
  ].join('\n')
}

/** The GitHub step summary of `env diff`. */
export function envDiffSummary(r: EnvDiffResult): string {
  const body = r.changes.length
    ? [
        '```',
        r.text || r.changes.map((c) => `${c.impact} ${c.type} ${c.logicalId}`).join('\n'),
        '```',
      ].join('\n')
    : 'No changes.'
  return [`### djenv env diff ${r.env} (${r.stack})`, '', body, ''].join('\n')
}
