import { Args, Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../../core/command.js'
import { DjenvError } from '../../core/errors.js'
import { awsFlags, configFlags, secretBaseFlag } from '../../core/flags.js'
import type { SecretSetResult } from '../../secrets/secret-set.js'
import type { ValueSource } from '../../secrets/value.js'

export default class SecretSet extends DjenvCommand<SecretSetResult> {
  static override summary = "Store a secret of an environment (or of its base's envs)."
  static override description = `Stores the value as an SSM SecureString under /djenv/<project>/<env>/secrets/<NAME> (with --base: /djenv/<project>/<base>/secrets/<NAME>, shared by every ad hoc env of the base; an env's own value wins). It is encrypted with the AWS managed key aws/ssm, or secrets.kmsKey of the configuration.

The value is read from stdin, or from --from-file; on a terminal it is typed without echo. One trailing line break is dropped. NAME=VALUE works too, with a warning: shell history keeps it. Values above 4 KB (the standard tier) are refused.

ECS reads secrets when a task starts: running tasks keep the old value until they restart. --restart starts a new deployment of the services that read the secret, with the same images. A secret new to an env reaches its tasks with the next \`djenv env create\`, which adds it to the task definitions.

${EXIT_CODES_HELP}`

  static override examples = [
    'printf %s "$STRIPE_KEY" | <%= config.bin %> <%= command.id %> pr-42 STRIPE_API_KEY',
    '<%= config.bin %> <%= command.id %> pr-42 SENTRY_DSN --from-file sentry.txt --restart',
    '<%= config.bin %> <%= command.id %> pr-42 STRIPE_API_KEY --base < stripe-test-key.txt',
  ]

  static override args = {
    env: Args.string({ required: true, description: 'Environment, e.g. pr-42.' }),
    name: Args.string({
      required: true,
      description: 'Secret name, e.g. STRIPE_API_KEY (NAME=VALUE also works, with a warning).',
    }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    ...secretBaseFlag,
    'from-file': Flags.string({ summary: 'Read the value from this file instead of stdin.' }),
    restart: Flags.boolean({
      summary: 'Restart the services that read the secret (same images), so it applies now.',
    }),
  }

  async run(): Promise<SecretSetResult> {
    const { args, flags } = await this.parse(SecretSet)
    const eq = args.name.indexOf('=')
    const name = eq < 0 ? args.name : args.name.slice(0, eq)
    if (eq >= 0 && flags['from-file'] !== undefined) {
      throw new DjenvError(
        'USAGE',
        `${name} got a value twice: on the command line and from --from-file.`,
        'Give the value one way: --from-file FILE (or stdin) is safer than NAME=VALUE.',
      )
    }
    const value: ValueSource =
      eq >= 0
        ? { from: 'argument', value: args.name.slice(eq + 1) }
        : flags['from-file'] !== undefined
          ? { from: 'file', path: flags['from-file'] }
          : { from: 'stdin' }
    const [{ secretSet }, { readStream }] = await Promise.all([
      import('../../secrets/secret-set.js'),
      import('../../secrets/value.js'),
    ])
    const result = await secretSet(
      {
        env: args.env,
        name,
        value,
        base: flags.base,
        restart: flags.restart,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
      },
      {
        ...(await this.deps()),
        stdin: { isTTY: Boolean(process.stdin.isTTY), read: () => readStream(process.stdin) },
      },
    )
    if (!this.jsonEnabled()) {
      const { renderSecretSet } = await import('../../ui/render/secret.js')
      this.log(renderSecretSet(result))
    }
    return result
  }
}
