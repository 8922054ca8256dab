import type { Terminal } from '../core/interactive.js'

/** Handed to a step's work so it can show what it is doing now. */
export interface StepContext {
  detail(text: string): void
}

/** How workflows report progress (style.md §6). Everything goes to stderr; stdout is for results. */
export interface Reporter {
  /** Runs `work` as a named step: shows its start, then success with the elapsed time, or failure. */
  step<T>(title: string, work: (s: StepContext) => Promise<T>): Promise<T>
  info(text: string): void
  warn(text: string): void
}

export interface ReporterOptions {
  terminal: Terminal
  json: boolean
  err: NodeJS.WritableStream & { isTTY?: boolean }
  now?: () => Date
}

/** Animated listr2 tasks on an interactive terminal; timestamped lines elsewhere (CI, pipes, --json). */
export function createReporter(o: ReporterOptions): Reporter {
  return o.terminal.stderrIsTTY && !o.terminal.ci && !o.json
    ? new ListrReporter(o.err)
    : new LineReporter(o.err, o.now ?? (() => new Date()))
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`
}

/** One line per event, each with a UTC time; repeated details are printed once. */
export class LineReporter implements Reporter {
  constructor(
    private readonly err: NodeJS.WritableStream,
    private readonly now: () => Date,
  ) {}

  private line(mark: string, text: string): void {
    this.err.write(`${this.now().toISOString().slice(11, 19)} ${mark} ${text}\n`)
  }

  async step<T>(title: string, work: (s: StepContext) => Promise<T>): Promise<T> {
    const started = this.now().getTime()
    let last = ''
    this.line('>', title)
    try {
      const result = await work({
        detail: (text) => {
          if (text === last) return
          last = text
          this.line(' ', `  ${text}`)
        },
      })
      this.line('✔', `${title} (${seconds(this.now().getTime() - started)})`)
      return result
    } catch (err) {
      this.line('✖', `${title} failed`)
      throw err
    }
  }

  info(text: string): void {
    this.line('i', text)
  }

  warn(text: string): void {
    this.line('!', text)
  }
}

/** Each step is a listr2 task with its current detail shown under it. */
export class ListrReporter implements Reporter {
  constructor(private readonly err: NodeJS.WritableStream) {}

  async step<T>(title: string, work: (s: StepContext) => Promise<T>): Promise<T> {
    const { Listr, ListrLogger, ProcessOutput } = await import('listr2')
    const started = Date.now()
    let result: T | undefined
    const err = this.err as NodeJS.WriteStream
    await new Listr(
      [
        {
          title,
          task: async (_ctx, task) => {
            result = await work({ detail: (text) => (task.output = text) })
            task.title = `${title} (${seconds(Date.now() - started)})`
          },
          rendererOptions: { outputBar: 1, persistentOutput: false },
        },
      ],
      {
        exitOnError: true,
        registerSignalListeners: false,
        // The animation goes to stderr, like every other djenv message: stdout is for results.
        rendererOptions: {
          collapseErrors: false,
          showErrorMessage: false,
          logger: new ListrLogger({ processOutput: new ProcessOutput(err, err) }),
        },
      },
    ).run()
    return result as T
  }

  info(text: string): void {
    this.err.write(`ℹ ${text}\n`)
  }

  warn(text: string): void {
    this.err.write(`⚠ ${text}\n`)
  }
}
