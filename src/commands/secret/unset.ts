import { Args } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags, secretBaseFlag } from '../../core/flags.js'
import type { SecretUnsetResult } from '../../secrets/secret-unset.js'

export default class SecretUnset extends DjenvCommand<SecretUnsetResult> {
  static override summary = 'Delete a secret of an environment (or of its base).'
  static override description = `Deletes the SSM parameter. ECS reads secrets when a task starts, from the parameters the task definitions name: until \`djenv env create ENV\` redeploys the env without it, a task that starts (a deploy, a scale-out, a Spot replacement) fails, so the command names the envs to redeploy. A restart cannot apply a removal. SECRET_KEY cannot be unset (replace it with \`djenv secret set\`).

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42 SENTRY_DSN',
    '<%= config.bin %> <%= command.id %> pr-42 STRIPE_API_KEY --base --json',
  ]

  static override args = {
    env: Args.string({ required: true, description: 'Environment, e.g. pr-42.' }),
    name: Args.string({ required: true, description: 'Secret name, e.g. SENTRY_DSN.' }),
  }

  static override flags = { ...configFlags, ...awsFlags, ...secretBaseFlag }

  async run(): Promise<SecretUnsetResult> {
    const { args, flags } = await this.parse(SecretUnset)
    const { secretUnset } = await import('../../secrets/secret-unset.js')
    const result = await secretUnset(
      {
        env: args.env,
        name: args.name,
        base: flags.base,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
      },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderSecretUnset } = await import('../../ui/render/secret.js')
      this.log(renderSecretUnset(result))
    }
    return result
  }
}
