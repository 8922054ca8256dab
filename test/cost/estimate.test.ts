import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

import { loadConfig } from '../../src/config/load.js'
import { configSchema } from '../../src/config/schema.js'
import { estimateEnvCost, fargateMonthly } from '../../src/cost/estimate.js'
import { pricesFor } from '../../src/cost/prices.js'
import { renderCost } from '../../src/ui/render/cost.js'
import { MINIMAL_CONFIG } from '../support/tmp.js'

const example = (
  await loadConfig({ cwd: fileURLToPath(new URL('../../examples/shop', import.meta.url)) })
).data
const adhocServices = ['web', 'worker', 'beat'].map((name) => ({
  name,
  tasks: 1,
  cpu: 256,
  memory: 512,
}))

describe('fargateMonthly', () => {
  it('prices 0.25 vCPU / 0.5 GB for a month as AWS does (hand-computed)', () => {
    const { prices } = pricesFor('us-east-1')

    // (0.25 × 0.04048 + 0.5 × 0.004445) $/h × 730 h = 9.010025 $
    expect(fargateMonthly(prices, 256, 512, 1, false)).toBeCloseTo(9.010025, 6)
    // Spot at 30 % of on-demand
    expect(fargateMonthly(prices, 256, 512, 1, true)).toBeCloseTo(2.7030075, 6)
    // 1 vCPU / 2 GB × 2 tasks: (0.04048 + 2 × 0.004445) × 730 × 2 = 72.0802
    expect(fargateMonthly(prices, 1024, 2048, 2, false)).toBeCloseTo(72.0802, 4)
  })
})

describe('estimateEnvCost', () => {
  it('keeps the default ad hoc env at or under $10 a month, on Spot', () => {
    const cost = estimateEnvCost(example, { kind: 'adhoc', services: adhocServices }, null)

    expect(cost.services.map((s) => [s.name, s.capacity, s.monthlyUsd])).toEqual([
      ['web', 'spot', 2.7],
      ['worker', 'spot', 2.7],
      ['beat', 'spot', 2.7],
    ])
    expect(cost.envMonthlyUsd).toBe(8.1)
    expect(cost.envMonthlyUsd).toBeLessThanOrEqual(10)
    expect(cost.base.shareUsd).toBeNull()
    expect(cost.label).toContain('Estimate at AWS list prices of 2026-11 for eu-west-1')
  })

  it('prices a minimal base item by item and shares it among its envs (hand-computed, us-east-1)', () => {
    const config = configSchema.parse({ ...MINIMAL_CONFIG, region: 'us-east-1' })

    const cost = estimateEnvCost(
      config,
      { kind: 'adhoc', services: [{ name: 'web', tasks: 1, cpu: 256, memory: 512 }] },
      4,
    )

    expect(cost.base.items).toEqual([
      { item: 'load balancer', monthlyUsd: 16.43, usage: null }, // 0.0225 × 730
      { item: 'public IPv4 addresses (3)', monthlyUsd: 10.95, usage: null }, // 3 × 0.005 × 730
      { item: 'NAT instance (t4g.nano)', monthlyUsd: 3.71, usage: null }, // 0.0042 × 730 + 8 × 0.08
      { item: 'PostgreSQL db.t4g.micro, 20 GB', monthlyUsd: 13.98, usage: null }, // 0.016 × 730 + 20 × 0.115
      { item: 'database master secret', monthlyUsd: 0.4, usage: null },
      { item: 'bastion (t4g.nano)', monthlyUsd: 3.71, usage: null },
      {
        item: "CloudFront distribution, shared by the base's envs",
        monthlyUsd: 0, // no fixed charge: transfer and requests only
        usage: expect.stringContaining('usage-based'),
      },
    ])
    expect(cost.base.monthlyUsd).toBe(49.18)
    expect(cost.base.shareUsd).toBe(12.3) // 49.18 / 4
  })

  it('prices production on demand with a NAT gateway, Multi-AZ database and two Redis nodes', () => {
    const cost = estimateEnvCost(
      example,
      {
        kind: 'prod',
        prodEnv: 'prod',
        services: [{ name: 'web', tasks: 2, cpu: 1024, memory: 2048 }],
      },
      1,
    )

    expect(cost.services[0]).toMatchObject({ capacity: 'on-demand', monthlyUsd: 72.08 })
    expect(cost.base.items.map((i) => i.item)).toEqual([
      'load balancer',
      'public IPv4 addresses (2)',
      'NAT gateway',
      'PostgreSQL db.t4g.small Multi-AZ, 20 GB',
      'database master secret',
      'Redis (cache.t4g.micro × 2)',
      'bastion (t4g.nano)',
      "CloudFront distribution, the env's own",
    ])
    expect(cost.base.shareUsd).toBe(cost.base.monthlyUsd)
  })

  it('lists no distribution with static.cdn off, and the same totals', () => {
    const on = configSchema.parse({ ...MINIMAL_CONFIG, region: 'us-east-1' })
    const off = configSchema.parse({
      ...MINIMAL_CONFIG,
      region: 'us-east-1',
      static: { cdn: false },
    })
    const shape = { kind: 'adhoc' as const, services: adhocServices }

    const withCdn = estimateEnvCost(on, shape, 2)
    const without = estimateEnvCost(off, shape, 2)

    expect(withCdn.base.items.map((i) => i.item)).toContain(
      "CloudFront distribution, shared by the base's envs",
    )
    expect(without.base.items.map((i) => i.item).join()).not.toContain('CloudFront')
    expect(without.base.items).toEqual(withCdn.base.items.slice(0, -1))
    expect(without.base.monthlyUsd).toBe(withCdn.base.monthlyUsd)
    expect(without.base.shareUsd).toBe(withCdn.base.shareUsd)
    expect(without.envMonthlyUsd).toBe(withCdn.envMonthlyUsd)
  })

  it('says when a region has no price table of its own', () => {
    const config = configSchema.parse({ ...MINIMAL_CONFIG, region: 'ap-south-1' })

    expect(estimateEnvCost(config, { kind: 'adhoc', services: [] }, null).label).toContain(
      'us-east-1 (no table for ap-south-1)',
    )
  })
})

describe('renderCost', () => {
  const config = configSchema.parse({ ...MINIMAL_CONFIG, region: 'us-east-1' })
  const adhoc = { kind: 'adhoc' as const, services: adhocServices }

  it('shows the ad hoc base as shared, its distribution with no fixed charge and usage-based transfer', () => {
    const lines = renderCost(estimateEnvCost(config, adhoc, 4))

    expect(lines).toEqual([
      'Estimated cost: $8.10/month for the env (web $2.70, worker $2.70, beat $2.70; spot)',
      '  Base: $49.18/month, your share $12.30 with 4 envs (load balancer $16.43, public IPv4 addresses (3) $10.95, NAT instance (t4g.nano) $3.71, PostgreSQL db.t4g.micro, 20 GB $13.98, database master secret $0.40, bastion (t4g.nano) $3.71)',
      "  CloudFront distribution, shared by the base's envs: $0.00/month fixed; transfer out and requests are usage-based (the always-free tier covers 1 TB and 10 M requests a month)",
      expect.stringContaining('  Estimate at AWS list prices of 2026-11 for us-east-1'),
    ])
  })

  it("shows a production env's own distribution", () => {
    const lines = renderCost(
      estimateEnvCost(
        example,
        {
          kind: 'prod',
          prodEnv: 'prod',
          services: [{ name: 'web', tasks: 2, cpu: 1024, memory: 2048 }],
        },
        1,
      ),
    )

    expect(lines[1]).toMatch(/^ {2}Base: \$[\d.]+\/month, its own \(/)
    expect(lines[2]).toBe(
      "  CloudFront distribution, the env's own: $0.00/month fixed; transfer out and requests are usage-based (the always-free tier covers 1 TB and 10 M requests a month)",
    )
  })

  it('has no CloudFront line with static.cdn off', () => {
    const off = configSchema.parse({
      ...MINIMAL_CONFIG,
      region: 'us-east-1',
      static: { cdn: false },
    })

    const lines = renderCost(estimateEnvCost(off, adhoc, 4))

    expect(lines).toHaveLength(3)
    expect(lines.join('\n')).not.toContain('CloudFront')
  })
})
