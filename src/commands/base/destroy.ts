import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags, yesFlag } from '../../core/flags.js'
import type { BaseDestroyResult } from '../../deploy/base-destroy.js'

export default class BaseDestroy extends DjenvCommand<BaseDestroyResult> {
  static override summary = 'Destroy a base once no environment runs on it.'
  static override description = `Refuses while environments remain, listing them. Empties the ad hoc assets bucket, then deletes the base stack; the shared database leaves a final snapshot. A production base needs --force and its name typed (or --confirm NAME), and keeps its bucket.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --yes',
    '<%= config.bin %> <%= command.id %> --prod prod --force --confirm prod',
  ]

  static override args = {
    base: Args.string({ description: 'The ad hoc base (default: adhoc.base).' }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    ...yesFlag,
    prod: Flags.string({ summary: 'Destroy the base of this production env instead.' }),
    force: Flags.boolean({ summary: 'Required to destroy a production base.' }),
    confirm: Flags.string({ summary: 'The production env name, typed in advance (no prompt).' }),
  }

  async run(): Promise<BaseDestroyResult> {
    const { args, flags } = await this.parse(BaseDestroy)
    const { baseDestroy } = await import('../../deploy/base-destroy.js')
    const result = await baseDestroy(
      {
        base: args.base,
        prod: flags.prod,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        yes: flags.yes ?? false,
        force: flags.force ?? false,
        confirm: flags.confirm,
      },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderBaseDestroy } = await import('../../ui/render/env-lifecycle.js')
      this.log(renderBaseDestroy(result))
    }
    return result
  }
}
