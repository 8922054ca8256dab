import chalk from 'chalk'

import type { PortForwardReady, PortForwardResult } from '../../connect/port-forward.js'

/** The ready block of `djenv port-forward`: what to type into DBeaver or psql. */
export function renderPortForwardReady(r: PortForwardReady): string {
  const lines = [
    `${chalk.green('✔')} Forwarding ${r.host}:${r.port} → ${r.to.host}:${r.to.port} (${r.env}, via ${r.via === 'bastion' ? `bastion ${r.through}` : 'a task'})`,
    `  Host      ${r.host}`,
    `  Port      ${r.port}`,
  ]
  if (r.database !== null) lines.push(`  Database  ${r.database}`)
  if (r.username !== null) lines.push(`  Username  ${r.username}`)
  if (r.to.kind === 'db') {
    lines.push(
      r.password === null
        ? `  Password  (not shown: --show-password)`
        : `  Password  ${r.password}`,
    )
  }
  if (r.url) lines.push(`  URL       ${r.url}`)
  if (r.jdbcUrl) lines.push(`  JDBC      ${r.jdbcUrl}`)
  if (r.psql) lines.push(`  psql      ${r.psql}`)
  lines.push('Press Ctrl-C to stop.')
  return lines.join('\n')
}

export function renderPortForwardEnd(r: PortForwardResult): string {
  return `Stopped forwarding ${r.host}:${r.port} after ${Math.round(r.durationMs / 1000)} s (${r.connections} connection${r.connections === 1 ? '' : 's'}, ${r.sessions} session${r.sessions === 1 ? '' : 's'}).`
}
