import { Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags } from '../../core/flags.js'
import type { EnvGcResult } from '../../deploy/env-gc.js'

export default class EnvGc extends DjenvCommand<EnvGcResult> {
  static override summary = 'Destroy ad hoc environments whose time to live has run out.'
  static override description = `An ad hoc env expires when its last deploy is older than its TTL (adhoc.ttl, or --ttl given to env create); --older-than applies one age to all. Each expired env goes as with \`env destroy\`, its database, static and media files and secrets included. Production envs and bases are never touched. An error on one env does not stop the others; the exit code is 1 if any failed.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --older-than 3d',
    '<%= config.bin %> <%= command.id %> --json    # the scheduled CI job',
  ]

  static override flags = {
    ...configFlags,
    ...awsFlags,
    'older-than': Flags.string({
      summary: 'Remove envs not deployed for this long (e.g. 7d), instead of each TTL.',
    }),
    'dry-run': Flags.boolean({ summary: 'List what would be destroyed, and why; change nothing.' }),
  }

  async run(): Promise<EnvGcResult> {
    const { flags } = await this.parse(EnvGc)
    const { envGc } = await import('../../deploy/env-gc.js')
    const result = await envGc(
      {
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        olderThan: flags['older-than'],
        dryRun: flags['dry-run'] ?? false,
      },
      await this.deps(),
    )
    if (result.failed.length > 0) process.exitCode = 1
    const { renderEnvGc, envGcSummary } = await import('../../ui/render/env-gc.js')
    if (!this.jsonEnabled()) this.log(renderEnvGc(result))
    await this.stepSummary(envGcSummary(result))
    return result
  }
}
