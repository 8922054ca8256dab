import { Args } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags } from '../../core/flags.js'
import type { EnvStatusResult } from '../../deploy/env-status.js'

export default class EnvStatus extends DjenvCommand<EnvStatusResult> {
  static override summary = "Show an environment's stack, services and recent events."
  static override description = `Stack state, each service's running/desired tasks and current rollout, the latest stack events and the URL.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42',
    '<%= config.bin %> <%= command.id %> prod --json',
  ]

  static override args = {
    name: Args.string({ required: true, description: 'Environment, e.g. pr-42.' }),
  }

  static override flags = { ...configFlags, ...awsFlags }

  async run(): Promise<EnvStatusResult> {
    const { args, flags } = await this.parse(EnvStatus)
    const { envStatus } = await import('../../deploy/env-status.js')
    const result = await envStatus(
      { name: args.name, configPath: flags.config, profile: flags.profile, region: flags.region },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderEnvStatus } = await import('../../ui/render/env-lifecycle.js')
      this.log(renderEnvStatus(result))
    }
    return result
  }
}
