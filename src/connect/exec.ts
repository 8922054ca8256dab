import type { Readable, Writable } from 'node:stream'
import { finished } from 'node:stream/promises'

import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { EnvKind } from '../config/names.js'
import { executeCommand } from '../aws/ecs.js'
import { resumeSession } from '../aws/ssm-session.js'
import { openAppEnv } from '../deploy/app-env.js'
import type { ProjectInput } from '../deploy/project.js'
import { openShellSession, wrapCommand, type ShellSession } from '../session/index.js'
import { crlfToLf } from './crlf.js'
import { pickTask } from './task-pick.js'

/** The terminal `exec` runs on; the command passes the process's own streams. */
export interface ExecIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?(mode: boolean): unknown }
  /** The local terminal, for its size and `resize` events (SIGWINCH). */
  stdout: Writable & {
    isTTY?: boolean
    columns?: number
    rows?: number
  }
  /** Where remote output goes: stdout, or stderr under --json. */
  output: Writable
}

export interface ExecInput extends ProjectInput {
  /** The env; absent: DJENV_ENV, defaultEnv, or a pick on a terminal. */
  name?: string
  /**
   * The remote command. `[]` or `['bash']`: a login bash (sh when the image has no bash);
   * `['shell']`: `python manage.py shell`.
   */
  command: string[]
  /** @default 'web' */
  service?: string
  task?: string
  container?: string
  /** Never use the local terminal's raw mode, even on one (`--no-tty`). */
  noTty: boolean
  /** --json: the result document owns stdout. */
  json: boolean
}

export interface ExecResult {
  env: string
  kind: EnvKind
  cluster: string
  service: string
  taskId: string
  taskArn: string
  container: string
  /** What ran remotely, after the `shell`/`bash` shortcuts. */
  command: string[]
  interactive: boolean
  sessionId: string
  /** The remote command's exit code (djenv exits with it); null when it could not be known. */
  remoteExitCode: number | null
  /** Why the session closed, when Session Manager said (e.g. the 20-minute idle limit). */
  closedReason: string | null
  durationMs: number
}

export type ExecDeps = Pick<
  Deps,
  'cwd' | 'env' | 'ask' | 'terminal' | 'report' | 'clock' | 'signal'
> & { io: ExecIo }

/** `bash` (and no command): a login bash, falling back to a login sh in images without bash. */
const LOGIN_SHELL = [
  'sh',
  '-c',
  'if command -v bash >/dev/null 2>&1; then exec bash -l; fi; exec sh -l',
]

/** Expands the `shell` and `bash` shortcuts. */
export function remoteCommand(command: readonly string[]): string[] {
  if (command.length === 0) return [...LOGIN_SHELL]
  if (command.length === 1 && command[0] === 'bash') return [...LOGIN_SHELL]
  if (command.length === 1 && command[0] === 'shell') return ['python', 'manage.py', 'shell']
  return [...command]
}

/**
 * Runs a command in a running container of the env over ECS Exec, with djenv's own Session
 * Manager client: interactively on a terminal (raw mode, resize, Ctrl-C and Ctrl-D to the remote
 * side), otherwise streaming output; either way the remote exit code comes back through the
 * §12 wrapper and is returned.
 */
export async function execInTask(input: ExecInput, deps: ExecDeps): Promise<ExecResult> {
  const started = deps.clock.now().getTime()
  const app = await openAppEnv(input, deps)
  const { aws, region } = app.project
  const picked = await pickTask(app, input, deps)
  const argv = remoteCommand(input.command)
  const { io } = deps
  const interactive =
    !input.noTty && !input.json && !deps.terminal.ci && Boolean(io.stdin.isTTY && io.stdout.isTTY)
  if (!picked.task.execEnabled) {
    throw new DjenvError(
      'EXEC_UNAVAILABLE',
      `ECS Exec is not enabled on task ${picked.task.taskId} of ${app.env.name}.`,
      'djenv enables exec on every service it creates; redeploy (`djenv deploy-image`) to replace tasks started without it.',
    )
  }

  const wrapped = wrapCommand(argv)
  const target = await executeCommand(
    aws.ecs,
    {
      cluster: app.cluster,
      task: picked.task.taskArn,
      container: picked.container,
      command: wrapped.command,
    },
    region,
  )
  const session = await openShellSession(target, {
    marker: wrapped.marker,
    size: terminalSize(io.stdout),
    resume: (id) => resumeSession(aws.ssm, id, region),
  })
  const exit = interactive
    ? await runInteractive(session, io)
    : await runStreaming(session, io, deps.signal)

  const closedReason = exit.closedOutput.trim() || null
  if (exit.exitCode === null) {
    deps.report.warn(
      closedReason && /idle|inactiv|timed? ?out/i.test(closedReason)
        ? `The session was closed for inactivity (ECS Exec ends sessions idle for 20 minutes): ${closedReason}. The remote exit status is unknown.`
        : `The remote exit status is unknown${closedReason ? ` (${closedReason})` : ''}: the command replaced the shell (exec), the image has no sh, or the connection was lost.`,
    )
  }
  return {
    env: app.env.name,
    kind: app.env.kind,
    cluster: app.cluster,
    service: picked.service,
    taskId: picked.task.taskId,
    taskArn: picked.task.taskArn,
    container: picked.container,
    command: argv,
    interactive,
    sessionId: target.sessionId,
    remoteExitCode: exit.exitCode,
    closedReason,
    durationMs: deps.clock.now().getTime() - started,
  }
}

function terminalSize(out: ExecIo['stdout']): { cols: number; rows: number } {
  return out.isTTY && out.columns && out.rows
    ? { cols: out.columns, rows: out.rows }
    : { cols: 80, rows: 24 }
}

/** Raw mode, keys to the remote pty, resize on SIGWINCH; the terminal is always restored. */
async function runInteractive(session: ShellSession, io: ExecIo) {
  const onData = (chunk: Buffer) => session.stdin.write(chunk)
  const onResize = () => {
    session.resize(terminalSize(io.stdout)).catch(() => undefined)
  }
  session.stdout.pipe(io.output, { end: false })
  try {
    io.stdin.setRawMode?.(true)
    io.stdin.on('data', onData)
    io.stdin.resume()
    io.stdout.on('resize', onResize)
    const exit = await session.exit
    await finished(session.stdout)
    return exit
  } finally {
    io.stdout.off('resize', onResize)
    io.stdin.off('data', onData)
    io.stdin.setRawMode?.(false)
    io.stdin.pause()
    session.stdout.unpipe(io.output)
  }
}

/**
 * Output only: piped stdin is not forwarded (the pty would echo and mangle it, §12). Ctrl-C
 * (the first one) travels to the remote command as 0x03, as the plugin does without a TTY.
 */
async function runStreaming(session: ShellSession, io: ExecIo, signal: AbortSignal) {
  const out =
    io.stdout.isTTY && io.output === io.stdout ? session.stdout : session.stdout.pipe(crlfToLf())
  out.pipe(io.output, { end: false })
  const onAbort = () => session.stdin.write(Buffer.from([0x03]))
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    const exit = await session.exit
    await finished(out) // the output's tail is still on its way through the pipes
    return exit
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
