import type { Clock } from '../core/clock.js'
import { DjenvError } from '../core/errors.js'
import type { Ec2Api } from './clients.js'
import { mapAwsError } from './errors.js'

/** An instance's state name (pending, running, stopping, stopped, …), or null when it is gone. */
export async function instanceState(
  ec2: Ec2Api,
  instanceId: string,
  region: string,
): Promise<string | null> {
  const out = await ec2.describeInstances({ InstanceIds: [instanceId] }).catch((err: unknown) => {
    if ((err as { name?: string }).name === 'InvalidInstanceID.NotFound')
      return { Reservations: [] }
    throw mapAwsError(err, { action: 'ec2:DescribeInstances', region })
  })
  const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find(
    (i) => i.InstanceId === instanceId,
  )
  return instance?.State?.Name ?? null
}

/**
 * Brings an instance to `running`: waits out `pending` or `stopping`, starts it when stopped.
 * Returns true when djenv started it. Terminated or missing instances are an error.
 */
export async function ensureInstanceRunning(
  ec2: Ec2Api,
  instanceId: string,
  region: string,
  clock: Clock,
  o: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<boolean> {
  const deadline = clock.now().getTime() + (o.timeoutMs ?? 300_000)
  let started = false
  for (;;) {
    const state = await instanceState(ec2, instanceId, region)
    if (state === 'running') return started
    if (state === null || state === 'terminated' || state === 'shutting-down') {
      throw new DjenvError(
        'BASTION_UNAVAILABLE',
        `Bastion ${instanceId} ${state === null ? 'does not exist' : `is ${state}`} in ${region}.`,
        'Deploy the base again (`djenv base deploy`) to recreate it, or use `--via task`.',
      )
    }
    if (state === 'stopped' && !started) {
      await ec2.startInstances({ InstanceIds: [instanceId] }).catch((err: unknown) => {
        throw mapAwsError(err, { action: 'ec2:StartInstances', region })
      })
      started = true
    }
    if (clock.now().getTime() >= deadline) {
      throw new DjenvError(
        'BASTION_UNAVAILABLE',
        `Bastion ${instanceId} is still ${state} after ${Math.round((o.timeoutMs ?? 300_000) / 1000)} s.`,
        'Check it in the EC2 console, then try again, or use `--via task`.',
      )
    }
    await clock.sleep(o.intervalMs ?? 5000, o.signal)
  }
}
