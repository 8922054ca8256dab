import type { IIoHost, IoMessage, IoRequest, ToolkitAction } from '@aws-cdk/toolkit-lib'

import { debugFor } from '../core/debug.js'
import type { Asker } from '../ui/ask.js'

const log = debugFor('deploy')

/** Where the host sends what it learns: the current Reporter step and the debug log. */
export interface IoSink {
  detail(text: string): void
}

/** A CloudFormation event that failed, kept for the error message. */
export interface FailedEvent {
  logicalId: string
  type: string
  status: string
  reason: string
}

/** Approval policy for stack changes (cdk-toolkit-lib.md §9.3). */
export type ApprovalPolicy = 'never' | 'broadening' | 'any-change'

/** What the workflow decided before toolkit-lib asks: the host never decides on its own. */
export interface Decisions {
  /** --yes: approve everything. */
  yes: boolean
  /** The workflow already confirmed a destroy. */
  destroyConfirmed: boolean
  approval: ApprovalPolicy
  ask: Asker
}

interface StackActivity {
  event: {
    ResourceStatus?: string
    ResourceType?: string
    LogicalResourceId?: string
    ResourceStatusReason?: string
  }
  progress: { completed: number; total?: number }
}

/**
 * djenv's IoHost: draws nothing itself. Stack activity becomes detail lines of the current
 * step; failures are kept for the error; requests are answered from the workflow's decisions,
 * and a question nobody can answer is kept in `pending` (never thrown: toolkit-lib would skip
 * its clean-up and leave a change set behind).
 */
export class DjenvIoHost implements IIoHost {
  pending?: unknown
  readonly failures: FailedEvent[] = []
  /** Outputs and no-op flag of the last stack deployed (CDK_TOOLKIT_I5900). */
  lastDeploy?: { noOp: boolean; outputs: Record<string, string>; stackArn: string }
  /** The toolkit action of the last message (`deploy`, `destroy`, ...), to name a failure. */
  action?: ToolkitAction

  constructor(
    private sink: IoSink,
    private readonly decisions: Decisions,
  ) {}

  /** Sends further activity to another step. */
  attach(sink: IoSink): void {
    this.sink = sink
  }

  async notify(msg: IoMessage<unknown>): Promise<void> {
    this.action = msg.action
    switch (msg.code) {
      case 'CDK_TOOLKIT_I5502': {
        const { event: e, progress: p } = msg.data as StackActivity
        this.sink.detail(
          `${p.completed}/${p.total ?? '?'} ${e.ResourceStatus ?? ''} ${e.ResourceType ?? ''} ${e.LogicalResourceId ?? ''}`.trim(),
        )
        if (
          e.ResourceStatus?.endsWith('_FAILED') &&
          e.ResourceStatusReason !== 'Resource creation cancelled'
        ) {
          this.failures.push({
            logicalId: e.LogicalResourceId ?? '?',
            type: e.ResourceType ?? '?',
            status: e.ResourceStatus,
            reason: e.ResourceStatusReason ?? '',
          })
        }
        return
      }
      case 'CDK_TOOLKIT_I5900': {
        const data = msg.data as {
          noOp?: boolean
          outputs?: Record<string, string>
          stackArn?: string
        }
        this.lastDeploy = {
          noOp: Boolean(data.noOp),
          outputs: data.outputs ?? {},
          stackArn: data.stackArn ?? '',
        }
        return
      }
      case 'CDK_TOOLKIT_I5100':
      case 'CDK_TOOLKIT_I7100':
        this.sink.detail(stripAnsi(msg.message))
        return
      default:
        log('%s %s %s', msg.code ?? '-', msg.level, stripAnsi(msg.message))
    }
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    this.action = msg.action
    log('request %s', msg.code)
    switch (msg.code) {
      case 'CDK_TOOLKIT_I5060': {
        const data = msg.data as { permissionChangeType?: string }
        const needed =
          this.decisions.approval === 'any-change' ||
          (this.decisions.approval === 'broadening' && data.permissionChangeType === 'broadening')
        return (await this.approve(stripAnsi(msg.message), needed)) as T
      }
      case 'CDK_TOOLKIT_I5050':
        return (await this.approve(stripAnsi(msg.message), true)) as T
      case 'CDK_TOOLKIT_I7010':
        // Inside a deploy this would delete a stack that became empty: never.
        return (msg.action === 'destroy' && this.decisions.destroyConfirmed) as T
      default:
        return msg.defaultResponse
    }
  }

  private async approve(question: string, needed: boolean): Promise<boolean> {
    if (!needed || this.decisions.yes) return true
    try {
      return await this.decisions.ask.confirm({ message: question, flag: '--yes' })
    } catch (err) {
      this.pending = err
      return false
    }
  }
}

export function stripAnsi(text: string): string {
  return text.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
}
