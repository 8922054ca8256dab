import { configuredServices } from '../config/schema.js'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

import type { App } from 'aws-cdk-lib'

import type { Deps } from '../core/command.js'
import { loadConfig } from '../config/load.js'
import { type EnvKind } from '../config/names.js'
import { TASK_NAMES, type BaseRef } from '../config/naming.js'
import type { ConfigData, ServiceName } from '../config/schema.js'
import {
  addBaseStack,
  addCdnCertificateStack,
  addEnvAppStack,
  CLOUDFRONT_CERTIFICATE_REGION,
  djenvContext,
  type ImageTags,
  placeholderBaseAttributes,
  placeholderCdnCertificateArn,
  PROD_LISTENER_PRIORITY,
  resolveCdnCertificateSettings,
} from '../infra/index.js'
import { runningShape, serviceSize, tasksOf, zeroCounts } from './app-inputs.js'
import { estimateEnvCost, type CostEstimate } from '../cost/estimate.js'
import { hashedPriority } from './priority.js'
import { projectEnv } from './project.js'
import { synthesizeOffline } from './synth-offline.js'

/** Account used offline when the configuration names none: synthesis needs a concrete one. */
export const PLACEHOLDER_ACCOUNT = '000000000000'
/** Image tag used offline when neither --image-tag nor `image.tag` gives one. */
export const PLACEHOLDER_TAG = 'dry-run'

export interface EnvPlanInput {
  name: string
  configPath?: string
  /** Write each stack's template to DIR/<stack>.template.json. */
  out?: string
  /** Run aws-cdk-lib's CloudFormation validation too (about 2 s). */
  validate: boolean
  /** Image tag of every service, instead of `image.tag` from the configuration. */
  imageTag?: string
  /**
   * Also plan the shared ad hoc base (always done for production, whose base is the env's own).
   * @default false
   */
  withBase?: boolean
}

export interface PlannedStack {
  name: string
  /** certificate: the base's us-east-1 stack holding its CDN certificate. */
  role: 'certificate' | 'base' | 'app'
  region: string
  resourceCount: number
  /** Resources by CloudFormation type, most numerous first. */
  resources: { type: string; count: number }[]
  outputs: string[]
  /** Where the template was written, with --out. */
  templateFile: string | null
}

/** One container of the env: the names of its plain settings and of its secrets. */
export interface PlannedContainer {
  name: string
  settings: string[]
  secrets: string[]
}

/** Where the env's static and media files are served, read from its planned template. */
export interface PlannedFiles {
  /** The base's CloudFront host, or null with `static.cdn: false` (the app serves them). */
  cdnHost: string | null
  /** `https://<cdnHost>/<env>/static/`, or null without CDN. */
  staticUrl: string | null
  /** `https://<cdnHost>/<env>/media/`, or null when media are linked by pre-signed S3 URLs. */
  mediaUrl: string | null
  /** The env's prefixes in the base's assets bucket. */
  staticLocation: string
  mediaLocation: string
}

/** What `djenv env create NAME --dry-run` shows; nothing in AWS is read or changed. */
export interface EnvPlanResult {
  env: string
  kind: EnvKind
  project: string
  base: string
  region: string
  account: string
  accountIsPlaceholder: boolean
  url: string
  offline: true
  validation: 'off' | 'passed'
  /** Warnings of the CloudFormation validation (--validate); errors fail the plan. */
  validationWarnings: string[]
  listenerPriority: { value: number; source: 'name-hash' | 'fixed' }
  images: { repository: string; tag: string; source: 'flag' | 'config' | 'placeholder' }
  services: { name: ServiceName; desiredCount: number; cpu: number; memory: number }[]
  database: string
  stacks: PlannedStack[]
  /** What the env uses from its base instead of owning it. */
  shared: string[]
  /**
   * The variables each container gets, by name only (never values), read from the planned
   * template. Offline, the secrets are SECRET_KEY, POSTGRES_PASSWORD and `secrets.names`;
   * a deploy injects every secret stored in SSM for the env and its base.
   */
  containers: PlannedContainer[]
  files: PlannedFiles
  /** Monthly estimate once its services run; the base's share is unknown offline. */
  cost: CostEstimate
  outDir: string | null
}

export type EnvPlanDeps = Pick<Deps, 'cwd' | 'report'>

/**
 * Synthesizes an env's stacks and its base's offline (no credentials, no network) and
 * summarizes them: the README's first command.
 */
export async function envPlan(input: EnvPlanInput, deps: EnvPlanDeps): Promise<EnvPlanResult> {
  const { data: config } = await loadConfig({ cwd: deps.cwd, path: input.configPath })
  const { env, names } = projectEnv(config, input.name)
  // A shared ad hoc base is planned only on request: it is the same for every env.
  const withBase = env.kind === 'prod' || input.withBase === true
  const ref: BaseRef = env.kind === 'prod' ? { kind: 'prod', name: env.name } : { kind: 'adhoc' }
  const account = config.account ?? PLACEHOLDER_ACCOUNT
  const images = imagePlan(config, input.imageTag)
  const imageTags = Object.fromEntries(tasksOf(config).map((t) => [t, images.tag])) as ImageTags
  const desiredCounts = zeroCounts(config)
  const priority = env.kind === 'prod' ? PROD_LISTENER_PRIORITY : hashedPriority(env.name)
  const base = placeholderBaseAttributes(config, ref, account)
  // CloudFront reads certificates from us-east-1: a base elsewhere comes with a stack there,
  // whose output a placeholder stands for offline.
  const certificate = withBase ? resolveCdnCertificateSettings(config, ref, account) : undefined
  const cdnCertificateArn = certificate && placeholderCdnCertificateArn(config, ref, account)
  // Offline, the secrets the configuration declares stand for what SSM will hold.
  const secrets = config.secrets.names.map((name) => ({ name, from: 'env' as const }))

  const build = (app: App) => {
    if (withBase) {
      addCdnCertificateStack(app, { config, account, ref })
      addBaseStack(app, ref, { config, account, cdnCertificateArn })
    }
    addEnvAppStack(app, env, {
      config,
      account,
      base,
      imageTags,
      desiredCounts,
      secrets,
      listenerPriority: priority,
    })
  }

  const outDir = input.out ? resolve(deps.cwd, input.out) : undefined
  const planned: { name: string; role: PlannedStack['role']; region: string }[] = [
    ...(certificate
      ? [
          {
            name: certificate.names.cdnCertificateStack,
            role: 'certificate' as const,
            region: CLOUDFRONT_CERTIFICATE_REGION,
          },
        ]
      : []),
    ...(withBase ? [{ name: names.baseStack, role: 'base' as const, region: config.region }] : []),
    { name: names.appStack, role: 'app', region: config.region },
  ]
  const synthesis = await deps.report.step(
    `Synthesize ${sentenceList(planned.map((p) => p.name))} offline`,
    () =>
      synthesizeOffline(build, {
        context: djenvContext(config, account),
        validate: input.validate,
        stacks: planned.map((p) => p.name),
      }),
  )
  const stacks = planned.map((p) =>
    summarize(p.name, p.role, p.region, synthesis.templates.get(p.name) ?? {}, outDir),
  )
  const appTemplate = synthesis.templates.get(names.appStack) ?? {}
  const files = plannedFiles(appTemplate)

  return {
    env: env.name,
    kind: env.kind,
    project: config.project,
    base: names.base,
    region: config.region,
    account,
    accountIsPlaceholder: config.account === undefined,
    url: names.url,
    offline: true,
    validation: input.validate ? 'passed' : 'off',
    validationWarnings: synthesis.warnings,
    listenerPriority: { value: priority, source: env.kind === 'prod' ? 'fixed' : 'name-hash' },
    images,
    services: configuredServices(config).map((name) => ({
      name,
      desiredCount: 0,
      ...serviceSize(config, env.kind, env.name, name),
    })),
    database: names.databaseName,
    stacks,
    shared: sharedWithBase(config, env.kind, names.databaseName, names.env, files.cdnHost),
    containers: plannedContainers(appTemplate),
    files,
    cost: estimateEnvCost(
      config,
      runningShape(config, env.kind, env.name),
      env.kind === 'prod' ? 1 : null,
    ),
    outDir: outDir ?? null,
  }
}

function imagePlan(config: ConfigData, flag: string | undefined): EnvPlanResult['images'] {
  const repository = config.image.repository
  if (flag) return { repository, tag: flag, source: 'flag' }
  if (config.image.tag) return { repository, tag: config.image.tag, source: 'config' }
  return { repository, tag: PLACEHOLDER_TAG, source: 'placeholder' }
}

function summarize(
  name: string,
  role: PlannedStack['role'],
  region: string,
  template: Record<string, unknown>,
  outDir?: string,
): PlannedStack {
  const resources = Object.values((template.Resources ?? {}) as Record<string, { Type: string }>)
  const counts = new Map<string, number>()
  for (const r of resources) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1)
  let templateFile: string | null = null
  if (outDir) {
    mkdirSync(outDir, { recursive: true })
    templateFile = join(outDir, `${name}.template.json`)
    writeFileSync(templateFile, `${JSON.stringify(template, null, 1)}\n`)
  }
  return {
    name,
    role,
    region,
    resourceCount: resources.length,
    resources: [...counts]
      .map(([type, count]) => ({ type, count }))
      .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
    outputs: Object.keys((template.Outputs ?? {}) as Record<string, unknown>).sort(),
    templateFile,
  }
}

type TemplateContainer = {
  Name?: string
  Environment?: { Name?: string; Value?: unknown }[]
  Secrets?: { Name?: string }[]
}

function templateContainers(template: Record<string, unknown>): TemplateContainer[] {
  return Object.values(
    (template.Resources ?? {}) as Record<
      string,
      { Type: string; Properties?: Record<string, unknown> }
    >,
  )
    .filter((r) => r.Type === 'AWS::ECS::TaskDefinition')
    .flatMap((r) => (r.Properties?.ContainerDefinitions ?? []) as TemplateContainer[])
}

/** Each task definition's container with the names (never the values) it is given. */
function plannedContainers(template: Record<string, unknown>): PlannedContainer[] {
  const containers = templateContainers(template)
  const order = (name: string) => {
    const i = (TASK_NAMES as readonly string[]).indexOf(name)
    return i < 0 ? TASK_NAMES.length : i
  }
  return containers
    .map((c) => ({
      name: c.Name ?? '',
      settings: (c.Environment ?? []).map((e) => e.Name ?? '').sort(),
      secrets: (c.Secrets ?? []).map((e) => e.Name ?? ''),
    }))
    .sort((a, b) => order(a.name) - order(b.name))
}

/**
 * The file settings every container shares (§8), read from the first one: djenv's own
 * plain values, never the configuration's or a secret.
 */
function plannedFiles(template: Record<string, unknown>): PlannedFiles {
  const env = new Map(
    (templateContainers(template)[0]?.Environment ?? []).map((e) => [e.Name, e.Value]),
  )
  const text = (name: string) => {
    const value = env.get(name)
    return typeof value === 'string' && value !== '' ? value : null
  }
  return {
    cdnHost: text('DJENV_CDN_HOST'),
    staticUrl: text('DJENV_STATIC_URL'),
    mediaUrl: text('DJENV_MEDIA_URL'),
    staticLocation: text('DJENV_STATIC_LOCATION') ?? '',
    mediaLocation: text('DJENV_MEDIA_LOCATION') ?? '',
  }
}

/** `a`, `a and b`, `a, b and c`. */
function sentenceList(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

function sharedWithBase(
  config: ConfigData,
  kind: EnvKind,
  database: string,
  env: string,
  cdnHost: string | null,
): string[] {
  const network = kind === 'prod' ? config.production[env] : config.adhoc
  if (kind === 'prod') {
    return [
      'VPC, load balancer and security groups of its own base',
      `PostgreSQL instance of its base (database ${database})`,
      ...(network?.redis ? ['Redis of its base'] : []),
      ...(cdnHost ? [`CloudFront distribution of its base at ${cdnHost}`] : []),
    ]
  }
  return [
    'VPC, private subnets and the app security group',
    `HTTPS listener of the shared load balancer (a host rule for ${env}.${config.domain})`,
    `PostgreSQL instance (its own database ${database})`,
    ...(network?.redis ? [`Redis node (keys prefixed ${env}:)`] : []),
    `assets bucket (prefixes ${env}/static/ and ${env}/media/)`,
    ...(cdnHost ? [`CloudFront distribution at ${cdnHost}`] : []),
    ...(network?.bastion ? ['bastion for `djenv port-forward`'] : []),
  ]
}
