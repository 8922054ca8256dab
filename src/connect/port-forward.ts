import type { AddressInfo, Socket } from 'node:net'

import type { Deps } from '../core/command.js'
import type { Aws } from '../aws/clients.js'
import { DjenvError } from '../core/errors.js'
import { ensureInstanceRunning, instanceState } from '../aws/ec2.js'
import { secretJsonValue } from '../aws/secretsmanager.js'
import {
  resumeSession,
  startPortSession,
  terminateSession,
  waitForInstanceOnline,
  type SsmSessionTarget,
} from '../aws/ssm-session.js'
import { baseOf, openAppEnv } from '../deploy/app-env.js'
import type { ProjectInput } from '../deploy/project.js'
import { createPortForwarder } from '../session/index.js'
import { defaultLocalPort, listenLocal } from './local-port.js'
import { pickTask } from './task-pick.js'

export interface PortForwardInput extends ProjectInput {
  /** The env; absent: DJENV_ENV, defaultEnv, or a pick on a terminal. */
  name?: string
  /** `db`, `redis` or `HOST:PORT` as seen from the VPC. @default 'db' */
  to?: string
  /** @default 'bastion' when the base has one, else 'task' */
  via?: 'bastion' | 'task'
  /** --via task: which task (as `djenv exec` picks it). */
  service?: string
  task?: string
  container?: string
  /** @default a stable port per env (see `defaultLocalPort`) */
  localPort?: number
  /** @default '127.0.0.1' */
  bind?: string
  /** Read the database password from Secrets Manager and print it. */
  showPassword: boolean
  /** Called once the listener is up and the first session is open. */
  onReady?(ready: PortForwardReady): void
}

/** What a DBeaver or psql user needs, printed once the forward is ready. */
export interface PortForwardReady {
  env: string
  to: { kind: 'db' | 'redis' | 'custom'; host: string; port: number }
  via: 'bastion' | 'task'
  /** The SSM target: `i-…`, or `ecs:<cluster>_<taskId>_<runtimeId>`. */
  through: string
  host: string
  port: number
  /** The env's database (db only). */
  database: string | null
  username: string | null
  /** Only with --show-password. */
  password: string | null
  url: string | null
  jdbcUrl: string | null
  psql: string | null
}

export interface PortForwardResult extends PortForwardReady {
  /** Sessions opened (more than one after reconnects). */
  sessions: number
  connections: number
  durationMs: number
}

export type PortForwardDeps = Pick<
  Deps,
  'cwd' | 'env' | 'ask' | 'terminal' | 'report' | 'clock' | 'signal'
>

/** A session started ahead of the first connection is used only while this fresh. */
const PRESTARTED_MAX_AGE_MS = 60_000

/**
 * Forwards a local port to the env's database (or Redis, or any HOST:PORT of the VPC) through
 * the base's bastion (started when stopped) or a running task, over SSM port sessions in mux
 * mode: many connections at once, resumed or reopened when a session drops while the listener
 * stays up. Runs until `deps.signal` aborts (Ctrl-C), which is a normal end.
 */
export async function portForward(
  input: PortForwardInput,
  deps: PortForwardDeps,
): Promise<PortForwardResult> {
  const to = parseTo(input.to ?? 'db')
  const started = deps.clock.now().getTime()
  const app = await openAppEnv(input, deps)
  const { aws, region, config } = app.project
  const base = await baseOf(app)

  const remote: PortForwardReady['to'] =
    to.kind === 'db'
      ? { kind: 'db', host: base.dbHost, port: Number(base.dbPort) }
      : to.kind === 'redis'
        ? redisOf(base.redisHost, base.redisPort, app.names.baseStack)
        : { kind: 'custom', host: to.host, port: to.port }
  const via = input.via ?? (base.bastionInstanceId ? 'bastion' : 'task')
  if (via === 'bastion' && !base.bastionInstanceId) {
    throw new DjenvError(
      'BASTION_UNAVAILABLE',
      `Base ${app.names.baseStack} has no bastion.`,
      'Use `--via task` to go through a running task of the env, or enable the bastion in the base.',
    )
  }
  if (!input.via && via === 'task') {
    deps.report.info(`Base ${app.names.baseStack} has no bastion: going through a task of the env.`)
  }

  const bind = input.bind ?? '127.0.0.1'
  const localPort = input.localPort ?? defaultLocalPort(config.project, app.env.name, to.kind)
  // State checks before the first mutation (starting the bastion): the local port first.
  const server = await listenLocal(bind, localPort)
  const sockets = new Set<Socket>()
  let forwarder: ReturnType<typeof createPortForwarder> | undefined
  let prestarted: { target: SsmSessionTarget; at: number } | undefined
  try {
    const through =
      via === 'bastion'
        ? await readyBastion(base.bastionInstanceId as string, app.project, deps)
        : await taskTarget(app, input, deps)
    const password =
      input.showPassword && to.kind === 'db'
        ? await secretJsonValue(aws.secretsmanager, base.dbMasterSecretArn, 'password', region)
        : null
    const port = (server.address() as AddressInfo).port
    const start = () =>
      startPortSession(
        aws.ssm,
        { target: through, host: remote.host, port: remote.port, localPort: port },
        region,
      )

    // One session now, so a target that cannot be reached fails here, not at the first connect.
    prestarted = { target: await start(), at: deps.clock.now().getTime() }
    let sessions = 0
    let connections = 0
    let closing = false
    const fwd = createPortForwarder({
      start: async () => {
        const early = prestarted
        prestarted = undefined
        if (early && deps.clock.now().getTime() - early.at < PRESTARTED_MAX_AGE_MS)
          return early.target
        if (early) void terminateSession(aws.ssm, early.target.sessionId)
        return start()
      },
      resume: (id) => resumeSession(aws.ssm, id, region),
      onSession: (e) => {
        if (e.type === 'opened') {
          sessions++
          if (sessions > 1) deps.report.info(`Reconnected: session ${e.sessionId}.`)
        } else if (!closing) {
          const why =
            e.end.kind === 'channel-closed'
              ? e.end.output
              : e.end.kind === 'failed'
                ? e.end.error.message
                : 'closed'
          deps.report.info(
            `Session ${e.sessionId} ended${why ? ` (${why})` : ''}; the next connection opens a new one.`,
          )
        }
      },
      onEvent: (e) => {
        if (e.type === 'reconnecting')
          deps.report.info(`Connection to AWS lost (${e.reason}); resuming…`)
      },
      onWarning: (text) => deps.report.warn(text),
    })
    forwarder = fwd
    server.on('connection', (socket: Socket) => {
      connections++
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.setKeepAlive(true, 30_000)
      fwd.forward(socket).catch((err: unknown) => {
        if (!closing) deps.report.warn(`A connection failed: ${(err as Error).message}`)
      })
    })

    const ready = describeReady({
      env: app.env.name,
      to: remote,
      via,
      through,
      bind,
      port,
      database: to.kind === 'db' ? app.names.databaseName : null,
      password,
    })
    input.onReady?.(ready)

    await aborted(deps.signal)
    closing = true
    return {
      ...ready,
      sessions,
      connections,
      durationMs: deps.clock.now().getTime() - started,
    }
  } finally {
    server.close()
    for (const socket of sockets) socket.destroy()
    const current = forwarder?.session?.sessionId
    await forwarder?.close().catch(() => undefined)
    if (current) await terminateSession(aws.ssm, current)
    if (prestarted) await terminateSession(aws.ssm, prestarted.target.sessionId)
  }
}

type To = { kind: 'db' } | { kind: 'redis' } | { kind: 'custom'; host: string; port: number }

/** `db`, `redis`, or `HOST:PORT` (IPv6 as `[::1]:5432`). */
export function parseTo(to: string): To {
  if (to === 'db') return { kind: 'db' }
  if (to === 'redis') return { kind: 'redis' }
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(to)
  const port = m ? Number(m[3]) : NaN
  if (!m || port < 1 || port > 65535) {
    throw new DjenvError(
      'USAGE',
      `--to ${to} is neither db, redis nor HOST:PORT.`,
      'E.g. --to db, --to redis or --to search.internal:9200.',
    )
  }
  return { kind: 'custom', host: (m[1] ?? m[2]) as string, port }
}

function redisOf(host: string | undefined, port: string | undefined, baseStack: string) {
  if (!host || !port) {
    throw new DjenvError(
      'USAGE',
      `Base ${baseStack} has no Redis.`,
      'Enable Redis in the base configuration, or forward to HOST:PORT with --to.',
    )
  }
  return { kind: 'redis' as const, host, port: Number(port) }
}

/** Starts the bastion when it is stopped and waits until SSM sees its agent online. */
async function readyBastion(
  instanceId: string,
  project: { aws: Aws; region: string },
  deps: PortForwardDeps,
): Promise<string> {
  const { aws, region } = project
  const state = await instanceState(aws.ec2, instanceId, region)
  if (state !== 'running') {
    await deps.report.step(
      `Start bastion ${instanceId} (${state ?? 'missing'}) and wait for its SSM agent`,
      async () => {
        await ensureInstanceRunning(aws.ec2, instanceId, region, deps.clock, {
          signal: deps.signal,
        })
        await waitForInstanceOnline(aws.ssm, instanceId, region, deps.clock, {
          signal: deps.signal,
        })
      },
    )
  } else {
    await waitForInstanceOnline(aws.ssm, instanceId, region, deps.clock, { signal: deps.signal })
  }
  return instanceId
}

async function taskTarget(
  app: Awaited<ReturnType<typeof openAppEnv>>,
  input: PortForwardInput,
  deps: PortForwardDeps,
): Promise<string> {
  const picked = await pickTask(app, input, deps)
  if (!picked.runtimeId) {
    throw new DjenvError(
      'TASK_NOT_FOUND',
      `Container ${picked.container} of task ${picked.task.taskId} has no runtime id yet.`,
      'Wait until the task is fully running, then try again.',
    )
  }
  if (!picked.task.execEnabled) {
    throw new DjenvError(
      'EXEC_UNAVAILABLE',
      `ECS Exec is not enabled on task ${picked.task.taskId}; port forwarding through it needs it.`,
      'Redeploy (`djenv deploy-image`) to replace tasks started without exec, or use a bastion.',
    )
  }
  return `ecs:${app.cluster}_${picked.task.taskId}_${picked.runtimeId}`
}

function describeReady(o: {
  env: string
  to: PortForwardReady['to']
  via: 'bastion' | 'task'
  through: string
  bind: string
  port: number
  database: string | null
  password: string | null
}): PortForwardReady {
  const host = o.bind === '0.0.0.0' || o.bind === '::' ? '127.0.0.1' : o.bind
  const hostPart = host.includes(':') ? `[${host}]` : host
  const isDb = o.to.kind === 'db'
  const username = isDb ? 'postgres' : null
  const auth = isDb
    ? `postgres${o.password === null ? '' : `:${encodeURIComponent(o.password)}`}@`
    : ''
  const url = isDb
    ? `postgres://${auth}${hostPart}:${o.port}/${o.database ?? ''}`
    : o.to.kind === 'redis'
      ? `redis://${hostPart}:${o.port}`
      : null
  return {
    env: o.env,
    to: o.to,
    via: o.via,
    through: o.through,
    host,
    port: o.port,
    database: o.database,
    username,
    password: o.password,
    url,
    jdbcUrl: isDb ? `jdbc:postgresql://${hostPart}:${o.port}/${o.database ?? ''}` : null,
    psql: isDb ? `psql -h ${host} -p ${o.port} -U postgres -d ${o.database ?? ''}` : null,
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}
