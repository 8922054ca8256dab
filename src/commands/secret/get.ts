import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags, secretBaseFlag } from '../../core/flags.js'
import type { SecretGetResult } from '../../secrets/secret-get.js'

export default class SecretGet extends DjenvCommand<SecretGetResult> {
  static override summary = 'Show where a secret comes from; print its value only with --show.'
  static override description = `Without --show, says which secret the env gets under NAME (its own, or its base's), its version and when it changed, and decrypts nothing. With --show, prints the value alone on stdout (in --json, as "value"): the only way djenv prints a secret.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42 STRIPE_API_KEY',
    '<%= config.bin %> <%= command.id %> pr-42 STRIPE_API_KEY --show',
  ]

  static override args = {
    env: Args.string({ required: true, description: 'Environment, e.g. pr-42.' }),
    name: Args.string({ required: true, description: 'Secret name, e.g. STRIPE_API_KEY.' }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    ...secretBaseFlag,
    show: Flags.boolean({ summary: 'Decrypt and print the value.' }),
  }

  async run(): Promise<SecretGetResult> {
    const { args, flags } = await this.parse(SecretGet)
    const { secretGet } = await import('../../secrets/secret-get.js')
    const result = await secretGet(
      {
        env: args.env,
        name: args.name,
        show: flags.show,
        base: flags.base,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
      },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderSecretGet } = await import('../../ui/render/secret.js')
      this.log(renderSecretGet(result))
    }
    return result
  }
}
