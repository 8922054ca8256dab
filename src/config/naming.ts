import type { ConfigData } from './schema.js'
import type { EnvKind, EnvName } from './names.js'

/**
 * Every name djenv builds from project, base and env names, in one place
 * (infrastructure.md §2). src/infra and src/aws both read them from here.
 */
export interface EnvNames {
  project: string
  /** Base the env runs on: the ad hoc base, or the production env's own base. */
  base: string
  env: string
  kind: EnvName['kind']
  baseStack: string
  appStack: string
  cluster: string
  logGroup: string
  host: string
  url: string
  databaseName: string
  ssmRoot: string
  envSsmRoot: string
  /** The env as it appears inside its base: the ad hoc env's name, or `app` in production. */
  appEnv: string
  /** Task-definition family per task: `<project>-<base>-<appEnv>-<task>`. */
  families: Record<TaskName, string>
  /** Key prefixes in the base's assets bucket: `<appEnv>/static`, `<appEnv>/media`. */
  staticPrefix: string
  mediaPrefix: string
  /** Namespace for Celery queues, results and cache keys on a shared Redis: `<appEnv>:`. */
  redisPrefix: string
  /** SSM path of the env's own secrets (SecureString, written by djenv): `/djenv/<project>/<env>/secrets`. */
  secretsPath: string
  /** The env's Django secret key parameter: `<secretsPath>/SECRET_KEY`. */
  secretKeyParameter: string
  /**
   * SSM path of the secrets every env of the base shares: `/djenv/<project>/<base>/secrets`.
   * A production env's base is its own, so there it equals `secretsPath`.
   */
  baseSecretsPath: string
}

/** Every task an app env defines: the three services and the run-only `migrate`. */
export const TASK_NAMES = ['web', 'worker', 'beat', 'migrate'] as const
export type TaskName = (typeof TASK_NAMES)[number]

/** The single app env of a production base is named `app`. */
export const PROD_APP_ENV = 'app'

export function envNames(config: ConfigData, env: EnvName): EnvNames {
  const project = config.project
  const base = env.kind === 'prod' ? env.name : config.adhoc.base
  const appEnv = env.kind === 'prod' ? PROD_APP_ENV : env.name
  const host = env.kind === 'prod' ? primaryHost(config, env.name) : `${env.name}.${config.domain}`
  return {
    project,
    base,
    env: env.name,
    kind: env.kind,
    baseStack: baseStackName(project, base),
    appStack: `${project}-${base}-${appEnv}`,
    cluster: `${project}-${base}-${appEnv}`,
    logGroup: `/djenv/${project}/${base}/${appEnv}`,
    host,
    url: `https://${host}`,
    databaseName: appEnv.replace(/-/g, '_'),
    ssmRoot: `/djenv/${project}/${base}`,
    envSsmRoot: `/djenv/${project}/${base}/envs/${appEnv}`,
    appEnv,
    families: {
      web: `${project}-${base}-${appEnv}-web`,
      worker: `${project}-${base}-${appEnv}-worker`,
      beat: `${project}-${base}-${appEnv}-beat`,
      migrate: `${project}-${base}-${appEnv}-migrate`,
    },
    staticPrefix: `${appEnv}/static`,
    mediaPrefix: `${appEnv}/media`,
    redisPrefix: `${appEnv}:`,
    secretsPath: `/djenv/${project}/${env.name}/secrets`,
    secretKeyParameter: `/djenv/${project}/${env.name}/secrets/SECRET_KEY`,
    baseSecretsPath: `/djenv/${project}/${base}/secrets`,
  }
}

/** Which base: the project's ad hoc base, or the dedicated base of a production env. */
export type BaseRef = { kind: 'adhoc' } | { kind: 'prod'; name: string }

/** Names of a base's own resources (infrastructure.md §2, §4.1). */
export interface BaseNames {
  project: string
  base: string
  kind: EnvKind
  baseStack: string
  ssmRoot: string
  /** ECS cluster that runs the db-admin task. */
  opsCluster: string
  opsLogGroup: string
  dbAdminFamily: string
  /** Container of the db-admin task, the one whose command djenv overrides. */
  dbAdminContainer: string
  /**
   * Secrets Manager name of the RDS master credentials. Not `…/db-master`: a name ending in
   * `-` plus six characters looks like the random suffix of a secret ARN (§2).
   */
  dbMasterSecretName: string
  /**
   * The us-east-1 stack holding the CDN certificate, when djenv creates it: `<project>-<base>-static`
   * (no ad hoc env can be named `static`, so no app stack takes the name).
   */
  cdnCertificateStack: string
  /** The host static and media files are served from, or undefined with `static.cdn: false`. */
  cdnHost: string | undefined
}

export function baseNames(config: ConfigData, ref: BaseRef): BaseNames {
  const project = config.project
  const base = ref.kind === 'prod' ? ref.name : config.adhoc.base
  return {
    project,
    base,
    kind: ref.kind,
    baseStack: baseStackName(project, base),
    ssmRoot: `/djenv/${project}/${base}`,
    opsCluster: `${project}-${base}-ops`,
    opsLogGroup: `/djenv/${project}/${base}/ops`,
    dbAdminFamily: `${project}-${base}-db-admin`,
    dbAdminContainer: 'db-admin',
    dbMasterSecretName: `djenv/${project}/${base}/db-master-credentials`,
    cdnCertificateStack: `${project}-${base}-static`,
    cdnHost: cdnHost(config, ref),
  }
}

/**
 * The CDN host of a base (§7): `static.<domain>` for the ad hoc base and `static-<env>.<domain>`
 * for a production env unless configured; undefined when the CDN is off.
 */
export function cdnHost(config: ConfigData, ref: BaseRef): string | undefined {
  if (!config.static.cdn) return undefined
  if (ref.kind === 'adhoc') return config.static.domain ?? `static.${config.domain}`
  return config.production[ref.name]?.static.domain ?? `static-${ref.name}.${config.domain}`
}

export function baseStackName(project: string, base: string): string {
  return `${project}-${base}`
}

function primaryHost(config: ConfigData, prodEnv: string): string {
  return config.production[prodEnv]?.hostnames?.[0] ?? config.domain
}
