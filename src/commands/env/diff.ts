import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags } from '../../core/flags.js'
import type { EnvDiffResult } from '../../deploy/env-diff.js'

export default class EnvDiff extends DjenvCommand<EnvDiffResult> {
  static override summary = 'Show what `env create` would change in AWS.'
  static override description = `Synthesizes the env's stack with the inputs a create would use (the images it runs, its listener priority, its task counts) and asks CloudFormation for a change set, which is deleted again: nothing is changed. Exits 0 whether or not there are changes.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42',
    '<%= config.bin %> <%= command.id %> prod --json',
  ]

  static override args = {
    name: Args.string({ required: true, description: 'Environment, e.g. pr-42.' }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    'image-tag': Flags.string({ summary: 'Compare with this image tag instead of what runs now.' }),
  }

  async run(): Promise<EnvDiffResult> {
    const { args, flags } = await this.parse(EnvDiff)
    const { envDiff } = await import('../../deploy/env-diff.js')
    const result = await envDiff(
      {
        name: args.name,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        imageTag: flags['image-tag'],
      },
      await this.deps(),
    )
    const { renderEnvDiff, envDiffSummary } = await import('../../ui/render/env-lifecycle.js')
    if (!this.jsonEnabled()) this.log(renderEnvDiff(result))
    await this.stepSummary(envDiffSummary(result))
    return result
  }
}
