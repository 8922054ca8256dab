import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { awsFlags, configFlags } from '../core/flags.js'
import type { TaskRunResult } from '../deploy/task-run.js'

export default class Run extends DjenvCommand<TaskRunResult> {
  static override summary =
    'Run a command (e.g. a management command) as a one-off task, with live logs.'
  static override description = `Runs COMMAND once in a one-off Fargate task made from the env's migrate task definition (same image, settings and secrets as the services), streams its logs live to stdout (--json: to stderr), and exits with its exit code. Everything after \`--\` is the command, passed as is (no shell: use \`-- sh -c '…'\` for one). For quick commands in a running container use \`djenv exec\`; \`run\` suits long or critical ones, which go on if the connection drops.

Ctrl-C stops waiting: on a terminal djenv asks whether to stop the task too; --stop-on-interrupt stops it without asking; otherwise it goes on in AWS. Either way djenv exits 130.

${EXIT_CODES_HELP}
  N    any other code: the container's own exit code`

  static override usage = 'run [ENV] [FLAGS] -- COMMAND...'

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42 -- python manage.py check --deploy',
    "<%= config.bin %> <%= command.id %> pr-42 -- sh -c 'python manage.py dumpdata auth > /tmp/x.json'",
    '<%= config.bin %> <%= command.id %> prod --json -- python manage.py clearsessions    # in CI',
  ]

  static override args = {
    env: Args.string({
      required: false,
      description: 'Environment, e.g. pr-42 (default: DJENV_ENV, then defaultEnv).',
    }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    'image-tag': Flags.string({
      summary: 'Run this image tag instead of the one deployed (it must exist in ECR).',
    }),
    'stop-on-interrupt': Flags.boolean({
      summary: 'On Ctrl-C, stop the task in AWS too, without asking.',
    }),
  }

  async run(): Promise<TaskRunResult> {
    // Everything after `--` is the remote command, flags included: only what precedes it is djenv's.
    const dash = this.argv.indexOf('--')
    const command = dash >= 0 ? this.argv.slice(dash + 1) : []
    const { args, flags } = await this.parse(Run, dash >= 0 ? this.argv.slice(0, dash) : this.argv)
    this.argv = dash >= 0 ? [...this.argv, '--', ...command] : this.argv
    if (command.length === 0) {
      throw new DjenvError(
        'USAGE',
        'No command to run.',
        'Put it after `--`, e.g. `djenv run pr-42 -- python manage.py check`.',
      )
    }
    const { taskRun } = await import('../deploy/task-run.js')
    const json = this.jsonEnabled()
    const result = await taskRun(
      {
        name: args.env,
        command,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        imageTag: flags['image-tag'],
        stopOnInterrupt: flags['stop-on-interrupt'] ?? false,
        onLog: (e) => (json ? process.stderr : process.stdout).write(`${e.message}\n`),
      },
      await this.deps(),
    )
    if (result.exitCode !== 0) process.exitCode = result.exitCode
    if (!json) {
      const { renderTaskRun } = await import('../ui/render/task-run.js')
      this.logToStderr(renderTaskRun(result))
    }
    return result
  }
}
