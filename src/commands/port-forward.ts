import { Args, Flags } from '@oclif/core'

import { DjenvCommand } from '../core/command.js'
import { awsFlags, configFlags } from '../core/flags.js'
import type { PortForwardResult } from '../connect/port-forward.js'

export default class PortForward extends DjenvCommand<PortForwardResult | undefined> {
  static override summary = "Forward a local port to the env's database (or Redis, or HOST:PORT)."
  static override description = `Listens on --bind (127.0.0.1) and forwards each connection to the target through the base's bastion (started if it is stopped) or, with --via task (the default when the base has no bastion), through a running task of the env. djenv speaks Session Manager itself: no session-manager-plugin. Many connections share one session (DBeaver opens several); when AWS closes the stream, djenv resumes it or opens a new session while the local port stays up.

The default local port is stable per env: 15432 + a hash of the project and env name below 500 for the database (16379 + … for Redis, 17000 + … for HOST:PORT), so a saved DBeaver connection keeps working; --local-port overrides it.

Once ready, djenv prints host, port, database, username (postgres), a postgres:// URL, a JDBC URL and a psql command; the password only with --show-password (from the base's Secrets Manager secret). With --json it prints the same as one JSON document once the listener is ready, then keeps running, so CI scripts can wait for that line.

Ctrl-C stops forwarding: a normal end, exit code 0.

EXIT CODES
  0    stopped with Ctrl-C (a second Ctrl-C exits 130 at once)
  1    failure (AWS error, no bastion or running task, session failure)
  2    usage or configuration error, or the local port is in use`

  static override examples = [
    '<%= config.bin %> <%= command.id %> pr-42',
    '<%= config.bin %> <%= command.id %> pr-42 --show-password',
    '<%= config.bin %> <%= command.id %> pr-42 --to redis --local-port 6380',
    '<%= config.bin %> <%= command.id %> prod --via task --to search.internal:9200',
    '<%= config.bin %> <%= command.id %> pr-42 --json > forward.json &    # CI: wait for the line',
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
    to: Flags.string({ summary: 'What to reach: db, redis or HOST:PORT.', default: 'db' }),
    via: Flags.string({
      summary: 'Through the base bastion or a running task (default: bastion when there is one).',
      options: ['bastion', 'task'],
    }),
    'local-port': Flags.integer({
      summary: 'Local port (default: stable per env, see the description).',
      min: 1,
      max: 65535,
    }),
    bind: Flags.string({ summary: 'Local address to listen on.', default: '127.0.0.1' }),
    'show-password': Flags.boolean({ summary: 'Print the database password too.' }),
    service: Flags.string({ summary: '--via task: service whose task to use.', default: 'web' }),
    task: Flags.string({ summary: '--via task: task id or ARN to use.' }),
  }

  async run(): Promise<PortForwardResult | undefined> {
    const { args, flags } = await this.parse(PortForward)
    const json = this.jsonEnabled()
    const [{ portForward }, render] = await Promise.all([
      import('../connect/port-forward.js'),
      import('../ui/render/port-forward.js'),
    ])
    const result = await portForward(
      {
        name: args.env,
        to: flags.to,
        via: flags.via as 'bastion' | 'task' | undefined,
        service: flags.service,
        task: flags.task,
        localPort: flags['local-port'],
        bind: flags.bind,
        showPassword: flags['show-password'],
        configPath: flags.config,
        profile: flags.profile,
        region: flags.region,
        onReady: (ready) => {
          if (json) this.logJson(ready)
          else this.log(render.renderPortForwardReady(ready))
        },
      },
      await this.deps(),
    )
    if (json) return undefined // the ready document was the one JSON document
    this.logToStderr(render.renderPortForwardEnd(result))
    return result
  }
}
