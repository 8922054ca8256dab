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
  addAdhocBaseStack,
  addEnvAppStack,
  addProdBaseStack,
  djenvContext,
  type ImageTags,
  placeholderBaseAttributes,
  PROD_LISTENER_PRIORITY,
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
  role: 'base' | 'app'
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
  // Offline, the secrets the configuration declares stand for what SSM will hold.
  const secrets = config.secrets.names.map((name) => ({ name, from: 'env' as const }))

  const build = (app: App) => {
    if (env.kind === 'prod') addProdBaseStack(app, { config, account, prodEnv: env.name })
    else if (withBase) addAdhocBaseStack(app, { config, account })
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
  const planned = (
    [
      [names.baseStack, 'base'],
      [names.appStack, 'app'],
    ] as const
  ).filter(([, role]) => role === 'app' || withBase)
  const synthesis = await deps.report.step(
    `Synthesize ${planned.map(([name]) => name).join(' and ')} offline`,
    () =>
      synthesizeOffline(build, {
        context: djenvContext(config, account),
        validate: input.validate,
        stacks: planned.map(([name]) => name),
      }),
  )
  const stacks = planned.map(([name, role]) =>
    summarize(name, role, synthesis.templates.get(name) ?? {}, outDir),
  )

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
    shared: sharedWithBase(config, env.kind, names.databaseName, names.env),
    containers: plannedContainers(synthesis.templates.get(names.appStack) ?? {}),
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
    resourceCount: resources.length,
    resources: [...counts]
      .map(([type, count]) => ({ type, count }))
      .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
    outputs: Object.keys((template.Outputs ?? {}) as Record<string, unknown>).sort(),
    templateFile,
  }
}

/** Each task definition's container with the names (never the values) it is given. */
function plannedContainers(template: Record<string, unknown>): PlannedContainer[] {
  type Container = {
    Name?: string
    Environment?: { Name?: string }[]
    Secrets?: { Name?: string }[]
  }
  const containers = Object.values(
    (template.Resources ?? {}) as Record<
      string,
      { Type: string; Properties?: Record<string, unknown> }
    >,
  )
    .filter((r) => r.Type === 'AWS::ECS::TaskDefinition')
    .flatMap((r) => (r.Properties?.ContainerDefinitions ?? []) as Container[])
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

function sharedWithBase(
  config: ConfigData,
  kind: EnvKind,
  database: string,
  env: string,
): string[] {
  const network = kind === 'prod' ? config.production[env] : config.adhoc
  if (kind === 'prod') {
    return [
      'VPC, load balancer and security groups of its own base',
      `PostgreSQL instance of its base (database ${database})`,
      ...(network?.redis ? ['Redis of its base'] : []),
    ]
  }
  return [
    'VPC, private subnets and the app security group',
    `HTTPS listener of the shared load balancer (a host rule for ${env}.${config.domain})`,
    `PostgreSQL instance (its own database ${database})`,
    ...(network?.redis ? [`Redis node (keys prefixed ${env}:)`] : []),
    `assets bucket (prefixes ${env}/static/ and ${env}/media/)`,
    ...(network?.bastion ? ['bastion for `djenv port-forward`'] : []),
  ]
}
