import type { Clock } from '../core/clock.js'
import { DjenvError } from '../core/errors.js'
import type { SsmApi } from './clients.js'
import { mapAwsError } from './errors.js'

/** What SSM StartSession returns, as the session layer takes it. */
export interface SsmSessionTarget {
  sessionId: string
  streamUrl: string
  tokenValue: string
}

/** The document djenv forwards ports with (ssm-protocol.md §13.1). */
export const REMOTE_HOST_DOCUMENT = 'AWS-StartPortForwardingSessionToRemoteHost'

/**
 * SSM StartSession of a port-forwarding session to `host:port` as seen from `target` (`i-…`
 * for a bastion, `ecs:<cluster>_<taskId>_<runtimeId>` for a task). Parameter values are arrays
 * of strings (§1).
 */
export async function startPortSession(
  ssm: SsmApi,
  input: { target: string; host: string; port: number; localPort: number },
  region: string,
): Promise<SsmSessionTarget> {
  const out = await ssm
    .startSession({
      Target: input.target,
      DocumentName: REMOTE_HOST_DOCUMENT,
      Parameters: {
        host: [input.host],
        portNumber: [String(input.port)],
        localPortNumber: [String(input.localPort)],
      },
    })
    .catch((err: unknown) => {
      const e = (err ?? {}) as { name?: string }
      if (e.name === 'TargetNotConnected' || e.name === 'TargetNotConnectedException') {
        throw new DjenvError(
          'SESSION_FAILED',
          `${input.target} is not connected to Session Manager.`,
          input.target.startsWith('ecs:')
            ? 'The task needs ECS Exec enabled and ssmmessages permissions on its task role; check `djenv env status`.'
            : 'The instance may be stopped or its SSM agent offline; try again in a minute.',
          err,
        )
      }
      throw mapAwsError(err, { action: 'ssm:StartSession', region })
    })
  if (!out.SessionId || !out.StreamUrl || !out.TokenValue) {
    throw new DjenvError(
      'SESSION_FAILED',
      `SSM StartSession on ${input.target} returned no session.`,
      'Try again; report this if it persists.',
    )
  }
  return { sessionId: out.SessionId, streamUrl: out.StreamUrl, tokenValue: out.TokenValue }
}

/** ssm:ResumeSession: a fresh token, or null when the session is gone (§15). */
export async function resumeSession(
  ssm: SsmApi,
  sessionId: string,
  region: string,
): Promise<string | null> {
  const out = await ssm.resumeSession({ SessionId: sessionId }).catch((err: unknown) => {
    throw mapAwsError(err, { action: 'ssm:ResumeSession', region })
  })
  return out.TokenValue ?? null
}

/** ssm:TerminateSession, best effort: a session already gone is fine. */
export async function terminateSession(ssm: SsmApi, sessionId: string): Promise<void> {
  await ssm.terminateSession({ SessionId: sessionId }).catch(() => undefined)
}

/** Whether SSM sees the instance's agent online (DescribeInstanceInformation PingStatus). */
export async function instanceOnline(
  ssm: SsmApi,
  instanceId: string,
  region: string,
): Promise<boolean> {
  const out = await ssm
    .describeInstanceInformation({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] })
    .catch((err: unknown) => {
      throw mapAwsError(err, { action: 'ssm:DescribeInstanceInformation', region })
    })
  return (out.InstanceInformationList ?? []).some(
    (i) => i.InstanceId === instanceId && i.PingStatus === 'Online',
  )
}

/** Polls until `instanceOnline`, or throws after `timeoutMs`. */
export async function waitForInstanceOnline(
  ssm: SsmApi,
  instanceId: string,
  region: string,
  clock: Clock,
  o: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const deadline = clock.now().getTime() + (o.timeoutMs ?? 300_000)
  for (;;) {
    if (await instanceOnline(ssm, instanceId, region)) return
    if (clock.now().getTime() >= deadline) {
      throw new DjenvError(
        'BASTION_UNAVAILABLE',
        `The SSM agent of ${instanceId} did not come online within ${Math.round((o.timeoutMs ?? 300_000) / 1000)} s.`,
        'Check the instance in the EC2 console (status checks, SSM agent), then try again.',
      )
    }
    await clock.sleep(o.intervalMs ?? 5000, o.signal)
  }
}
