import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags } from '../../core/flags.js'
import type { EnvListResult } from '../../deploy/env-list.js'

export default class EnvList extends DjenvCommand<EnvListResult> {
  static override summary = "List the project's environments and bases."
  static override description = `Reads live state: type, base, stack status, URL, image tag, age, last deploy and, for ad hoc envs, when \`env gc\` may remove them.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ]

  static override flags = { ...configFlags, ...awsFlags }

  async run(): Promise<EnvListResult> {
    const { flags } = await this.parse(EnvList)
    const { envList } = await import('../../deploy/env-list.js')
    const result = await envList(
      { configPath: flags.config, profile: flags.profile, region: flags.region },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderEnvList } = await import('../../ui/render/env-lifecycle.js')
      this.log(renderEnvList(result, new Date()))
    }
    return result
  }
}
