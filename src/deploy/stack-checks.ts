import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { EnvNames } from '../config/naming.js'
import type { CloudFormationApi } from '../aws/clients.js'
import {
  blockingResources,
  describeStack,
  stackState,
  waitForStackIdle,
  type StackInfo,
} from '../aws/cloudformation.js'
import type { Project } from './project.js'

/** How long --wait waits for another operation on a stack. */
export const STACK_WAIT_MS = 60 * 60_000

/** The env's base stack, ready for an app: present and not busy or broken. */
export async function requireBase(
  cfn: CloudFormationApi,
  names: EnvNames,
  region: string,
): Promise<StackInfo> {
  const base = await describeStack(cfn, names.baseStack, region)
  if (!base || stackState(base.status) === 'never-created') {
    const command =
      names.kind === 'prod'
        ? `djenv base deploy --prod ${names.env}`
        : `djenv base deploy ${names.base}`
    throw new DjenvError(
      'BASE_NOT_FOUND',
      `Base stack ${names.baseStack} does not exist in ${region}.`,
      `Create it first with \`${command}\`.`,
    )
  }
  const state = stackState(base.status)
  if (state !== 'stable') {
    throw new DjenvError(
      state === 'busy' ? 'STACK_BUSY' : 'STACK_FAILED',
      `Base stack ${names.baseStack} is ${base.status}; an env needs it in a *_COMPLETE state.`,
      state === 'busy'
        ? 'Wait until it has finished, then run the command again.'
        : 'Repair it with `djenv base deploy`.',
    )
  }
  return base
}

/**
 * Checks an app stack before it is changed (issue #4, "States"): busy → wait with --wait or
 * STACK_BUSY; failed creation → explain, and recreate only when confirmed; DELETE_FAILED →
 * the resources that blocked it. Returns the stack as it is now (undefined: none).
 */
export async function checkStackUsable(
  stack: StackInfo | undefined,
  names: EnvNames,
  o: { wait: boolean; yes: boolean; action: 'create' | 'destroy' },
  project: Pick<Project, 'aws' | 'region'>,
  deps: Pick<Deps, 'ask' | 'clock' | 'signal' | 'report'>,
): Promise<StackInfo | undefined> {
  if (!stack || stackState(stack.status) === 'never-created') return undefined
  let current: StackInfo | undefined = stack
  if (stackState(current.status) === 'busy') {
    if (!o.wait) {
      throw new DjenvError(
        'STACK_BUSY',
        `Stack ${names.appStack} is ${current.status}: another operation is running on it.`,
        `Pass --wait to wait for it, or watch it with \`djenv env status ${names.env}\`.`,
      )
    }
    current = await deps.report.step(`Wait for ${names.appStack} (${current.status})`, (step) =>
      waitForStackIdle(project.aws.cfn, names.appStack, project.region, {
        clock: deps.clock,
        signal: deps.signal,
        timeoutMs: STACK_WAIT_MS,
        onStatus: (status) => step.detail(status),
      }),
    )
    if (!current) return undefined
  }
  const state = stackState(current.status)
  if (state === 'failed-create' && o.action === 'create') {
    const reason = current.statusReason ? ` (${current.statusReason})` : ''
    const confirmed =
      o.yes ||
      (await deps.ask.confirm({
        message: `Stack ${names.appStack} is ${current.status}: its creation failed${reason}. Delete it and create it again?`,
        flag: '--yes',
      }))
    if (!confirmed) {
      throw new DjenvError(
        'CANCELLED',
        `Left ${names.appStack} as it is (${current.status}).`,
        'Run again and confirm, or pass --yes.',
      )
    }
  }
  if (state === 'delete-failed') {
    const blocking = await blockingResources(project.aws.cfn, names.appStack, project.region)
    const list = blocking
      .map((r) => `${r.logicalId} (${r.type}): ${r.reason ?? 'no reason'}`)
      .join('; ')
    throw new DjenvError(
      'STACK_FAILED',
      `Stack ${names.appStack} is DELETE_FAILED; blocked by ${list || 'resources CloudFormation did not name'}.`,
      `Remove what blocks it (see the reasons), then run \`djenv env destroy ${names.env}\` again.`,
    )
  }
  return current
}
