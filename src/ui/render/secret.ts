import chalk from 'chalk'

import type { SecretGetResult } from '../../secrets/secret-get.js'
import type { SecretListResult } from '../../secrets/secret-list.js'
import type { SecretSetResult } from '../../secrets/secret-set.js'
import type { SecretUnsetResult } from '../../secrets/secret-unset.js'
import type { SecretServiceUse } from '../../secrets/usage.js'
import { table } from './table.js'

const READ_AT_START = 'ECS reads secrets when a task starts.'

function owner(r: { env: string; base: string; from: 'env' | 'base' }): string {
  return r.from === 'base' ? `every ad hoc env of base ${r.base}` : r.env
}

/** Services by env: `pr-42 (web, worker)`. */
function byEnv(uses: readonly SecretServiceUse[]): string {
  const envs = new Map<string, string[]>()
  for (const u of uses) envs.set(u.env, [...(envs.get(u.env) ?? []), u.service])
  return [...envs].map(([env, services]) => `${env} (${services.join(', ')})`).join(', ')
}

export function renderSecretSet(r: SecretSetResult): string {
  const lines = [
    `${chalk.green('✔')} ${r.outcome === 'created' ? 'Stored' : 'Updated'} ${r.name} for ${owner(r)}: version ${r.version}, ${r.parameter}, encrypted with ${r.kmsKey}`,
  ]
  const restarted = r.services.filter((s) => s.restarted)
  const waiting = r.services.filter((s) => s.injects && !s.restarted)
  if (restarted.length > 0) {
    lines.push(
      `${READ_AT_START} Started new deployments, with the same images, of ${byEnv(restarted)}: their new tasks read version ${r.version}.`,
    )
  }
  if (waiting.length > 0) {
    lines.push(
      `${READ_AT_START} Running tasks of ${byEnv(waiting)} keep the previous value until they restart; run again with --restart to start new deployments now.`,
    )
  }
  for (const env of r.redeploy) {
    lines.push(
      chalk.yellow(
        `${env}'s task definitions do not inject ${r.name} yet: \`djenv env create ${env}\` adds it (and restarts the services).`,
      ),
    )
  }
  if (r.services.length === 0) {
    lines.push(
      `${READ_AT_START} No service runs yet; the next \`djenv env create\` injects ${r.name}.`,
    )
  }
  return lines.join('\n')
}

export function renderSecretList(r: SecretListResult): string {
  const where = r.scope === 'base' ? `base ${r.base} (shared by its ad hoc envs)` : r.env
  const lines: string[] = []
  if (r.secrets.length === 0) {
    lines.push(`No secrets stored for ${where}.`)
  } else {
    lines.push(
      table(
        ['NAME', 'FROM', 'VERSION', 'MODIFIED'],
        r.secrets.map((s) => [
          s.overridden ? chalk.dim(s.name) : s.name,
          s.from === 'base'
            ? `base ${r.base}${s.overridden ? ` (replaced by ${r.env}'s own)` : ''}`
            : r.env,
          String(s.version),
          s.lastModified ?? '-',
        ]),
      ),
    )
  }
  if (r.missing.length > 0) {
    lines.push(
      '',
      chalk.yellow(
        `Expected by secrets.names but not set: ${r.missing.join(', ')} (\`djenv secret set ${r.env} NAME${r.scope === 'base' ? ' --base' : ''}\`).`,
      ),
    )
  }
  lines.push(
    '',
    chalk.dim(`Values are never listed: \`djenv secret get ${r.env} NAME --show\` prints one.`),
  )
  return lines.join('\n')
}

/** With --show, the value alone (for pipes); otherwise where it is, and how to see it. */
export function renderSecretGet(r: SecretGetResult): string {
  if (r.value !== null) return r.value
  const from = r.from === 'base' ? `the base's shared ${r.parameter}` : r.parameter
  return [
    `${r.name} of ${r.env}: ${from}, version ${r.version}${r.lastModified ? `, modified ${r.lastModified}` : ''}.`,
    `Its value is hidden: add --show to print it (\`djenv secret get ${r.env} ${r.name} --show\`).`,
  ].join('\n')
}

export function renderSecretUnset(r: SecretUnsetResult): string {
  const lines = [`${chalk.green('✔')} Deleted ${r.name} of ${owner(r)} (${r.parameter})`]
  if (r.redeploy.length > 0) {
    lines.push(
      chalk.yellow(
        `${READ_AT_START} The task definitions of ${byEnv(r.services)} still name ${r.name}, so a task that starts now fails: redeploy without it with ${r.redeploy.map((env) => `\`djenv env create ${env}\``).join(', ')} (a restart cannot apply a removal).`,
      ),
    )
  } else {
    lines.push(`${READ_AT_START} No running task definition injects ${r.name}; nothing else to do.`)
  }
  return lines.join('\n')
}
