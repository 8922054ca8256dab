import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../core/command.js'
import { awsFlags, configFlags } from '../core/flags.js'
import type { TaskRunResult } from '../deploy/task-run.js'

export default class Migrate extends DjenvCommand<TaskRunResult> {
  static override summary = "Run the env's migrations as a one-off task, with live logs."
  static override description = `Runs the env's migrate task (its configured command, by default \`python manage.py migrate --noinput\`) once on on-demand Fargate in the env's private subnets, with the image the env has deployed (--image-tag to pick another). The container's logs stream live to stdout while it runs (--json: to stderr), and djenv exits with the container's exit code. A task that never ran (image pull, secrets, capacity) exits 1 with ECS's reason.

Ctrl-C stops waiting: on a terminal djenv asks whether to stop the task too; --stop-on-interrupt stops it without asking; otherwise it goes on in AWS. Either way djenv exits 130.

ENV may be left out when DJENV_ENV or defaultEnv names it.

${EXIT_CODES_HELP}
  N    any other code: the container's own exit code`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42',
    '<%= config.bin %> <%= command.id %> pr-42 --image-tag 3f2c1d0',
    '<%= config.bin %> <%= command.id %> prod --json --stop-on-interrupt    # in CI',
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
    const { args, flags } = await this.parse(Migrate)
    const { taskRun } = await import('../deploy/task-run.js')
    const json = this.jsonEnabled()
    const result = await taskRun(
      {
        name: args.env,
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
    const { taskRunSummary } = await import('../ui/render/step-summaries.js')
    await this.stepSummary(taskRunSummary(result, 'migrate'))
    return result
  }
}
