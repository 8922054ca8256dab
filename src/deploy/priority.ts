import { createHash } from 'node:crypto'

import { DjenvError } from '../core/errors.js'
import type { Elbv2Api, SsmApi } from '../aws/clients.js'
import { listenerPriorities } from '../aws/elbv2.js'
import { claimParameter, parametersByPath } from '../aws/ssm.js'
import { priorityClaim } from './env-state.js'

/**
 * Listener-rule priorities on a shared HTTPS listener (infrastructure.md §4.4): each env
 * owns a block of PRIORITY_BLOCK priorities in [FIRST_PRIORITY, LAST_PRIORITY]; its main rule
 * takes the block's first. Only uniqueness matters, since every env matches its own Host.
 */
export const FIRST_PRIORITY = 1000
export const LAST_PRIORITY = 49990
export const PRIORITY_BLOCK = 10
export const PRIORITY_BLOCKS = (LAST_PRIORITY - FIRST_PRIORITY) / PRIORITY_BLOCK + 1

/** The block an env tries first: a hash of its name, so plans are stable and collisions rare. */
export function hashedPriority(env: string): number {
  const n = createHash('sha256').update(env).digest().readUInt32BE(0)
  return FIRST_PRIORITY + (n % PRIORITY_BLOCKS) * PRIORITY_BLOCK
}

/** The block after `priority`, wrapping around to the first. */
export function nextPriority(priority: number): number {
  const next = priority + PRIORITY_BLOCK
  return next > LAST_PRIORITY ? FIRST_PRIORITY : next
}

/** The start of the block `priority` falls in. */
export function blockOf(priority: number): number {
  return FIRST_PRIORITY + Math.floor((priority - FIRST_PRIORITY) / PRIORITY_BLOCK) * PRIORITY_BLOCK
}

/** How an env got its priority block. */
export type PrioritySource = 'kept' | 'claimed'

export interface PriorityInput {
  env: string
  listenerArn: string
  /** `/djenv/<project>/<base>`: claims live under `<ssmRoot>/priorities/<n>`. */
  ssmRoot: string
  /** The priority the env's stack already has (its ListenerRulePriority output). */
  existing?: number
}

/**
 * Allocates an env's block of listener-rule priorities (infrastructure.md §4.4). An env keeps
 * the block it has; a claim it already holds is reused; otherwise, from the block its name
 * hashes to, the first block no rule and no claim uses is claimed with an atomic
 * PutParameter(Overwrite: false). Losing that race to a concurrent create moves on to the
 * next block, so two, ten or fifty envs never share one.
 */
export async function allocatePriority(
  aws: { ssm: SsmApi; elbv2: Elbv2Api },
  region: string,
  input: PriorityInput,
): Promise<{ priority: number; source: PrioritySource }> {
  if (input.existing !== undefined) return { priority: input.existing, source: 'kept' }
  const claims = await parametersByPath(aws.ssm, `${input.ssmRoot}/priorities`, region)
  const mine = claims.find((c) => c.value === input.env)
  if (mine) return { priority: Number(mine.name.split('/').pop()), source: 'kept' }
  const taken = new Set(claims.map((c) => blockOf(Number(c.name.split('/').pop()))))
  for (const p of await listenerPriorities(aws.elbv2, input.listenerArn, region))
    taken.add(blockOf(p))
  let priority = hashedPriority(input.env)
  for (let i = 0; i < PRIORITY_BLOCKS; i++, priority = nextPriority(priority)) {
    if (taken.has(priority)) continue
    const holder = await claimParameter(
      aws.ssm,
      priorityClaim(input.ssmRoot, priority),
      input.env,
      region,
    )
    if (holder === input.env) return { priority, source: 'claimed' }
    taken.add(priority)
  }
  throw new DjenvError(
    'PRIORITY_EXHAUSTED',
    `Every listener-rule priority block of ${input.listenerArn} is taken.`,
    'Destroy envs you no longer need (`djenv env gc`), or use a second base.',
  )
}
