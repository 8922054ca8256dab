import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../core/command.js'
import { awsFlags, configFlags, yesFlag } from '../core/flags.js'
import type { DeployImageResult } from '../deploy/deploy-image.js'

export default class DeployImage extends DjenvCommand<DeployImageResult> {
  static override summary =
    'Deploy an image tag: migrate, collect static files, roll the services, wait honestly.'
  static override description = `Checks TAG exists in the image repository, registers new revisions of the env's task definitions (web, worker, beat, migrate) that differ only in the image, runs migrations with it, then collectstatic (static.collectstatic, with the CDN on) as a one-off task of the same new migrate revision (streaming both logs), then updates the services and waits until each one's primary deployment runs the new revision with its rollout COMPLETED. Nothing goes through CloudFormation, so no stack is left locked.

A failed migration or collectstatic stops the deploy before any service is touched (they go on running the previous tag), and djenv exits with that task's exit code. With static.cdn: false the app serves its own static files and collectstatic never runs. A circuit-breaker rollback, --max-task-failures failed tasks in a row, or --timeout end it with exit 1 and the reason (stopped-task reasons and service events on stderr); --rollback-on-timeout then puts every service back on its previous revision. The tag is recorded on the env only when every service completed, so later infrastructure updates keep it.

A production env shows what changes and asks first; pass --yes in CI. While it runs it holds the env's lock: another deploy-image, env create or env destroy of the env is refused (exit 1, ENV_LOCKED, naming the holder); \`djenv env unlock\` releases a lock left by a run that is gone.

${EXIT_CODES_HELP}
  N    the exit code of a failed migration or collectstatic (no service was updated)`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42 3f2c1d0',
    '<%= config.bin %> <%= command.id %> pr-42 3f2c1d0 --skip-migrations --no-wait',
    '<%= config.bin %> <%= command.id %> pr-42 3f2c1d0 --skip-collectstatic    # static files unchanged',
    '<%= config.bin %> <%= command.id %> prod "$GITHUB_SHA" --yes --json --timeout 20 --rollback-on-timeout    # in CI',
  ]

  static override args = {
    env: Args.string({ required: true, description: 'Environment, e.g. pr-42 or prod.' }),
    tag: Args.string({
      required: true,
      description: 'Image tag in the configured repository, e.g. the git SHA CI pushed.',
    }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    ...yesFlag,
    'skip-migrations': Flags.boolean({
      summary: 'Do not run migrations before updating the services.',
    }),
    'skip-collectstatic': Flags.boolean({
      summary:
        'Do not run collectstatic before updating the services (when the static files did not change).',
    }),
    wait: Flags.boolean({
      summary: 'Wait for the rollout (--no-wait: return once the services were updated).',
      default: true,
      allowNo: true,
    }),
    timeout: Flags.integer({
      summary: 'Minutes to wait for the rollout before giving up.',
      default: 15,
      min: 1,
    }),
    'max-task-failures': Flags.integer({
      summary: 'Give up once this many new tasks of a service failed in a row.',
      default: 3,
      min: 1,
    }),
    'rollback-on-timeout': Flags.boolean({
      summary:
        'When djenv gives up (--timeout, --max-task-failures), put every service back on its previous revision.',
    }),
    'stop-on-interrupt': Flags.boolean({
      summary: 'On Ctrl-C during migrations or collectstatic, stop the task too, without asking.',
    }),
  }

  async run(): Promise<DeployImageResult> {
    const { args, flags } = await this.parse(DeployImage)
    const { deployImage } = await import('../deploy/deploy-image.js')
    const json = this.jsonEnabled()
    const result = await deployImage(
      {
        name: args.env,
        tag: args.tag,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        skipMigrations: flags['skip-migrations'] ?? false,
        skipCollectstatic: flags['skip-collectstatic'] ?? false,
        wait: flags.wait,
        timeoutMs: flags.timeout * 60_000,
        maxTaskFailures: flags['max-task-failures'],
        rollbackOnTimeout: flags['rollback-on-timeout'] ?? false,
        yes: flags.yes ?? false,
        stopOnInterrupt: flags['stop-on-interrupt'] ?? false,
        // Task output (migrations, collectstatic) is progress: stderr, so stdout keeps the summary.
        onLog: (e) => process.stderr.write(`${e.message}\n`),
      },
      await this.deps(),
    )
    if (result.exitCode !== 0) process.exitCode = result.exitCode
    if (!json) {
      const { renderDeployImage } = await import('../ui/render/deploy-image.js')
      this.log(renderDeployImage(result))
    }
    const { deployImageSummary } = await import('../ui/render/step-summaries.js')
    await this.stepSummary(deployImageSummary(result))
    return result
  }
}
