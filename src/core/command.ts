import { Command, Flags, type Interfaces } from '@oclif/core'

import { enableVerbose, debugFor } from './debug.js'
import { toDjenvError, type DjenvError, type ErrorJson } from './errors.js'
import { detectTerminal, type Terminal } from './interactive.js'
import { systemClock, type Clock } from './clock.js'
import type { Asker } from '../ui/ask.js'
import type { Reporter } from '../ui/reporter.js'

const log = debugFor('cli')

/** What every workflow may reach the world through (style.md §4); each takes a Pick of it. */
export interface Deps {
  cwd: string
  env: NodeJS.ProcessEnv
  terminal: Terminal
  ask: Asker
  report: Reporter
  clock: Clock
  /** Aborted on the first Ctrl-C; the second one exits 130 at once. */
  signal: AbortSignal
}

export const EXIT_CODES_HELP = `EXIT CODES
  0    success
  1    failure (AWS error, failed or rolled-back deploy, task that did not start)
  2    usage, configuration or credentials error; a question that needs a flag off a terminal
  130  interrupted (Ctrl-C)`

/**
 * Base of every djenv command: --json, --verbose, --no-color, error rendering with stable
 * codes and exit codes, and the dependencies workflows receive.
 */
export abstract class DjenvCommand<T> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    verbose: Flags.boolean({
      summary: 'Print debug details and error causes on stderr (same as DEBUG=djenv*).',
      helpGroup: 'GLOBAL',
    }),
    'no-color': Flags.boolean({
      summary: 'Print without colour (also NO_COLOR=1).',
      helpGroup: 'GLOBAL',
    }),
  }

  private controller?: AbortController
  private sigint?: () => void

  abstract override run(): Promise<T>

  override async init(): Promise<void> {
    if (this.argv.includes('--verbose')) enableVerbose()
    await super.init()
    if (!this.terminal().color) {
      const { default: chalk } = await import('chalk')
      chalk.level = 0
    }
  }

  protected terminal(): Terminal {
    return detectTerminal({
      env: process.env,
      stdinIsTTY: Boolean(process.stdin.isTTY),
      stderrIsTTY: Boolean(process.stderr.isTTY),
      json: this.jsonEnabled(),
      noColor: this.argv.includes('--no-color'),
    })
  }

  /** The dependencies of a workflow, built for this process. */
  protected async deps(): Promise<Deps> {
    const terminal = this.terminal()
    const [{ createAsker }, { createReporter }] = await Promise.all([
      import('../ui/ask.js'),
      import('../ui/reporter.js'),
    ])
    return {
      cwd: process.cwd(),
      env: process.env,
      terminal,
      ask: createAsker({ interactive: terminal.interactive }),
      report: createReporter({ terminal, json: this.jsonEnabled(), err: process.stderr }),
      clock: systemClock,
      signal: this.interruptSignal(),
    }
  }

  private interruptSignal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController()
      this.sigint = () => {
        if (controller.signal.aborted) process.exit(130)
        controller.abort()
      }
      process.on('SIGINT', this.sigint)
      this.controller = controller
    }
    return this.controller.signal
  }

  /** Adds a short Markdown report to the GitHub Actions job summary, when there is one. */
  protected async stepSummary(markdown: string): Promise<void> {
    if (!process.env.GITHUB_STEP_SUMMARY) return
    const { appendStepSummary } = await import('../ui/step-summary.js')
    appendStepSummary(process.env, markdown)
  }

  override async finally(err: Error | undefined): Promise<void> {
    if (this.sigint) process.off('SIGINT', this.sigint)
    await super.finally(err)
  }

  /**
   * Prints the error once, as one line plus a hint (or as `{ "error": … }` under --json),
   * and hands it back to oclif only for the exit code.
   */
  override async catch(err: Error & { exitCode?: number }): Promise<never> {
    const error = toDjenvError(err)
    log('%s: %O', error.djenvCode, error.cause ?? error)
    process.exitCode = error.exitCode
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(error))
    } else {
      const { renderError } = await import('../ui/render/error.js')
      process.stderr.write(`${renderError(error, { verbose: this.argv.includes('--verbose') })}\n`)
    }
    if (process.env.GITHUB_STEP_SUMMARY && this.id) {
      const { failureSummary } = await import('../ui/render/step-summaries.js')
      await this.stepSummary(failureSummary(this.id.replace(/:/g, ' '), error))
    }
    error.skipOclifErrorHandling = true
    throw error
  }

  override toErrorJson(err: unknown): { error: ErrorJson } {
    return { error: (err as DjenvError).toJSON() }
  }

  protected override toSuccessJson(result: unknown): unknown {
    return result
  }
}

export type DjenvFlags<C extends typeof Command> = Interfaces.InferredFlags<
  C['flags'] & C['baseFlags']
>
