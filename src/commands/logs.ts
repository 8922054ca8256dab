import { Args, Flags, ux } from '@oclif/core'

import { DjenvCommand, EXIT_CODES_HELP } from '../core/command.js'
import { awsFlags, configFlags } from '../core/flags.js'
import type { EnvLogsResult } from '../deploy/logs.js'

export default class Logs extends DjenvCommand<EnvLogsResult | undefined> {
  static override summary = "Show or follow an environment's service logs."
  static override description = `Prints the env's log lines since --since (default 10m), every service interleaved in time order and labelled with its service and task, or only --service's. --follow goes on with new lines (CloudWatch Logs live tail; polling where live tail is unavailable) until Ctrl-C, which ends it normally.

With --json, stdout holds one JSON object per line: {"time","service","task","stream","message"}.

ENV may be left out when DJENV_ENV or defaultEnv names it.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42',
    '<%= config.bin %> <%= command.id %> pr-42 --service web --follow',
    '<%= config.bin %> <%= command.id %> prod --since 1h --json | jq -r .message    # in CI',
  ]

  static override args = {
    env: Args.string({
      required: false,
      description: 'Environment, e.g. pr-42 (default: DJENV_ENV, then defaultEnv).',
    }),
  }

  static override flags = {
    ...configFlags,
    ...awsFlags,
    service: Flags.string({
      char: 's',
      summary: "Only this service's logs (default: every service).",
      options: ['web', 'worker', 'beat', 'migrate'],
    }),
    follow: Flags.boolean({ char: 'f', summary: 'Go on showing new lines until Ctrl-C.' }),
    since: Flags.string({
      summary: 'How far back: a duration (10m, 2h, 1d) or an ISO time.',
      default: '10m',
    }),
  }

  async run(): Promise<EnvLogsResult | undefined> {
    const { args, flags } = await this.parse(Logs)
    const [{ envLogs }, { renderLogLine }] = await Promise.all([
      import('../deploy/logs.js'),
      import('../ui/render/logs.js'),
    ])
    const json = this.jsonEnabled()
    const result = await envLogs(
      {
        name: args.env,
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        service: flags.service,
        follow: flags.follow ?? false,
        since: flags.since,
        onEvent: (e) => ux.stdout(json ? JSON.stringify(e) : renderLogLine(e)),
      },
      await this.deps(),
    )
    // --json is one object per line: the lines themselves, no closing document.
    return json ? undefined : result
  }

  /** One line per document, also for `{ "error": … }`. */
  override logJson(json: unknown): void {
    ux.stdout(JSON.stringify(json))
  }
}
