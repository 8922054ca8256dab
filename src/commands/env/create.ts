import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags, yesFlag } from '../../core/flags.js'
import type { EnvCreateResult } from '../../deploy/env-create.js'
import type { EnvPlanResult } from '../../deploy/env-plan.js'

export default class EnvCreate extends DjenvCommand<EnvCreateResult | EnvPlanResult> {
  static override aliases = ['create']
  static override summary = 'Create an environment, or update it when it exists.'
  static override description = `An ad hoc env (any valid name, e.g. pr-42) runs on the shared base; a name under production: in the configuration is that production env. Creating checks the base and the image, claims a listener-rule priority, creates the env's database, deploys its stack, runs migrations, then collectstatic (with static.cdn on), and starts the services. A failed migration or collectstatic leaves every service at 0 tasks; running the command again resumes the creation. On an existing env it deploys what changed (or says there was nothing), keeping the images and the priority it has. It holds the env's lock while it runs, and refuses an env another run holds (exit 1, ENV_LOCKED; see \`djenv env unlock\`).

With --dry-run nothing in AWS is read or changed: the stacks are synthesized offline and summarized, and --out writes their templates.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42 --dry-run',
    '<%= config.bin %> <%= command.id %> pr-42 --image-tag 3f2c1d0',
    '<%= config.bin %> <%= command.id %> pr-42 --yes --json    # in CI',
    '<%= config.bin %> <%= command.id %> prod --dry-run --validate --out cdk.out',
  ]

  static override args = {
    name: Args.string({
      required: true,
      description: 'Environment: an ad hoc name such as pr-42, or a configured production env.',
    }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    ...yesFlag,
    'dry-run': Flags.boolean({
      summary: 'Plan offline: synthesize and show the stacks, change nothing.',
    }),
    out: Flags.string({
      summary: 'With --dry-run: write each stack template to this directory.',
      dependsOn: ['dry-run'],
    }),
    'with-base': Flags.boolean({
      summary:
        'With --dry-run: also plan the shared ad hoc base (production plans always include theirs).',
      dependsOn: ['dry-run'],
    }),
    validate: Flags.boolean({
      summary: 'With --dry-run: also check the templates against CloudFormation rules (about 2 s).',
      dependsOn: ['dry-run'],
    }),
    'image-tag': Flags.string({
      summary: 'Image tag of every service (default: what runs now, else image.tag).',
    }),
    wait: Flags.boolean({
      summary: 'Wait for another operation on the stack to finish instead of failing.',
    }),
    ttl: Flags.string({
      summary:
        'Ad hoc: remove the env after it has not been deployed for this long (e.g. 3d; default adhoc.ttl).',
    }),
    'skip-collectstatic': Flags.boolean({
      summary:
        'On creation: do not run collectstatic before starting the services (updates never run it; deploy-image does).',
    }),
    timeout: Flags.integer({
      summary: 'Minutes to wait for the services to become healthy.',
      default: 15,
      min: 1,
    }),
  }

  async run(): Promise<EnvCreateResult | EnvPlanResult> {
    const { args, flags } = await this.parse(EnvCreate)
    if (flags['dry-run']) {
      const { envPlan } = await import('../../deploy/env-plan.js')
      const plan = await envPlan(
        {
          name: args.name,
          configPath: flags.config,
          out: flags.out,
          validate: flags.validate ?? false,
          imageTag: flags['image-tag'],
          withBase: flags['with-base'] ?? false,
        },
        await this.deps(),
      )
      if (!this.jsonEnabled()) {
        const { renderEnvPlan } = await import('../../ui/render/env-plan.js')
        this.log(renderEnvPlan(plan))
      }
      return plan
    }
    const { envCreate } = await import('../../deploy/env-create.js')
    const result = await envCreate(
      {
        name: args.name,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        imageTag: flags['image-tag'],
        yes: flags.yes ?? false,
        wait: flags.wait ?? false,
        ttl: flags.ttl,
        timeoutMs: flags.timeout * 60_000,
        skipCollectstatic: flags['skip-collectstatic'] ?? false,
      },
      await this.deps(),
    )
    const { renderEnvCreate, envCreateSummary } = await import('../../ui/render/env-lifecycle.js')
    if (!this.jsonEnabled()) this.log(renderEnvCreate(result))
    await this.stepSummary(envCreateSummary(result))
    return result
  }
}
