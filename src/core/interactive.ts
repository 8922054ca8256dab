/** What djenv knows about how it was started: may it ask questions, draw animations, use colour. */
export interface Terminal {
  /** A person can answer prompts: stdin and stderr are TTYs, not CI, not --json. */
  interactive: boolean
  /** Running under CI (`CI` set to anything but `false`/`0`). */
  ci: boolean
  /** stderr is a TTY: animated progress is possible. */
  stderrIsTTY: boolean
  /** Colour allowed: no NO_COLOR, no --no-color. */
  color: boolean
}

export interface TerminalInput {
  env: NodeJS.ProcessEnv
  stdinIsTTY: boolean
  stderrIsTTY: boolean
  json: boolean
  noColor: boolean
}

export function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI
  return value !== undefined && value !== '' && value !== 'false' && value !== '0'
}

export function detectTerminal(input: TerminalInput): Terminal {
  const ci = isCi(input.env)
  const noColorEnv = input.env.NO_COLOR !== undefined && input.env.NO_COLOR !== ''
  return {
    ci,
    stderrIsTTY: input.stderrIsTTY,
    interactive: input.stdinIsTTY && input.stderrIsTTY && !ci && !input.json,
    color: !noColorEnv && !input.noColor && input.stderrIsTTY,
  }
}
