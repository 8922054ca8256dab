import { commandWords } from '../config/command-words.js'
import {
  checkSecretRefs,
  configuredEnvironment,
  effectiveSecrets,
  type ConfiguredEnvironment,
  type SecretRef,
  type SecretSource,
} from '../config/environment.js'
import { parseEnvName } from '../config/names.js'
import type { EnvKind } from '../config/names.js'
import {
  baseNames,
  envNames,
  type BaseNames,
  type BaseRef,
  type EnvNames,
  type TaskName,
} from '../config/naming.js'
import {
  configuredServices,
  FARGATE_SIZES,
  type ConfigData,
  type ProductionConfig,
  type ServiceName,
} from '../config/schema.js'
import { DjenvError } from '../core/errors.js'
import type { BaseAttributes } from './outputs.js'

/**
 * Everything the stacks build, resolved from configuration and inputs before any construct
 * exists: defaults per kind (infrastructure.md §4, §5) and every refusal, so the stack code
 * only translates settings into resources.
 */

/** Account and region every stack pins (no environment-agnostic stacks). */
export interface StackTarget {
  account: string
  region: string
}

export interface TaskSize {
  cpu: number
  memory: number
}

export interface DatabaseSettings {
  instanceClass: string
  /** PostgreSQL major version only: RDS picks the newest minor. */
  engineMajor: string
  allocatedStorage: number
  maxAllocatedStorage: number
  multiAz: boolean
  backupRetentionDays: number
  deletionProtection: boolean
  cloudwatchLogsExports: string[]
}

export type CertificateSettings =
  | { kind: 'imported'; arn: string }
  | { kind: 'created'; domainName: string; alternativeNames: string[] }

/**
 * CloudFront over the assets bucket (infrastructure.md §7). CloudFront takes its certificate
 * from us-east-1 only: a configured ARN, the base's own `*.<domain>` certificate when the base
 * is in us-east-1, or the output of the base's certificate stack, passed in by attribute.
 */
export interface CdnSettings {
  /** `static.<domain>` (ad hoc base) or `static-<env>.<domain>` (production), or configured. */
  host: string
  certificate: { kind: 'imported'; arn: string } | { kind: 'base' }
  /** cdn: media served through the distribution; signed: the distribution may not read media. */
  media: 'cdn' | 'signed'
}

/** The small us-east-1 stack that holds a DNS-validated certificate for a base's CDN host. */
export interface CdnCertificateSettings {
  names: BaseNames
  target: StackTarget
  host: string
  domain: string
  hostedZoneId: string
}

/** The region CloudFront reads certificates from. */
export const CLOUDFRONT_CERTIFICATE_REGION = 'us-east-1'

export interface BaseSettings {
  kind: EnvKind
  names: BaseNames
  target: StackTarget
  availabilityZones: string[]
  vpcCidr: string
  nat: 'instance' | 'gateway'
  /** IPv6 as well: prod serves AAAA records, which need a dual-stack load balancer. */
  dualStack: boolean
  domain: string
  hostedZoneId: string
  certificate: CertificateSettings
  webPort: number
  database: DatabaseSettings
  /** Redis (Valkey) nodes: 1 ad hoc; a primary and a replica with failover in prod. */
  redisNodes: 0 | 1 | 2
  bastion: boolean
  /** Production: data kept on delete, deletion and termination protection. */
  protect: boolean
  logRetentionDays: number
  /** Undefined with `static.cdn: false`. */
  cdn: CdnSettings | undefined
}

export interface ServicePlan {
  name: ServiceName
  command: string[]
  size: TaskSize
  imageTag: string
  /** Omitted for autoscaled services once they run: CloudFormation then keeps autoscaling's count. */
  desiredCount: number | undefined
  minHealthyPercent: number
  maxHealthyPercent: number
  stopTimeoutSeconds?: number
  autoscaling?: { min: number; max: number }
}

/** A secret as a container receives it: ECS reads the parameter when the task starts. */
export interface InjectedSecret {
  name: string
  from: SecretSource
  /** Full SSM parameter name, e.g. `/djenv/shop/pr-42/secrets/STRIPE_KEY`. */
  parameterName: string
}

export interface AppSettings {
  kind: EnvKind
  names: EnvNames
  target: StackTarget
  base: BaseAttributes
  /** Hostnames served; the first is the primary (DJENV_HOST). */
  hosts: string[]
  recordTypes: ('A' | 'AAAA')[]
  services: ServicePlan[]
  migrate: { command: string[]; size: TaskSize; imageTag: string }
  repository: string
  settingsModule: string
  healthCheckPath: string
  webPort: number
  capacityProviders: ('FARGATE' | 'FARGATE_SPOT')[]
  capacityProvider: 'FARGATE' | 'FARGATE_SPOT'
  containerInsights: boolean
  logRetentionDays: number
  retainLogs: boolean
  deregistrationDelaySeconds: number
  listenerPriority: number
  /** Plain settings from the configuration, by name (djenv's own are added by the stack). */
  environment: Record<string, string>
  /** Secrets: SECRET_KEY (the env's own), then the user's by name, env winning over base. */
  secrets: InjectedSecret[]
  /** SSM paths the execution role may read: the env's secrets and its base's shared ones. */
  secretPaths: string[]
  /** KMS key id or ARN of the secrets, when not the AWS managed key aws/ssm. */
  secretsKmsKey: string | undefined
}

/** Image tag per task: every configured service and `migrate`. */
export type ImageTags = Partial<Record<TaskName, string>>
/** Desired task count per configured service. */
export type DesiredCounts = Partial<Record<ServiceName, number>>

/** The fixed listener-rule priority of a production app on its dedicated load balancer. */
export const PROD_LISTENER_PRIORITY = 1000
/** ALB requests per target and minute that make production web scale out. */
export const PROD_REQUESTS_PER_TARGET = 1000

const ADHOC_SIZE: TaskSize = { cpu: 256, memory: 512 }
const PROD_WEB_SIZE: TaskSize = { cpu: 1024, memory: 2048 }
const PROD_WORKER_SIZE: TaskSize = { cpu: 512, memory: 1024 }
const DEFAULT_VPC_CIDR = '10.0.0.0/16'
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/**
 * `cdnCertificateArn`: the output of the base's certificate stack, required when
 * `resolveCdnCertificateSettings` says the base has one (offline: a placeholder).
 */
export function resolveBaseSettings(
  config: ConfigData,
  ref: BaseRef,
  account: string,
  cdnCertificateArn?: string,
): BaseSettings {
  const target = stackTarget(config, account)
  const names = baseNames(config, ref)
  const prod = ref.kind === 'prod' ? productionConfig(config, ref.name) : undefined
  const network = prod ?? config.adhoc
  const availabilityZones = config.availabilityZones ?? [`${config.region}a`, `${config.region}b`]
  const vpcCidr = network.vpcCidr ?? DEFAULT_VPC_CIDR
  checkVpcSize(vpcCidr, availabilityZones.length, ref)
  const hosts = ref.kind === 'prod' && prod ? productionHosts(config, ref.name, prod) : []
  return {
    kind: ref.kind,
    names,
    target,
    availabilityZones,
    vpcCidr,
    nat: network.nat ?? (prod ? 'gateway' : 'instance'),
    dualStack: Boolean(prod),
    domain: config.domain,
    hostedZoneId: config.hostedZoneId,
    certificate: config.certificateArn
      ? { kind: 'imported', arn: config.certificateArn }
      : {
          kind: 'created',
          domainName: `*.${config.domain}`,
          alternativeNames: [
            config.domain,
            ...hosts.filter((h) => !coveredByWildcard(h, config.domain)),
          ],
        },
    webPort: config.services.web.port,
    database: databaseSettings(network.database, ref),
    redisNodes: network.redis ? (prod ? 2 : 1) : 0,
    bastion: network.bastion,
    protect: Boolean(prod),
    logRetentionDays: prod ? 90 : 7,
    cdn: cdnSettings(config, ref, names, cdnCertificateArn),
  }
}

function cdnSettings(
  config: ConfigData,
  ref: BaseRef,
  names: BaseNames,
  stackArn: string | undefined,
): CdnSettings | undefined {
  const host = names.cdnHost
  if (host === undefined) return undefined
  const media = config.static.media
  const configured = configuredCdnCertificate(config, ref)
  if (configured) return { host, certificate: { kind: 'imported', arn: configured }, media }
  if (baseCertificateCoversCdn(config, host)) {
    return {
      host,
      certificate: config.certificateArn
        ? { kind: 'imported', arn: config.certificateArn }
        : { kind: 'base' },
      media,
    }
  }
  if (stackArn === undefined) {
    throw new Error(
      `${names.baseStack} needs the ARN of its CDN certificate (stack ${names.cdnCertificateStack})`,
    )
  }
  return { host, certificate: { kind: 'imported', arn: stackArn }, media }
}

/**
 * The us-east-1 certificate stack a base needs before it deploys, or undefined: none when the
 * CDN is off, a certificate ARN is configured, or the base is in us-east-1 and its own
 * `*.<domain>` certificate covers the CDN host.
 */
export function resolveCdnCertificateSettings(
  config: ConfigData,
  ref: BaseRef,
  account: string,
): CdnCertificateSettings | undefined {
  const names = baseNames(config, ref)
  const host = names.cdnHost
  if (host === undefined || configuredCdnCertificate(config, ref)) return undefined
  if (baseCertificateCoversCdn(config, host)) return undefined
  return {
    names,
    target: { ...stackTarget(config, account), region: CLOUDFRONT_CERTIFICATE_REGION },
    host,
    domain: config.domain,
    hostedZoneId: config.hostedZoneId,
  }
}

function configuredCdnCertificate(config: ConfigData, ref: BaseRef): string | undefined {
  const own = ref.kind === 'prod' ? config.production[ref.name]?.static.certificateArn : undefined
  return own ?? config.static.certificateArn
}

/** The base's certificate is `*.<domain>` in its region: usable when that is us-east-1. */
function baseCertificateCoversCdn(config: ConfigData, host: string): boolean {
  return config.region === CLOUDFRONT_CERTIFICATE_REGION && coveredByWildcard(host, config.domain)
}

export interface AppInput {
  config: ConfigData
  account: string
  base: BaseAttributes
  imageTags: ImageTags
  desiredCounts: DesiredCounts
  /** Secrets to inject besides SECRET_KEY, resolved before synthesis. */
  secrets: readonly SecretRef[]
}

export function resolveAdhocAppSettings(
  input: AppInput & { env: string; listenerPriority: number },
): AppSettings {
  const { config, base } = input
  const env = parseEnvName(
    input.env,
    { base: config.adhoc.base, productionEnvs: Object.keys(config.production) },
    'adhoc',
  )
  const names = envNames(config, env)
  checkBaseKind(base, 'adhoc', names.baseStack)
  checkPriority(input.listenerPriority)
  const tags = imageTags(config, input.imageTags)
  const spot = config.adhoc.spot
  const services = configuredServices(config).map((name): ServicePlan => {
    const svc = config.services[name]
    return {
      name,
      command: commandWords(svc?.command ?? []),
      size: taskSize(`services.${name}`, svc, ADHOC_SIZE),
      imageTag: tags[name] as string,
      desiredCount: desiredCount(input.desiredCounts, name, true),
      ...deployment(name),
    }
  })
  checkNoExtraCounts(config, input.desiredCounts)
  return {
    ...common(config, names, input),
    hosts: [names.host],
    recordTypes: ['A'],
    services,
    migrate: migratePlan(config, tags, taskSize('services.web', config.services.web, ADHOC_SIZE)),
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    capacityProvider: spot ? 'FARGATE_SPOT' : 'FARGATE',
    containerInsights: false,
    logRetentionDays: 3,
    retainLogs: false,
    deregistrationDelaySeconds: 10,
    listenerPriority: input.listenerPriority,
  }
}

export function resolveProdAppSettings(input: AppInput & { prodEnv: string }): AppSettings {
  const { config, base } = input
  const prod = productionConfig(config, input.prodEnv)
  const names = envNames(config, { name: input.prodEnv, kind: 'prod' })
  checkBaseKind(base, 'prod', names.baseStack)
  const tags = imageTags(config, input.imageTags)
  const scaled: Record<
    ServiceName,
    { size: TaskSize; autoscaling?: { min: number; max: number } }
  > = {
    web: {
      size: taskSize(`production.${input.prodEnv}.web`, prod.web, PROD_WEB_SIZE),
      autoscaling: scaling(prod.web),
    },
    worker: {
      size: taskSize(`production.${input.prodEnv}.worker`, prod.worker, PROD_WORKER_SIZE),
      autoscaling: scaling(prod.worker),
    },
    beat: { size: taskSize('services.beat', config.services.beat, ADHOC_SIZE) },
  }
  const services = configuredServices(config).map((name): ServicePlan => {
    const { size, autoscaling } = scaled[name]
    return {
      name,
      command: commandWords(config.services[name]?.command ?? []),
      size,
      imageTag: tags[name] as string,
      // Autoscaled services take a count only when asked (0 on the first deploy, §4.5).
      desiredCount: desiredCount(input.desiredCounts, name, !autoscaling),
      ...deployment(name),
      ...(autoscaling ? { autoscaling } : {}),
    }
  })
  checkNoExtraCounts(config, input.desiredCounts)
  return {
    ...common(config, names, input),
    hosts: productionHosts(config, input.prodEnv, prod),
    recordTypes: ['A', 'AAAA'],
    services,
    migrate: migratePlan(config, tags, scaled.web.size),
    capacityProviders: ['FARGATE'],
    capacityProvider: 'FARGATE',
    containerInsights: true,
    logRetentionDays: 90,
    retainLogs: true,
    deregistrationDelaySeconds: 30,
    listenerPriority: PROD_LISTENER_PRIORITY,
  }
}

function common(config: ConfigData, names: EnvNames, input: AppInput) {
  const plain = configuredEnvironment(config, { name: names.env, kind: names.kind })
  return {
    environment: plain.values,
    secrets: injectedSecrets(input.secrets, names, plain),
    secretPaths: [...new Set([names.secretsPath, names.baseSecretsPath])],
    secretsKmsKey: config.secrets.kmsKey,
    kind: names.kind,
    names,
    target: stackTarget(config, input.account),
    base: input.base,
    repository: config.image.repository,
    settingsModule: config.django.settingsModule,
    healthCheckPath: config.django.healthCheckPath,
    webPort: config.services.web.port,
  }
}

/**
 * SECRET_KEY first, always from the env's own path (djenv generates it there); then the
 * user's secrets by name, the env's own value winning over the base's.
 */
function injectedSecrets(
  refs: readonly SecretRef[],
  names: EnvNames,
  plain: ConfiguredEnvironment,
): InjectedSecret[] {
  const user = effectiveSecrets(refs.filter((r) => r.name !== 'SECRET_KEY'))
  checkSecretRefs(user, plain, names.env)
  const path = (from: SecretSource) => (from === 'env' ? names.secretsPath : names.baseSecretsPath)
  return [{ name: 'SECRET_KEY', from: 'env' as const }, ...user].map((r) => ({
    name: r.name,
    from: r.from,
    parameterName: `${path(r.from)}/${r.name}`,
  }))
}

function stackTarget(config: ConfigData, account: string): StackTarget {
  if (!/^\d{12}$/.test(account)) {
    throw new DjenvError('USAGE', `"${account}" is not a 12-digit AWS account id.`)
  }
  if (config.account !== undefined && config.account !== account) {
    throw new DjenvError(
      'CONFIG_INVALID',
      `The configuration names account ${config.account}, but the stacks were asked for account ${account}.`,
      'Use credentials of the configured account, or change `account:` in the configuration.',
    )
  }
  return { account, region: config.region }
}

function productionConfig(config: ConfigData, name: string): ProductionConfig {
  const prod = config.production[name]
  if (!prod) {
    const known = Object.keys(config.production)
    throw new DjenvError(
      'ENV_NOT_FOUND',
      `No production environment "${name}" in the configuration.`,
      known.length > 0
        ? `Configured production environments: ${known.join(', ')}.`
        : 'Add it under `production:`.',
    )
  }
  return prod
}

function productionHosts(config: ConfigData, name: string, prod: ProductionConfig): string[] {
  const hosts = prod.hostnames ?? [config.domain]
  for (const host of hosts) {
    if (host !== config.domain && !host.endsWith(`.${config.domain}`)) {
      throw new DjenvError(
        'CONFIG_INVALID',
        `production.${name}.hostnames: ${host} is not in the domain ${config.domain}, whose zone djenv writes.`,
        `Use ${config.domain} or names ending in .${config.domain}.`,
      )
    }
  }
  if (new Set(hosts).size !== hosts.length) {
    throw new DjenvError('CONFIG_INVALID', `production.${name}.hostnames lists a hostname twice.`)
  }
  // One listener rule matches them all, and a rule evaluates at most five values.
  if (hosts.length > 5) {
    throw new DjenvError(
      'CONFIG_INVALID',
      `production.${name}.hostnames has ${hosts.length} entries; the limit is 5.`,
    )
  }
  return hosts
}

function coveredByWildcard(host: string, domain: string): boolean {
  if (host === domain) return true
  const label = host.slice(0, -(domain.length + 1))
  return !label.includes('.')
}

/** The three subnet tiers must fit: /24 public, /20 app and /24 data per zone (§4.1). */
function checkVpcSize(cidr: string, zones: number, ref: BaseRef): void {
  const prefix = Number(cidr.split('/')[1])
  const needed = zones > 2 ? 17 : 18
  if (prefix > needed) {
    const key = ref.kind === 'prod' ? `production.${ref.name}.vpcCidr` : 'adhoc.vpcCidr'
    throw new DjenvError(
      'CONFIG_INVALID',
      `${key}: ${cidr} is too small for ${zones} zones of /24 public, /20 app and /24 data subnets.`,
      `Use a /${needed} or larger range, e.g. 10.0.0.0/16.`,
    )
  }
}

function databaseSettings(db: ProductionConfig['database'], ref: BaseRef): DatabaseSettings {
  const prod = ref.kind === 'prod'
  const key = prod ? `production.${ref.name}.database` : 'adhoc.database'
  if (!prod && db.multiAz) {
    throw new DjenvError(
      'CONFIG_INVALID',
      `${key}.multiAz: a standby is for production envs; ad hoc data is test data.`,
      'Remove multiAz from adhoc.database.',
    )
  }
  const backupRetentionDays = db.backupRetentionDays ?? (prod ? 14 : 1)
  if (prod && backupRetentionDays < 7) {
    throw new DjenvError(
      'CONFIG_INVALID',
      `${key}.backupRetentionDays: ${backupRetentionDays} days is too short for production; the minimum is 7.`,
    )
  }
  return {
    instanceClass: db.instanceClass ?? (prod ? 'db.t4g.small' : 'db.t4g.micro'),
    engineMajor: db.engineVersion,
    allocatedStorage: db.allocatedStorage,
    maxAllocatedStorage: Math.max(100, db.allocatedStorage * 2),
    multiAz: Boolean(db.multiAz),
    backupRetentionDays,
    deletionProtection: prod,
    cloudwatchLogsExports: prod ? ['postgresql', 'upgrade'] : [],
  }
}

function imageTags(config: ConfigData, tags: ImageTags): ImageTags {
  const needed: TaskName[] = [...configuredServices(config), 'migrate']
  for (const task of needed) {
    const tag = tags[task]
    if (tag === undefined) {
      throw new DjenvError(
        'USAGE',
        `No image tag for ${task}.`,
        'Pass an image tag for every service and migrate.',
      )
    }
    if (!TAG.test(tag) || tag === 'latest') {
      throw new DjenvError(
        'USAGE',
        `"${tag}" is not a usable image tag for ${task}.`,
        'Use an immutable tag such as the git SHA; `latest` is refused.',
      )
    }
  }
  for (const task of Object.keys(tags)) {
    if (!needed.includes(task as TaskName)) {
      throw new DjenvError(
        'USAGE',
        `An image tag was given for ${task}, which the configuration does not define.`,
      )
    }
  }
  return tags
}

function desiredCount(
  counts: DesiredCounts,
  name: ServiceName,
  required: boolean,
): number | undefined {
  const count = counts[name]
  if (count === undefined) {
    if (required) {
      throw new DjenvError(
        'USAGE',
        `No desired count for ${name}.`,
        'Pass 0 on the first deploy, then the recorded count.',
      )
    }
    return undefined
  }
  const max = name === 'beat' ? 1 : 100
  if (!Number.isInteger(count) || count < 0 || count > max) {
    throw new DjenvError(
      'USAGE',
      `Desired count ${count} for ${name} is out of range 0–${max}.`,
      name === 'beat' ? 'Two beats would run each periodic task twice.' : undefined,
    )
  }
  return count
}

function checkNoExtraCounts(config: ConfigData, counts: DesiredCounts): void {
  for (const name of Object.keys(counts)) {
    if (!configuredServices(config).includes(name as ServiceName)) {
      throw new DjenvError(
        'USAGE',
        `A desired count was given for ${name}, which the configuration does not define.`,
      )
    }
  }
}

function checkBaseKind(base: BaseAttributes, kind: EnvKind, stack: string): void {
  if (base.kind !== kind) {
    const words = { adhoc: 'an ad hoc', prod: 'a production' } as const
    throw new DjenvError(
      'USAGE',
      `Stack ${stack} would run on ${words[base.kind]} base, but it is ${words[kind]} env.`,
      kind === 'adhoc'
        ? 'Ad hoc envs run on the ad hoc base only.'
        : 'A production app runs on its own base.',
    )
  }
}

function checkPriority(priority: number): void {
  if (!Number.isInteger(priority) || priority < 1 || priority > 50000) {
    throw new DjenvError(
      'USAGE',
      `Listener rule priority ${priority} is not an integer from 1 to 50000.`,
    )
  }
}

/** Deployment settings per service (§4.3). */
function deployment(
  name: ServiceName,
): Pick<ServicePlan, 'minHealthyPercent' | 'maxHealthyPercent' | 'stopTimeoutSeconds'> {
  switch (name) {
    case 'web':
      return { minHealthyPercent: 100, maxHealthyPercent: 200 }
    case 'worker':
      // Celery's warm shutdown finishes running jobs; Fargate allows at most 120 s.
      return { minHealthyPercent: 100, maxHealthyPercent: 200, stopTimeoutSeconds: 120 }
    case 'beat':
      // Never two beats at once: each would run every periodic task.
      return { minHealthyPercent: 0, maxHealthyPercent: 100 }
  }
}

function scaling(cfg: { min?: number; max?: number }): { min: number; max: number } {
  const min = cfg.min ?? 2
  return { min, max: cfg.max ?? Math.max(min, 4) }
}

function migratePlan(config: ConfigData, tags: ImageTags, size: TaskSize): AppSettings['migrate'] {
  return { command: commandWords(config.migrate.command), size, imageTag: tags.migrate as string }
}

/** A Fargate size from optional CPU and memory, completing whichever is missing. */
function taskSize(
  key: string,
  cfg: { cpu?: number; memory?: number } | undefined,
  fallback: TaskSize,
): TaskSize {
  const cpu =
    cfg?.cpu ??
    (cfg?.memory === undefined ? fallback.cpu : (smallestCpuFor(cfg.memory) ?? fallback.cpu))
  const allowed = FARGATE_SIZES[cpu] ?? []
  const memory =
    cfg?.memory ??
    (allowed.includes(fallback.memory) ? fallback.memory : (allowed[0] ?? fallback.memory))
  if (!allowed.includes(memory)) {
    throw new DjenvError(
      'CONFIG_INVALID',
      `${key}: Fargate does not offer ${memory} MiB with ${cpu} CPU units; allowed: ${allowed.join(', ')}.`,
    )
  }
  return { cpu, memory }
}

function smallestCpuFor(memory: number): number | undefined {
  return Object.keys(FARGATE_SIZES)
    .map(Number)
    .sort((a, b) => a - b)
    .find((cpu) => FARGATE_SIZES[cpu]?.includes(memory))
}
