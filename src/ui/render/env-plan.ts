import chalk from 'chalk'

import { DJENV_VARIABLES } from '../../config/environment.js'
import type { EnvPlanResult, PlannedContainer, PlannedFiles } from '../../deploy/env-plan.js'
import { renderCost } from './cost.js'

/** The human form of an offline plan. */
export function renderEnvPlan(plan: EnvPlanResult): string {
  const app = plan.stacks.find((s) => s.role === 'app')
  const base = plan.stacks.find((s) => s.role === 'base')
  const certificate = plan.stacks.find((s) => s.role === 'certificate')
  const kind = plan.kind === 'prod' ? 'production' : 'ad hoc'
  const lines = [
    chalk.bold(
      `Plan for ${plan.env} (${kind}, base ${plan.base}, ${plan.region}): offline, nothing was read from or changed in AWS`,
    ),
    '',
    `  URL        ${chalk.cyan(plan.url)}`,
    `  Image      ${plan.images.repository}:${plan.images.tag}${plan.images.source === 'placeholder' ? chalk.yellow('  (placeholder: pass --image-tag or set image.tag)') : ''}`,
    `  Database   ${plan.database}`,
    ...fileLines(plan.files, plan.kind),
    `  Services   ${plan.services.map((s) => `${s.name} ${s.cpu / 1024} vCPU/${s.memory / 1024} GB`).join(', ')}; all start at 0 tasks, then scale after migrations`,
    `  Priority   ${plan.listenerPriority.value} on the HTTPS listener${plan.listenerPriority.source === 'name-hash' ? ' (from the name; the next free block is claimed at create time)' : ''}`,
  ]
  if (plan.accountIsPlaceholder) {
    lines.push(
      chalk.yellow(`  Account    ${plan.account} (placeholder: set account in the configuration)`),
    )
  }
  if (app) {
    lines.push('', chalk.bold(`Stack ${app.name}: ${app.resourceCount} resources, the env's own`))
    lines.push(...resourceLines(app.resources))
  }
  lines.push('', chalk.bold(`Shared with base ${base?.name ?? plan.base}`))
  lines.push(...plan.shared.map((s) => `  - ${s}`))
  lines.push('', ...containerLines(plan))
  if (base) {
    lines.push(
      '',
      `Base stack ${base.name}: ${base.resourceCount} resources${plan.kind === 'adhoc' ? ', deployed once for every ad hoc env (`djenv base deploy`)' : ''}`,
    )
  } else {
    lines.push(
      '',
      `Base stack ${plan.project}-${plan.base}: shared by every ad hoc env, not planned here (pass --with-base)`,
    )
  }
  if (certificate) {
    lines.push(
      `Certificate stack ${certificate.name} (${certificate.region}): ${certificate.resourceCount} resource${certificate.resourceCount === 1 ? '' : 's'}, the CDN certificate, deployed before the base (CloudFront reads certificates from ${certificate.region} only)`,
    )
  }
  lines.push('', ...renderCost(plan.cost))
  lines.push(
    '',
    `Validation: ${plan.validation === 'passed' ? 'CloudFormation rules passed' : 'skipped (pass --validate)'}`,
  )
  lines.push(...plan.validationWarnings.map((w) => chalk.yellow(`  warning ${w}`)))
  if (plan.outDir) lines.push(`Templates written to ${plan.outDir}`)
  return lines.join('\n')
}

/** Where static and media files are served from. */
function fileLines(files: PlannedFiles, kind: EnvPlanResult['kind']): string[] {
  const signed = `pre-signed S3 URLs under ${files.mediaLocation}/`
  if (!files.cdnHost || !files.staticUrl) {
    return [
      `  Static     served by the app itself (static.cdn: false, no CloudFront)`,
      `  Media      ${signed}`,
    ]
  }
  const owner = kind === 'prod' ? "the env's own" : 'shared by the base'
  return [
    `  Static     ${chalk.cyan(files.staticUrl)} (CloudFront, ${owner})`,
    `  Media      ${files.mediaUrl ? `${chalk.cyan(files.mediaUrl)} (CloudFront, cached 1 h by default)` : `${signed} (static.media: signed)`}`,
  ]
}

function resourceLines(resources: { type: string; count: number }[]): string[] {
  const width = Math.max(...resources.map((r) => r.type.length))
  return resources.map((r) => `  ${r.type.padEnd(width)}  ${r.count}`)
}

/** The names each container gets, containers with the same names on one line; never values. */
function containerLines(plan: EnvPlanResult): string[] {
  const groups = new Map<string, PlannedContainer[]>()
  for (const c of plan.containers) {
    const key = JSON.stringify([c.settings, c.secrets])
    groups.set(key, [...(groups.get(key) ?? []), c])
  }
  const lines = [chalk.bold('Container environment (names only)')]
  for (const containers of groups.values()) {
    const { settings, secrets } = containers[0] as PlannedContainer
    const own = settings.filter((n) => !Object.hasOwn(DJENV_VARIABLES, n))
    lines.push(
      `  ${containers.map((c) => c.name).join(', ')}`,
      `    Settings  ${settings.length - own.length} from djenv (DJANGO_SETTINGS_MODULE, DJENV_*, POSTGRES_*, …)${own.length > 0 ? `; from the configuration: ${own.join(', ')}` : ''}`,
      `    Secrets   ${secrets.join(', ')}`,
    )
  }
  lines.push(
    chalk.dim(
      `  Secrets come from SSM at deploy: ${plan.kind === 'adhoc' ? `${plan.env}'s own and base ${plan.base}'s shared ones` : `${plan.env}'s`}; offline, secrets.names stands for them.`,
    ),
  )
  return lines
}
