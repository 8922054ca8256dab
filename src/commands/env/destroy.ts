import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { awsFlags, configFlags, yesFlag } from '../../core/flags.js'
import type { EnvDestroyResult } from '../../deploy/env-destroy.js'

export default class EnvDestroy extends DjenvCommand<EnvDestroyResult> {
  static override aliases = ['destroy']
  static override summary = 'Destroy an environment (its base stays).'
  static override description = `Scales the services to 0, drops the env's database (unless --keep-database), deletes its stack, its static and media files (the <env>/static/ and <env>/media/ prefixes of the base's assets bucket, unless --keep-files) and its secrets (unless --keep-secrets), deregisters the task definition revisions djenv registered in its families, and removes what djenv recorded for it. It holds the env's lock while it runs, and refuses an env another run holds (exit 1, ENV_LOCKED). Safe to run again after a failure; an env that is already gone still has its leftovers cleaned up. Asks for confirmation on a terminal (--yes in CI). A production env also needs --force and its name typed (or --confirm NAME).

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42',
    '<%= config.bin %> <%= command.id %> pr-42 --yes --json    # in CI',
    '<%= config.bin %> <%= command.id %> pr-42 --keep-database --keep-files    # keep its data',
    '<%= config.bin %> <%= command.id %> prod --force --confirm prod',
  ]

  static override args = {
    name: Args.string({ required: true, description: 'Environment to destroy, e.g. pr-42.' }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    ...yesFlag,
    force: Flags.boolean({ summary: 'Required to destroy a production env.' }),
    confirm: Flags.string({ summary: 'The production env name, typed in advance (no prompt).' }),
    'keep-database': Flags.boolean({
      summary: "Keep the env's database on the shared PostgreSQL.",
    }),
    'keep-files': Flags.boolean({
      summary: "Keep the env's static and media files in the base's assets bucket.",
      description:
        'Without it, every object under <env>/static/ and <env>/media/ is deleted once the stack is gone (uploads included). The files of other envs are never touched.',
    }),
    'keep-secrets': Flags.boolean({
      summary: "Keep the env's secrets in SSM (the base's shared secrets are never deleted).",
    }),
    wait: Flags.boolean({
      summary: 'Wait for another operation on the stack to finish instead of failing.',
    }),
  }

  async run(): Promise<EnvDestroyResult> {
    const { args, flags } = await this.parse(EnvDestroy)
    const { envDestroy } = await import('../../deploy/env-destroy.js')
    const result = await envDestroy(
      {
        name: args.name,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        yes: flags.yes ?? false,
        force: flags.force ?? false,
        confirm: flags.confirm,
        keepDatabase: flags['keep-database'] ?? false,
        keepFiles: flags['keep-files'] ?? false,
        keepSecrets: flags['keep-secrets'] ?? false,
        wait: flags.wait ?? false,
      },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderEnvDestroy } = await import('../../ui/render/env-lifecycle.js')
      this.log(renderEnvDestroy(result))
    }
    return result
  }
}
