import {
  ElasticLoadBalancingV2Client,
  DescribeRulesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterAlreadyExists,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'

import { createAws } from '../../src/aws/clients.js'
import {
  allocatePriority,
  blockOf,
  FIRST_PRIORITY,
  hashedPriority,
  LAST_PRIORITY,
  nextPriority,
} from '../../src/deploy/priority.js'

const ssm = mockClient(SSMClient)
const elb = mockClient(ElasticLoadBalancingV2Client)
const LISTENER =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-dev-alb/abc/def'
const ROOT = '/djenv/shop/dev'

/** SSM with conditional puts, as AWS does them: a claim exists once, first writer wins. */
function ssmStore(initial: Record<string, string> = {}) {
  const store = new Map(Object.entries(initial))
  ssm.on(GetParametersByPathCommand).callsFake((input: { Path: string }) => ({
    Parameters: [...store]
      .filter(([k]) => k.startsWith(`${input.Path}/`))
      .map(([Name, Value]) => ({ Name, Value, Version: 1 })),
  }))
  ssm
    .on(PutParameterCommand)
    .callsFake((input: { Name: string; Value: string; Overwrite?: boolean }) => {
      if (store.has(input.Name) && !input.Overwrite)
        throw new ParameterAlreadyExists({ message: 'exists', $metadata: {} })
      store.set(input.Name, input.Value)
      return { Version: 1 }
    })
  ssm
    .on(GetParameterCommand)
    .callsFake((input: { Name: string }) => ({
      Parameter: { Name: input.Name, Value: store.get(input.Name) },
    }))
  return store
}

function rules(...priorities: number[]) {
  elb
    .on(DescribeRulesCommand)
    .resolves({
      Rules: [
        { Priority: 'default', IsDefault: true },
        ...priorities.map((p) => ({ Priority: String(p) })),
      ],
    })
}

const aws = () => createAws({ region: 'eu-west-1' })

beforeEach(() => {
  ssm.reset()
  elb.reset()
  ssm.onAnyCommand().rejects(new Error('unexpected SSM call'))
  elb.onAnyCommand().rejects(new Error('unexpected ELB call'))
})

describe('priority blocks', () => {
  it('hashes names into blocks of 10 within the allowed range', () => {
    for (const name of ['pr-1', 'pr-2', 'feature-x', 'a']) {
      const p = hashedPriority(name)
      expect(p).toBeGreaterThanOrEqual(FIRST_PRIORITY)
      expect(p).toBeLessThanOrEqual(LAST_PRIORITY)
      expect((p - FIRST_PRIORITY) % 10).toBe(0)
    }
    expect(nextPriority(LAST_PRIORITY)).toBe(FIRST_PRIORITY)
    expect(blockOf(1234)).toBe(1230)
  })
})

describe('allocatePriority', () => {
  it('keeps the priority an existing env has, without any call', async () => {
    expect(
      await allocatePriority(aws(), 'eu-west-1', {
        env: 'pr-42',
        listenerArn: LISTENER,
        ssmRoot: ROOT,
        existing: 4560,
      }),
    ).toEqual({ priority: 4560, source: 'kept' })
    expect(ssm.calls()).toHaveLength(0)
  })

  it('claims the hashed block when it is free', async () => {
    const store = ssmStore()
    rules()

    const got = await allocatePriority(aws(), 'eu-west-1', {
      env: 'pr-42',
      listenerArn: LISTENER,
      ssmRoot: ROOT,
    })

    expect(got).toEqual({ priority: hashedPriority('pr-42'), source: 'claimed' })
    expect(store.get(`${ROOT}/priorities/${hashedPriority('pr-42')}`)).toBe('pr-42')
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: `${ROOT}/priorities/${hashedPriority('pr-42')}`,
      Value: 'pr-42',
      Overwrite: false,
      Type: 'String',
    })
  })

  it('reuses a claim the env made before (a create that failed half-way)', async () => {
    ssmStore({ [`${ROOT}/priorities/7770`]: 'pr-42' })

    expect(
      await allocatePriority(aws(), 'eu-west-1', {
        env: 'pr-42',
        listenerArn: LISTENER,
        ssmRoot: ROOT,
      }),
    ).toEqual({ priority: 7770, source: 'kept' })
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand)
  })

  it('skips blocks used by a rule or claimed by another env', async () => {
    const h = hashedPriority('pr-42')
    ssmStore({ [`${ROOT}/priorities/${nextPriority(h)}`]: 'pr-7' })
    rules(h + 1) // a path rule inside the hashed block

    const got = await allocatePriority(aws(), 'eu-west-1', {
      env: 'pr-42',
      listenerArn: LISTENER,
      ssmRoot: ROOT,
    })

    expect(got.priority).toBe(nextPriority(nextPriority(h)))
  })

  it('moves on when a concurrent create wins the claim race', async () => {
    const h = hashedPriority('pr-42')
    const store = ssmStore()
    rules()
    // Another CI job claims the hashed block between our read and our write.
    ssm.on(PutParameterCommand, { Name: `${ROOT}/priorities/${h}` }).callsFake(() => {
      store.set(`${ROOT}/priorities/${h}`, 'pr-43')
      throw new ParameterAlreadyExists({ message: 'exists', $metadata: {} })
    })

    const got = await allocatePriority(aws(), 'eu-west-1', {
      env: 'pr-42',
      listenerArn: LISTENER,
      ssmRoot: ROOT,
    })

    expect(got).toEqual({ priority: nextPriority(h), source: 'claimed' })
    expect(store.get(`${ROOT}/priorities/${h}`)).toBe('pr-43')
  })

  it('gives fifty envs on one base fifty distinct blocks', async () => {
    const store = ssmStore()
    rules()
    const got = new Set<number>()

    for (let i = 1; i <= 50; i++) {
      got.add(
        (
          await allocatePriority(aws(), 'eu-west-1', {
            env: `pr-${i}`,
            listenerArn: LISTENER,
            ssmRoot: ROOT,
          })
        ).priority,
      )
    }

    expect(got.size).toBe(50)
    expect([...store.values()].sort()).toHaveLength(50)
  })

  it('fails with PRIORITY_EXHAUSTED when every block is taken', async () => {
    ssmStore()
    const all: number[] = []
    for (let p = FIRST_PRIORITY; p <= LAST_PRIORITY; p += 10) all.push(p)
    rules(...all)

    await expect(
      allocatePriority(aws(), 'eu-west-1', { env: 'pr-42', listenerArn: LISTENER, ssmRoot: ROOT }),
    ).rejects.toMatchObject({ djenvCode: 'PRIORITY_EXHAUSTED' })
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand)
  })
})
