import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../core/command.js'
import { awsFlags, configFlags } from '../core/flags.js'
import type { ExecResult } from '../connect/exec.js'

const SHORTCUTS = ['shell', 'bash']

export default class Exec extends DjenvCommand<ExecResult> {
  static override summary = 'Open a shell or run a command in a running container of an env.'
  static override description = `Runs COMMAND in a running task of the env through ECS Exec, with djenv's own Session Manager client (no session-manager-plugin needed). Shortcuts: \`shell\` runs \`python manage.py shell\`, \`bash\` (or no command) a login bash, falling back to sh. Everything after \`--\` is the command, passed as is (no shell: use \`-- sh -c '…'\` for one).

The task is a running task of --service (default web): the only one, a pick on a terminal, or else the oldest; djenv says which. On a terminal the session is interactive (raw mode: Ctrl-C and Ctrl-D go to the remote side). Without one (pipes, CI, --no-tty, --json) output is streamed (to stderr under --json) and djenv exits with the remote command's exit code. ECS Exec closes sessions idle for 20 minutes; long or critical commands belong in \`djenv run\`.

${EXIT_CODES_HELP}
  N    any other code: the remote command's own exit code (1 too when it could not be known)`

  static override usage = ['exec [ENV] [shell|bash] [FLAGS]', 'exec [ENV] [FLAGS] -- COMMAND...']

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42 shell',
    '<%= config.bin %> <%= command.id %> pr-42 bash --service worker',
    '<%= config.bin %> <%= command.id %> pr-42 -- python manage.py check --deploy',
    '<%= config.bin %> <%= command.id %> prod --no-tty -- sh -c \'python manage.py showmigrations | grep -c "\\[ \\]"\'',
  ]

  static override args = {
    env: Args.string({
      required: false,
      description: 'Environment, e.g. pr-42 (default: DJENV_ENV, then defaultEnv).',
    }),
    shortcut: Args.string({
      required: false,
      options: SHORTCUTS,
      description: '`shell` (python manage.py shell) or `bash` (login shell, the default).',
    }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    service: Flags.string({ summary: 'Service whose task to use.', default: 'web' }),
    task: Flags.string({ summary: 'Task id or ARN to use instead of picking one.' }),
    container: Flags.string({ summary: 'Container (default: the one named like the service).' }),
    'no-tty': Flags.boolean({
      summary: 'Run without the local terminal: stream output, exit with the remote exit code.',
    }),
  }

  async run(): Promise<ExecResult> {
    // Everything after `--` is the remote command, flags included: only what precedes it is djenv's.
    const dash = this.argv.indexOf('--')
    const after = dash >= 0 ? this.argv.slice(dash + 1) : []
    const { args, flags } = await this.parse(Exec, dash >= 0 ? this.argv.slice(0, dash) : this.argv)
    this.argv = dash >= 0 ? [...this.argv, '--', ...after] : this.argv
    // `djenv exec shell`: a lone shortcut is the command, the env comes from DJENV_ENV or defaultEnv.
    const lone =
      args.shortcut === undefined && args.env !== undefined && SHORTCUTS.includes(args.env)
    const env = lone ? undefined : args.env
    const shortcut = lone ? args.env : args.shortcut
    const command = after.length > 0 ? after : shortcut ? [shortcut] : []
    const json = this.jsonEnabled()
    const { execInTask } = await import('../connect/exec.js')
    const result = await execInTask(
      {
        name: env,
        command,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        service: flags.service,
        task: flags.task,
        container: flags.container,
        noTty: flags['no-tty'],
        json,
      },
      {
        ...(await this.deps()),
        io: {
          stdin: process.stdin,
          stdout: process.stdout,
          output: json ? process.stderr : process.stdout,
        },
      },
    )
    if (result.remoteExitCode !== 0) process.exitCode = result.remoteExitCode ?? 1
    if (!json) {
      const { renderExec } = await import('../ui/render/exec.js')
      const line = renderExec(result)
      if (line) this.logToStderr(line)
    }
    return result
  }
}
