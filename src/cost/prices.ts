/**
 * AWS list prices djenv's estimates use, per region, in USD. An estimate, not a bill: prices
 * change, usage-based items (data transfer, load balancer capacity units, log ingestion,
 * requests) are left out, and taxes and discounts do not apply. Update PRICES_AS_OF with them.
 */
export const PRICES_AS_OF = '2026-11'

/** Hours in an average month, the figure AWS's own calculator uses. */
export const HOURS_PER_MONTH = 730

export interface RegionPrices {
  /** Fargate Linux/x86 on demand, per vCPU-hour and per GB-hour. */
  fargateVcpuHour: number
  fargateGbHour: number
  /** Fargate Spot's typical price as a fraction of on-demand (AWS quotes "up to 70 % off"). */
  spotFactor: number
  /** Application Load Balancer, per hour (capacity units are usage-based). */
  albHour: number
  /** Managed NAT gateway, per hour (plus per-GB processing, usage-based). */
  natGatewayHour: number
  /** EC2 t4g.nano (NAT instance, bastion), per hour. */
  t4gNanoHour: number
  /** gp3 EBS / RDS storage, per GB-month. */
  ebsGbMonth: number
  rdsGbMonth: number
  /** RDS PostgreSQL, per hour, by instance class (single-AZ; Multi-AZ doubles it). */
  rdsHour: Readonly<Record<string, number>>
  /** ElastiCache (Valkey/Redis OSS) node, per hour. */
  cacheT4gMicroHour: number
  /** A public IPv4 address, per hour. */
  publicIpv4Hour: number
  /** A Secrets Manager secret, per month. */
  secretMonth: number
}

const US_EAST_1: RegionPrices = {
  fargateVcpuHour: 0.04048,
  fargateGbHour: 0.004445,
  spotFactor: 0.3,
  albHour: 0.0225,
  natGatewayHour: 0.045,
  t4gNanoHour: 0.0042,
  ebsGbMonth: 0.08,
  rdsGbMonth: 0.115,
  rdsHour: {
    'db.t4g.micro': 0.016,
    'db.t4g.small': 0.032,
    'db.t4g.medium': 0.065,
    'db.t4g.large': 0.129,
  },
  cacheT4gMicroHour: 0.016,
  publicIpv4Hour: 0.005,
  secretMonth: 0.4,
}

/**
 * CloudFront (one distribution per ad hoc base, one per production env, with `static.cdn`):
 * no monthly or per-distribution fee, only data transfer out and requests, priced globally by
 * edge location rather than by the stacks' region. The always-free tier covers the first 1 TB
 * out and 10 million HTTP(S) requests of each month, account-wide.
 */
export const CLOUDFRONT = {
  /** Fixed monthly charge of a distribution. */
  distributionMonth: 0,
  freeTierTbOut: 1,
  freeTierMillionRequests: 10,
} as const

/** Regions with their own table; any other region is priced as us-east-1, and says so. */
export const REGION_PRICES: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': US_EAST_1,
  'us-east-2': US_EAST_1,
  'us-west-2': US_EAST_1,
  'eu-west-1': {
    ...US_EAST_1,
    albHour: 0.0252,
    natGatewayHour: 0.048,
    t4gNanoHour: 0.0046,
    ebsGbMonth: 0.088,
    rdsGbMonth: 0.127,
    rdsHour: {
      'db.t4g.micro': 0.018,
      'db.t4g.small': 0.036,
      'db.t4g.medium': 0.072,
      'db.t4g.large': 0.144,
    },
    cacheT4gMicroHour: 0.017,
  },
  'eu-central-1': {
    ...US_EAST_1,
    fargateVcpuHour: 0.04656,
    fargateGbHour: 0.00511,
    albHour: 0.027,
    natGatewayHour: 0.052,
    t4gNanoHour: 0.0048,
    ebsGbMonth: 0.0952,
    rdsGbMonth: 0.133,
    rdsHour: {
      'db.t4g.micro': 0.019,
      'db.t4g.small': 0.037,
      'db.t4g.medium': 0.074,
      'db.t4g.large': 0.148,
    },
    cacheT4gMicroHour: 0.018,
  },
}

export function pricesFor(region: string): { prices: RegionPrices; exact: boolean } {
  const prices = REGION_PRICES[region]
  return prices ? { prices, exact: true } : { prices: US_EAST_1, exact: false }
}
