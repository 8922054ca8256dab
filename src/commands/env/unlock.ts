import { Args } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags, yesFlag } from '../../core/flags.js'
import type { EnvUnlockResult } from '../../deploy/env-unlock.js'

export default class EnvUnlock extends DjenvCommand<EnvUnlockResult> {
  static override summary = "Release an environment's lock left by a run that is gone."
  static override description = `deploy-image, env create and env destroy hold the env's lock (the SSM parameter /djenv/<project>/<base>/envs/<env>/lock) while they run, so two runs never change one env at once; another run is refused with the holder's name. A run that was killed, or a cancelled CI job, cannot release it: this command deletes it and says whose it was. Make sure that run has really stopped first. A lock is also taken over on its own once it is stale (2 hours, or longer for runs with a longer --timeout). An env that is not locked is not an error. Asks for confirmation on a terminal (--yes in CI).

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42',
    '<%= config.bin %> <%= command.id %> pr-42 --yes --json    # in CI',
  ]

  static override args = {
    name: Args.string({ required: true, description: 'Environment, e.g. pr-42.' }),
  }

  static override flags = { ...configFlags, ...awsFlags, ...yesFlag }

  async run(): Promise<EnvUnlockResult> {
    const { args, flags } = await this.parse(EnvUnlock)
    const { envUnlock } = await import('../../deploy/env-unlock.js')
    const result = await envUnlock(
      {
        name: args.name,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        yes: flags.yes ?? false,
      },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderEnvUnlock } = await import('../../ui/render/env-lifecycle.js')
      this.log(renderEnvUnlock(result))
    }
    return result
  }
}
