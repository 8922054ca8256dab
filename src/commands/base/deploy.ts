import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags, yesFlag } from '../../core/flags.js'
import type { BaseDeployResult } from '../../deploy/base-deploy.js'

export default class BaseDeploy extends DjenvCommand<BaseDeployResult> {
  static override summary =
    'Create or update a base: the shared VPC, load balancer, database and bastion.'
  static override description = `Without arguments, the ad hoc base every ad hoc env runs on (adhoc.base in the configuration); with --prod ENV, the dedicated base of a production env. On first use in an account and region it offers to bootstrap CDK there (--yes in CI).

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --yes --json    # in CI',
    '<%= config.bin %> <%= command.id %> --prod prod',
  ]

  static override args = {
    base: Args.string({ description: 'The ad hoc base (default: adhoc.base).' }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    ...yesFlag,
    prod: Flags.string({ summary: 'Deploy the base of this production env instead.' }),
  }

  async run(): Promise<BaseDeployResult> {
    const { args, flags } = await this.parse(BaseDeploy)
    const { baseDeploy } = await import('../../deploy/base-deploy.js')
    const result = await baseDeploy(
      {
        base: args.base,
        prod: flags.prod,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        yes: flags.yes ?? false,
      },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderBaseDeploy } = await import('../../ui/render/env-lifecycle.js')
      this.log(renderBaseDeploy(result))
    }
    return result
  }
}
