import { Args } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags, secretBaseFlag } from '../../core/flags.js'
import type { SecretListResult } from '../../secrets/secret-list.js'

export default class SecretList extends DjenvCommand<SecretListResult> {
  static override summary =
    "List an environment's secrets: names, where each comes from, versions. Never values."
  static override description = `Lists the env's own secrets and those its base shares with every ad hoc env (an env's own value wins), with each one's version and when it changed, and the names secrets.names expects that have no value. Nothing is decrypted: \`djenv secret get ENV NAME --show\` is the only way to print a value.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42',
    '<%= config.bin %> <%= command.id %> pr-42 --base --json',
  ]

  static override args = {
    env: Args.string({ required: true, description: 'Environment, e.g. pr-42.' }),
  }

  static override flags = { ...configFlags, ...awsFlags, ...secretBaseFlag }

  async run(): Promise<SecretListResult> {
    const { args, flags } = await this.parse(SecretList)
    const { secretList } = await import('../../secrets/secret-list.js')
    const result = await secretList(
      {
        env: args.env,
        base: flags.base,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
      },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderSecretList } = await import('../../ui/render/secret.js')
      this.log(renderSecretList(result))
    }
    return result
  }
}
