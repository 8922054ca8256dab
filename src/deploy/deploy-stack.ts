import type { App } from 'aws-cdk-lib'

import type { Deps } from '../core/command.js'
import { djenvContext } from '../infra/index.js'
import type { Decisions } from './io-host.js'
import type { Project } from './project.js'
import { deployOptions, one, openToolkit, synthesize, toolkitError } from './toolkit.js'

export interface DeployedStack {
  stackArn: string
  outputs: Record<string, string>
  /** CloudFormation found nothing to change. */
  noOp: boolean
}

/**
 * Synthesizes the stacks `build` adds and deploys `stackName` with toolkit-lib, as one step.
 * `region`: where the stack lives when not in the project's region (the CDN certificate).
 */
export async function deployStack(
  project: Project,
  o: {
    stackName: string
    title: string
    build: (app: App) => void
    decisions: Omit<Decisions, 'destroyConfirmed'>
    region?: string
  },
  deps: Pick<Deps, 'report' | 'terminal' | 'env'>,
): Promise<DeployedStack> {
  return deps.report.step(o.title, async (step) => {
    const h = await openToolkit({
      offline: false,
      region: o.region ?? project.region,
      profile: project.profile,
      color: deps.terminal.color,
      sink: step,
      decisions: { ...o.decisions, destroyConfirmed: false },
    })
    try {
      const asm = await synthesize(h, o.build, {
        context: djenvContext(project.config, project.account),
        validate: false,
        lookups: false,
      })
      try {
        const result = await h.toolkit.deploy(asm, deployOptions(h, o.stackName, polling(deps.env)))
        const stack = result.stacks.find((s) => s.stackName === o.stackName)
        return {
          stackArn: stack?.stackArn ?? h.host.lastDeploy?.stackArn ?? '',
          outputs: stack?.outputs ?? h.host.lastDeploy?.outputs ?? {},
          noOp: h.host.lastDeploy?.noOp ?? false,
        }
      } finally {
        await asm.dispose()
      }
    } catch (err) {
      throw toolkitError(h, err, o.stackName)
    }
  })
}

/** Destroys `stackName` with toolkit-lib; the workflow has confirmed before. */
export async function destroyStack(
  project: Project,
  o: { stackName: string; title: string; build: (app: App) => void; region?: string },
  deps: Pick<Deps, 'report' | 'terminal' | 'ask' | 'env'>,
): Promise<{ existed: boolean }> {
  return deps.report.step(o.title, async (step) => {
    const h = await openToolkit({
      offline: false,
      region: o.region ?? project.region,
      profile: project.profile,
      color: deps.terminal.color,
      sink: step,
      decisions: { yes: true, destroyConfirmed: true, approval: 'never', ask: deps.ask },
    })
    try {
      const source = await synthesize(h, o.build, {
        context: djenvContext(project.config, project.account),
        validate: false,
        lookups: false,
      })
      try {
        const result = await h.toolkit.destroy(source, {
          stacks: one(h, o.stackName),
          ...polling(deps.env),
        })
        return { existed: result.stacks.some((s) => s.stackExisted) }
      } finally {
        await source.dispose()
      }
    } catch (err) {
      throw toolkitError(h, err, o.stackName)
    }
  })
}

/**
 * How often toolkit-lib polls stack events: its default (2–5 s) unless DJENV_STACK_POLL_MS
 * says otherwise, which the tests do against a fake CloudFormation.
 */
function polling(env: NodeJS.ProcessEnv): { stackEventPollingInterval?: number } {
  const ms = Number(env.DJENV_STACK_POLL_MS)
  return Number.isInteger(ms) && ms > 0 ? { stackEventPollingInterval: ms } : {}
}
