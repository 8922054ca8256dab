import { Flags } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../core/command.js'
import type { InitResult } from '../init/init.js'

export default class Init extends DjenvCommand<InitResult> {
  static override summary = 'Write djenv.yml for this Django project.'
  static override description = `Asks for what it needs on a terminal; in CI or with --yes every value comes from flags or defaults, and a missing one is an error naming its flag. An existing configuration is never overwritten without --force.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --project shop --region eu-west-1 --domain shop.example.com --hosted-zone-id Z0123456789ABCDEFGHIJ --yes',
    '<%= config.bin %> <%= command.id %> --domain shop.example.com --hosted-zone-id Z0123456789ABCDEFGHIJ --yes --force --json',
    '<%= config.bin %> <%= command.id %> --ci github    # add GitHub Actions workflows to a configured project',
  ]

  static override flags = {
    project: Flags.string({ summary: 'Project name (default: the directory name).' }),
    region: Flags.string({ summary: 'AWS region (default: AWS_REGION, then us-east-1).' }),
    domain: Flags.string({ summary: 'Domain; envs are served at <env>.<domain>.' }),
    'hosted-zone-id': Flags.string({ summary: 'Route 53 hosted zone id of the domain.' }),
    'image-repository': Flags.string({
      summary: 'ECR repository of the app image (default: the project name).',
    }),
    'settings-module': Flags.string({
      summary: 'DJANGO_SETTINGS_MODULE (default: <project>.settings).',
    }),
    config: Flags.string({ char: 'c', summary: 'File to write.', default: 'djenv.yml' }),
    yes: Flags.boolean({
      char: 'y',
      summary: 'Use defaults for everything not given; never prompt.',
    }),
    force: Flags.boolean({
      char: 'f',
      summary: 'Overwrite an existing configuration (and workflows with --ci).',
    }),
    ci: Flags.string({
      summary:
        'Also write CI workflows: preview envs per pull request, their teardown, production deploys, daily gc.',
      options: ['github'],
    }),
    'main-branch': Flags.string({
      summary: 'With --ci: the branch whose pushes deploy to production.',
      default: 'main',
    }),
  }

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(Init)
    const { init } = await import('../init/init.js')
    const result = await init(
      {
        project: flags.project,
        region: flags.region,
        domain: flags.domain,
        hostedZoneId: flags['hosted-zone-id'],
        imageRepository: flags['image-repository'],
        settingsModule: flags['settings-module'],
        path: flags.config,
        yes: flags.yes,
        force: flags.force,
        version: this.config.version,
        ci: flags.ci as 'github' | undefined,
        mainBranch: flags['main-branch'],
      },
      await this.deps(),
    )
    if (!this.jsonEnabled()) {
      const { renderInit } = await import('../ui/render/init.js')
      this.log(renderInit(result, process.cwd()))
    }
    return result
  }
}
