import chalk from 'chalk'

import type { CostEstimate } from '../../cost/estimate.js'

const usd = (n: number) => `$${n.toFixed(2)}`

/**
 * The cost lines of a plan or a create: the env's own tasks, then the base, a line for each
 * base item billed mostly by use (CloudFront), then the label.
 */
export function renderCost(c: CostEstimate): string[] {
  const fixed = c.base.items.filter((i) => i.usage === null)
  const byUse = c.base.items.filter((i) => i.usage !== null)
  const services = c.services.map((s) => `${s.name} ${usd(s.monthlyUsd)}`).join(', ')
  const share =
    c.base.shareUsd === null
      ? `shared by every env on the base`
      : c.base.sharedBy === 1
        ? 'its own'
        : `your share ${usd(c.base.shareUsd)} with ${c.base.sharedBy} envs`
  return [
    chalk.bold(`Estimated cost: ${usd(c.envMonthlyUsd)}/month for the env`) +
      ` (${services || 'no services'}; ${c.services[0]?.capacity ?? 'spot'})`,
    `  Base: ${usd(c.base.monthlyUsd)}/month, ${share} (${fixed.map((i) => `${i.item} ${usd(i.monthlyUsd)}`).join(', ')})`,
    ...byUse.map((i) => `  ${i.item}: ${usd(i.monthlyUsd)}/month fixed; ${i.usage ?? ''}`),
    chalk.dim(`  ${c.label}`),
  ]
}
