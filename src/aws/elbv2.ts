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
