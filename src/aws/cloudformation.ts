import type { Stack } from '@aws-sdk/client-cloudformation'

import type { Clock } from '../core/clock.js'
import { DjenvError } from '../core/errors.js'
import type { CloudFormationApi } from './clients.js'
import { mapAwsError } from './errors.js'

/** A stack as djenv reads it: plain data, no SDK types. */
export interface StackInfo {
  name: string
  id: string
  status: string
  statusReason: string | null
  outputs: Record<string, string>
  tags: Record<string, string>
  createdAt: string
  updatedAt: string | null
  terminationProtection: boolean
}

/** What a stack's status means for djenv. */
export type StackState =
  | 'never-created' // REVIEW_IN_PROGRESS: only a change set was made (e.g. one that failed)
  | 'stable' // *_COMPLETE, ready for an update
  | 'busy' // *_IN_PROGRESS: another operation runs
  | 'failed-create' // ROLLBACK_COMPLETE / ROLLBACK_FAILED / CREATE_FAILED: can only be deleted
  | 'update-rollback-failed' // UPDATE_ROLLBACK_FAILED: needs a rollback first
  | 'delete-failed' // DELETE_FAILED: resources blocked the delete
  | 'failed' // UPDATE_FAILED, IMPORT_ROLLBACK_FAILED, …

export function stackState(status: string): StackState {
  // A stack whose first change set was never executed: nothing exists, and a new CREATE
  // change set is allowed, so it is not busy.
  if (status === 'REVIEW_IN_PROGRESS') return 'never-created'
  if (status.endsWith('_IN_PROGRESS')) return 'busy'
  if (status === 'ROLLBACK_COMPLETE' || status === 'ROLLBACK_FAILED' || status === 'CREATE_FAILED')
    return 'failed-create'
  if (status === 'UPDATE_ROLLBACK_FAILED') return 'update-rollback-failed'
  if (status === 'DELETE_FAILED') return 'delete-failed'
  if (status.endsWith('_COMPLETE')) return 'stable'
  return 'failed'
}

function toInfo(s: Stack): StackInfo {
  return {
    name: s.StackName ?? '',
    id: s.StackId ?? '',
    status: s.StackStatus ?? 'UNKNOWN',
    statusReason: s.StackStatusReason ?? null,
    outputs: Object.fromEntries(
      (s.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    ),
    tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    createdAt: (s.CreationTime ?? new Date(0)).toISOString(),
    updatedAt: s.LastUpdatedTime ? s.LastUpdatedTime.toISOString() : null,
    terminationProtection: Boolean(s.EnableTerminationProtection),
  }
}

/** CloudFormation reports a missing stack as an untyped ValidationError with this message. */
function isMissingStack(err: unknown): boolean {
  const e = err as { name?: string; message?: string }
  return e.name === 'ValidationError' && /does not exist/.test(e.message ?? '')
}

/** The stack named `name`, or undefined when there is none (a deleted stack counts as none). */
export async function describeStack(
  cfn: CloudFormationApi,
  name: string,
  region: string,
): Promise<StackInfo | undefined> {
  try {
    const out = await cfn.describeStacks({ StackName: name })
    const stack = out.Stacks?.[0]
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return undefined
    return toInfo(stack)
  } catch (err) {
    if (isMissingStack(err)) return undefined
    throw mapAwsError(err, { action: 'cloudformation:DescribeStacks', region })
  }
}

/**
 * Every live stack of the project, base and app alike, from one paginated DescribeStacks:
 * a page holds up to 100 stacks with their outputs and tags, so no call per env.
 */
export async function listProjectStacks(
  cfn: CloudFormationApi,
  project: string,
  region: string,
): Promise<StackInfo[]> {
  const stacks: StackInfo[] = []
  let token: string | undefined
  do {
    const out = await cfn.describeStacks({ NextToken: token }).catch((err: unknown) => {
      throw mapAwsError(err, { action: 'cloudformation:DescribeStacks', region })
    })
    for (const s of out.Stacks ?? []) {
      const info = toInfo(s)
      if (info.tags['djenv:project'] === project && info.status !== 'DELETE_COMPLETE')
        stacks.push(info)
    }
    token = out.NextToken
  } while (token)
  return stacks.sort((a, b) => a.name.localeCompare(b.name))
}

/** The app stacks (one per env) on `base`, among a project's stacks. */
export function envStacksOn(stacks: readonly StackInfo[], base: string): StackInfo[] {
  return stacks.filter((s) => s.tags['djenv:base'] === base && s.tags['djenv:env'] !== undefined)
}

/** A stack event, newest first. */
export interface StackEventInfo {
  time: string
  logicalId: string
  type: string
  status: string
  reason: string | null
}

export async function recentEvents(
  cfn: CloudFormationApi,
  name: string,
  region: string,
  limit = 10,
): Promise<StackEventInfo[]> {
  const out = await cfn.describeStackEvents({ StackName: name }).catch((err: unknown) => {
    if (isMissingStack(err)) return { StackEvents: [] }
    throw mapAwsError(err, { action: 'cloudformation:DescribeStackEvents', region })
  })
  return (out.StackEvents ?? []).slice(0, limit).map((e) => ({
    time: (e.Timestamp ?? new Date(0)).toISOString(),
    logicalId: e.LogicalResourceId ?? '',
    type: e.ResourceType ?? '',
    status: e.ResourceStatus ?? '',
    reason: e.ResourceStatusReason ?? null,
  }))
}

/** Resources whose deletion failed: what blocked a DELETE_FAILED stack. */
export async function blockingResources(
  cfn: CloudFormationApi,
  name: string,
  region: string,
): Promise<StackEventInfo[]> {
  const found: StackEventInfo[] = []
  let token: string | undefined
  do {
    const out = await cfn
      .listStackResources({ StackName: name, NextToken: token })
      .catch((err: unknown) => {
        throw mapAwsError(err, { action: 'cloudformation:ListStackResources', region })
      })
    for (const r of out.StackResourceSummaries ?? []) {
      if (r.ResourceStatus === 'DELETE_FAILED') {
        found.push({
          time: (r.LastUpdatedTimestamp ?? new Date(0)).toISOString(),
          logicalId: r.LogicalResourceId ?? '',
          type: r.ResourceType ?? '',
          status: r.ResourceStatus,
          reason: r.ResourceStatusReason ?? null,
        })
      }
    }
    token = out.NextToken
  } while (token)
  return found
}

/**
 * Waits until the stack leaves *_IN_PROGRESS (or disappears), polling every `everyMs`.
 * Fails with STACK_BUSY when `timeoutMs` passes first.
 */
export async function waitForStackIdle(
  cfn: CloudFormationApi,
  name: string,
  region: string,
  o: {
    clock: Clock
    signal?: AbortSignal
    timeoutMs: number
    everyMs?: number
    onStatus?: (status: string) => void
  },
): Promise<StackInfo | undefined> {
  const deadline = o.clock.now().getTime() + o.timeoutMs
  for (;;) {
    const stack = await describeStack(cfn, name, region)
    if (!stack || stackState(stack.status) !== 'busy') return stack
    o.onStatus?.(stack.status)
    if (o.clock.now().getTime() >= deadline) {
      throw new DjenvError(
        'STACK_BUSY',
        `Stack ${name} is still ${stack.status} after ${Math.round(o.timeoutMs / 60000)} minutes.`,
        'Watch it with `djenv env status`, and run the command again once it has finished.',
      )
    }
    await o.clock.sleep(o.everyMs ?? 10_000, o.signal)
  }
}
