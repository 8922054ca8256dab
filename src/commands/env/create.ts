import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags, yesFlag } from '../../core/flags.js'
import type { EnvPlanResult } from '../../deploy/env-plan.js'

export default class EnvCreate extends DjenvCommand<EnvPlanResult> {
  static override aliases = ['create']
  static override summary = 'Create or update an environment; --dry-run plans it offline.'
  static override description = `With --dry-run, synthesizes the env's stacks and its base's in-process with no AWS credentials and no network, prints what would be created and what is shared with the base, and with --out writes the CloudFormation templates.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42 --dry-run',
    '<%= config.bin %> <%= command.id %> pr-42 --dry-run --out cdk.out --json',
    '<%= config.bin %> <%= command.id %> prod --dry-run --validate --image-tag 3f2c1d0',
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
      required: true,
    }),
    out: Flags.string({ summary: 'With --dry-run: write each stack template to this directory.' }),
    validate: Flags.boolean({
      summary: 'Also check the templates against CloudFormation rules (about 2 s).',
    }),
    'image-tag': Flags.string({
      summary: 'Image tag of every service (default: image.tag from the configuration).',
    }),
  }

  async run(): Promise<EnvPlanResult> {
    const { args, flags } = await this.parse(EnvCreate)
    const { envPlan } = await import('../../deploy/env-plan.js')
    const result = await envPlan(
      {
        name: args.name,
        configPath: flags.config,
        out: flags.out,
        validate: flags.validate ?? false,
        imageTag: flags['image-tag'],
      },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderEnvPlan } = await import('../../ui/render/env-plan.js')
      this.log(renderEnvPlan(result))
    }
    return result
  }
}
