import { Errors } from '@oclif/core'

/**
 * Every failure djenv reports has a stable code, and each code one exit code:
 * 0 ok, 1 failure, 2 usage or configuration, 130 interrupted.
 */
export const EXIT_CODES = {
  USAGE: 2,
  CONFIG_NOT_FOUND: 2,
  CONFIG_INVALID: 2,
  NAME_INVALID: 2,
  INPUT_REQUIRED: 2,
  FILE_EXISTS: 2,
  REGION_MISSING: 2,
  AWS_AUTH: 2,
  AWS_ACCESS_DENIED: 1,
  AWS_FAILED: 1,
  BASE_NOT_FOUND: 1,
  ENV_NOT_FOUND: 1,
  STACK_BUSY: 1,
  STACK_FAILED: 1,
  BOOTSTRAP_REQUIRED: 1,
  CONTEXT_MISSING: 2,
  SYNTH_FAILED: 1,
  DEPLOY_FAILED: 1,
  /** A deploy ECS rolled back (circuit breaker): the service runs the previous revision. */
  ROLLED_BACK: 1,
  /** A rollout that did not finish within --timeout. */
  DEPLOY_TIMEOUT: 1,
  DESTROY_FAILED: 1,
  ENVS_REMAIN: 1,
  CANCELLED: 1,
  IMAGE_MISSING: 1,
  PRIORITY_EXHAUSTED: 1,
  /** Another djenv run holds the env lock (deploy-image, env create, env destroy). */
  ENV_LOCKED: 1,
  TASK_NOT_FOUND: 1,
  TASK_FAILED: 1,
  SECRET_NOT_FOUND: 1,
  SECRET_INVALID: 2,
  SESSION_FAILED: 1,
  EXEC_UNAVAILABLE: 1,
  BASTION_UNAVAILABLE: 1,
  PORT_IN_USE: 2,
  IO_FAILED: 1,
  UNEXPECTED: 1,
  INTERRUPTED: 130,
} as const

export type DjenvCode = keyof typeof EXIT_CODES

/** The one error type of djenv: a code, a one-sentence message and a hint saying what to do. */
export class DjenvError extends Errors.CLIError {
  /** Set once the command has printed the error itself, so oclif does not print it again. */
  override skipOclifErrorHandling = false

  constructor(
    readonly djenvCode: DjenvCode,
    message: string,
    readonly hint?: string,
    cause?: unknown,
  ) {
    super(message, { code: djenvCode, exit: EXIT_CODES[djenvCode] })
    this.name = 'DjenvError'
    if (cause !== undefined) this.cause = cause
  }

  get exitCode(): number {
    return EXIT_CODES[this.djenvCode]
  }

  toJSON(): ErrorJson {
    return {
      code: this.djenvCode,
      message: this.message,
      hint: this.hint ?? null,
      exitCode: this.exitCode,
    }
  }
}

/** The `error` member of the document `--json` prints on failure. */
export interface ErrorJson {
  code: DjenvCode
  message: string
  hint: string | null
  exitCode: number
}

export function isDjenvError(err: unknown): err is DjenvError {
  return err instanceof DjenvError
}

/**
 * Turns anything thrown into a DjenvError: oclif's own parse errors become USAGE,
 * anything unknown is a bug and becomes UNEXPECTED (exit 1).
 */
export function toDjenvError(err: unknown): DjenvError {
  if (err instanceof DjenvError) return err
  if (err instanceof Error && isOclifParseError(err)) {
    return new DjenvError('USAGE', firstLine(err.message), 'See --help for the usage.', err)
  }
  if (err instanceof Error && err.name === 'ExitPromptError') {
    return new DjenvError('INTERRUPTED', 'Interrupted.', undefined, err)
  }
  const message = err instanceof Error ? err.message : String(err)
  return new DjenvError(
    'UNEXPECTED',
    `Unexpected error: ${firstLine(message)}`,
    'Run again with --verbose (or DEBUG=djenv*) for details, and report it if it persists.',
    err,
  )
}

function isOclifParseError(err: Error): boolean {
  const oclif = (err as { oclif?: { exit?: number } }).oclif
  // oclif's parser errors (missing argument, unknown flag, bad option) carry `parse` and exit 2.
  return oclif?.exit === 2 && 'parse' in err
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? text
}
