import type { Elbv2Api } from './clients.js'
import { mapAwsError } from './errors.js'

/** Every numeric priority of the rules on `listenerArn` (the default rule has none). */
export async function listenerPriorities(
  elbv2: Elbv2Api,
  listenerArn: string,
  region: string,
): Promise<Set<number>> {
  const used = new Set<number>()
  let marker: string | undefined
  do {
    const out = await elbv2
      .describeRules({ ListenerArn: listenerArn, Marker: marker, PageSize: 400 })
      .catch((err: unknown) => {
        throw mapAwsError(err, { action: 'elasticloadbalancing:DescribeRules', region })
      })
    for (const rule of out.Rules ?? []) {
      const n = Number(rule.Priority)
      if (Number.isInteger(n)) used.add(n)
    }
    marker = out.NextMarker
  } while (marker)
  return used
}

/** How many of a target group's targets are healthy, of how many registered (draining excluded). */
export async function targetHealthCounts(
  elbv2: Elbv2Api,
  targetGroupArn: string,
  region: string,
): Promise<{ healthy: number; total: number }> {
  const out = await elbv2
    .describeTargetHealth({ TargetGroupArn: targetGroupArn })
    .catch((err: unknown) => {
      throw mapAwsError(err, { action: 'elasticloadbalancing:DescribeTargetHealth', region })
    })
  const targets = (out.TargetHealthDescriptions ?? []).filter(
    (t) => t.TargetHealth?.State !== 'draining',
  )
  return {
    healthy: targets.filter((t) => t.TargetHealth?.State === 'healthy').length,
    total: targets.length,
  }
}
