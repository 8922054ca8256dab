import type { EnvKind } from '../config/names.js'
import type { ConfigData } from '../config/schema.js'
import {
  CLOUDFRONT,
  HOURS_PER_MONTH,
  PRICES_AS_OF,
  pricesFor,
  type RegionPrices,
} from './prices.js'

export interface ServiceCost {
  name: string
  tasks: number
  vcpu: number
  memoryGb: number
  capacity: 'spot' | 'on-demand'
  monthlyUsd: number
}

export interface BaseCostItem {
  item: string
  /** The fixed monthly charge (0 for an item billed by use only). */
  monthlyUsd: number
  /**
   * What the item bills by use on top of `monthlyUsd`, for items whose cost is mostly usage
   * (CloudFront); null for the others, whose usage charges only the label mentions.
   */
  usage: string | null
}

/** A monthly estimate for one env: its own tasks, and the base it shares, apart. */
export interface CostEstimate {
  /** What the env itself adds: its running tasks. */
  envMonthlyUsd: number
  services: ServiceCost[]
  base: {
    monthlyUsd: number
    items: BaseCostItem[]
    /** Envs sharing the base (null when unknown, e.g. offline). */
    sharedBy: number | null
    /** The env's share of the base when `sharedBy` is known. */
    shareUsd: number | null
  }
  label: string
  region: string
  pricesAsOf: string
}

export interface EnvShape {
  kind: EnvKind
  /** The production env's name (its own base), for prod. */
  prodEnv?: string
  services: { name: string; tasks: number; cpu: number; memory: number }[]
}

const round = (usd: number) => Math.round(usd * 100) / 100

/** Fargate cost of `tasks` always-on tasks of `cpu` units and `memory` MiB for a month. */
export function fargateMonthly(
  p: RegionPrices,
  cpu: number,
  memory: number,
  tasks: number,
  spot: boolean,
): number {
  const hourly = (cpu / 1024) * p.fargateVcpuHour + (memory / 1024) * p.fargateGbHour
  return hourly * HOURS_PER_MONTH * tasks * (spot ? p.spotFactor : 1)
}

/** The estimate for an env of the project; `sharedBy` is how many envs share its base. */
export function estimateEnvCost(
  config: ConfigData,
  shape: EnvShape,
  sharedBy: number | null,
): CostEstimate {
  const { prices: p, exact } = pricesFor(config.region)
  const spot = shape.kind === 'adhoc' && config.adhoc.spot
  const services = shape.services.map((s) => ({
    name: s.name,
    tasks: s.tasks,
    vcpu: s.cpu / 1024,
    memoryGb: s.memory / 1024,
    capacity: spot ? ('spot' as const) : ('on-demand' as const),
    monthlyUsd: round(fargateMonthly(p, s.cpu, s.memory, s.tasks, spot)),
  }))
  const items = baseItems(config, shape, p)
  const baseTotal = round(items.reduce((n, i) => n + i.monthlyUsd, 0))
  return {
    envMonthlyUsd: round(services.reduce((n, s) => n + s.monthlyUsd, 0)),
    services,
    base: {
      monthlyUsd: baseTotal,
      items,
      sharedBy,
      shareUsd: sharedBy && sharedBy > 0 ? round(baseTotal / sharedBy) : null,
    },
    label: `Estimate at AWS list prices of ${PRICES_AS_OF} for ${exact ? config.region : `us-east-1 (no table for ${config.region})`}; always-on tasks, usage-based charges (data transfer, load balancer capacity units, logs) not included.`,
    region: config.region,
    pricesAsOf: PRICES_AS_OF,
  }
}

function baseItems(config: ConfigData, shape: EnvShape, p: RegionPrices): BaseCostItem[] {
  const prod = shape.kind === 'prod' ? config.production[shape.prodEnv ?? ''] : undefined
  const network = prod ?? config.adhoc
  const zones = (config.availabilityZones ?? ['a', 'b']).length
  const nat = network.nat ?? (prod ? 'gateway' : 'instance')
  const db = network.database
  const dbClass = db.instanceClass ?? (prod ? 'db.t4g.small' : 'db.t4g.micro')
  const dbHour = p.rdsHour[dbClass] ?? p.rdsHour['db.t4g.micro'] ?? 0
  const multiAz = Boolean(prod && db.multiAz)
  const hours = HOURS_PER_MONTH
  const items: (Omit<BaseCostItem, 'usage'> & { usage?: string })[] = [
    { item: 'load balancer', monthlyUsd: p.albHour * hours },
    {
      item: `public IPv4 addresses (${zones + (nat === 'instance' ? 1 : 0)})`,
      monthlyUsd: p.publicIpv4Hour * hours * (zones + (nat === 'instance' ? 1 : 0)),
    },
    nat === 'gateway'
      ? { item: 'NAT gateway', monthlyUsd: p.natGatewayHour * hours }
      : { item: 'NAT instance (t4g.nano)', monthlyUsd: p.t4gNanoHour * hours + 8 * p.ebsGbMonth },
    {
      item: `PostgreSQL ${dbClass}${multiAz ? ' Multi-AZ' : ''}, ${db.allocatedStorage} GB`,
      monthlyUsd:
        dbHour * hours * (multiAz ? 2 : 1) + db.allocatedStorage * p.rdsGbMonth * (multiAz ? 2 : 1),
    },
    { item: 'database master secret', monthlyUsd: p.secretMonth },
  ]
  if (network.redis) {
    const nodes = prod ? 2 : 1
    items.push({
      item: `Redis (cache.t4g.micro × ${nodes})`,
      monthlyUsd: p.cacheT4gMicroHour * hours * nodes,
    })
  }
  if (network.bastion)
    items.push({ item: 'bastion (t4g.nano)', monthlyUsd: p.t4gNanoHour * hours + 8 * p.ebsGbMonth })
  // Static and media files (§7): one distribution per ad hoc base, one per production env.
  if (config.static.cdn) {
    items.push({
      item: prod
        ? "CloudFront distribution, the env's own"
        : "CloudFront distribution, shared by the base's envs",
      monthlyUsd: CLOUDFRONT.distributionMonth,
      usage: `transfer out and requests are usage-based (the always-free tier covers ${CLOUDFRONT.freeTierTbOut} TB and ${CLOUDFRONT.freeTierMillionRequests} M requests a month)`,
    })
  }
  return items.map((i) => ({
    item: i.item,
    monthlyUsd: round(i.monthlyUsd),
    usage: i.usage ?? null,
  }))
}
