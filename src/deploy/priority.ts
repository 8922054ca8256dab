import { createHash } from 'node:crypto'

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
