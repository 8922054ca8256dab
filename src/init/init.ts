import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { validateConfig, CONFIG_FILE_NAMES } from '../config/load.js'
import { NAME_LIMITS, nameProblem, suggestName } from '../config/names.js'

/** What `djenv init` is told by flags; anything missing is asked for on a terminal. */
export interface InitInput {
  project?: string
  region?: string
  domain?: string
  hostedZoneId?: string
  imageRepository?: string
  settingsModule?: string
  /** Where to write; default `djenv.yml` in the working directory. */
  path?: string
  /** Accept the defaults of everything not given (project from the directory name, …). */
  yes: boolean
  /** Overwrite an existing configuration (and, with `ci`, existing workflows). */
  force: boolean
  version: string
  /** Also write CI workflows for this system. */
  ci?: 'github'
  /** With `ci`: the branch whose pushes deploy to production. @default main */
  mainBranch?: string
}

export interface InitResult {
  file: string
  /** `kept`: a configuration existed and --ci only added workflows. */
  overwritten: boolean | 'kept'
  /** Workflow files written (with --ci). */
  workflows: string[]
  project: string
  region: string
  domain: string
  hostedZoneId: string
  imageRepository: string
  settingsModule: string
}

export type InitDeps = Pick<Deps, 'cwd' | 'env' | 'ask'>

const TEMPLATE = fileURLToPath(new URL('../../templates/djenv.yml', import.meta.url))

/** Writes djenv.yml from the template, after validating what it is about to write. */
export async function init(input: InitInput, deps: InitDeps): Promise<InitResult> {
  const file = resolve(deps.cwd, input.path ?? 'djenv.yml')
  const existing = existingConfig(file)
  if (existing && input.ci && !input.force) return addWorkflows(existing, input, deps)
  if (existing && !input.force) {
    throw new DjenvError(
      'FILE_EXISTS',
      `${relative(deps.cwd, existing) || existing} already exists; djenv init does not overwrite it.`,
      'Pass --force to replace it.',
    )
  }

  const answers = await collectAnswers(input, deps)
  const module = answers.project.replace(/-/g, '_')
  const text = renderTemplate(readFileSync(TEMPLATE, 'utf8'), {
    ...answers,
    module,
    schemaUrl: `https://unpkg.com/djenv@${input.version}/djenv.schema.json`,
  })
  const { parse } = await import('yaml')
  validateConfig(parse(text), basename(file))
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
  const workflows = input.ci ? await workflowsFor(file, input, deps) : []
  return { file, overwritten: existing === file, workflows, ...answers }
}

/** --ci on a project that has its configuration: only the workflows are written. */
async function addWorkflows(
  existing: string,
  input: InitInput,
  deps: InitDeps,
): Promise<InitResult> {
  const { loadConfig } = await import('../config/load.js')
  const { data } = await loadConfig({ cwd: deps.cwd, path: existing })
  const workflows = await workflowsFor(existing, input, deps)
  return {
    file: existing,
    overwritten: 'kept',
    workflows,
    project: data.project,
    region: data.region,
    domain: data.domain,
    hostedZoneId: data.hostedZoneId,
    imageRepository: data.image.repository,
    settingsModule: data.django.settingsModule,
  }
}

async function workflowsFor(
  configFile: string,
  input: InitInput,
  deps: InitDeps,
): Promise<string[]> {
  const [{ loadConfig }, { writeGithubWorkflows }] = await Promise.all([
    import('../config/load.js'),
    import('./ci.js'),
  ])
  const { data, dir } = await loadConfig({ cwd: deps.cwd, path: configFile })
  return writeGithubWorkflows({
    root: dir,
    config: data,
    version: input.version,
    mainBranch: input.mainBranch ?? 'main',
    force: input.force,
  })
}

/** A configuration already at `file`, or beside it in the same directory. */
function existingConfig(file: string): string | undefined {
  if (existsSync(file)) return file
  const dir = dirname(file)
  const sibling = CONFIG_FILE_NAMES.map((n) => join(dir, n)).find((f) => existsSync(f))
  if (sibling) return sibling
  const pyproject = join(dir, 'pyproject.toml')
  if (existsSync(pyproject) && /^\s*\[\s*tool\.djenv/m.test(readFileSync(pyproject, 'utf8')))
    return pyproject
  return undefined
}

type Answers = Omit<InitResult, 'file' | 'overwritten' | 'workflows'>

async function collectAnswers(input: InitInput, deps: InitDeps): Promise<Answers> {
  const ask = deps.ask
  const projectDefault = suggestName(basename(deps.cwd), NAME_LIMITS.project)
  const project = await value(input.project, input.yes ? projectDefault : undefined, () =>
    ask.input({
      message: 'Project name',
      flag: '--project',
      default: projectDefault,
      validate: (v) => check(v, validateProject),
    }),
  )
  validateProject(project)
  const regionDefault = deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION ?? 'us-east-1'
  const region = await value(input.region, input.yes ? regionDefault : undefined, () =>
    ask.input({
      message: 'AWS region',
      flag: '--region',
      default: regionDefault,
      validate: (v) => check(v, validateRegion),
    }),
  )
  validateRegion(region)
  const domain = await value(input.domain, undefined, () =>
    ask.input({
      message: 'Domain (envs are served at <env>.<domain>)',
      flag: '--domain',
      validate: (v) => check(v, validateDomain),
    }),
  )
  validateDomain(domain)
  const hostedZoneId = await value(input.hostedZoneId, undefined, () =>
    ask.input({
      message: `Route 53 hosted zone id of ${domain}`,
      flag: '--hosted-zone-id',
      validate: (v) => check(v, validateZone),
    }),
  )
  validateZone(hostedZoneId)
  const imageRepository = await value(input.imageRepository, input.yes ? project : undefined, () =>
    ask.input({ message: 'ECR image repository', flag: '--image-repository', default: project }),
  )
  const settingsDefault = `${project.replace(/-/g, '_')}.settings`
  const settingsModule = await value(
    input.settingsModule,
    input.yes ? settingsDefault : undefined,
    () =>
      ask.input({
        message: 'DJANGO_SETTINGS_MODULE',
        flag: '--settings-module',
        default: settingsDefault,
      }),
  )
  return { project, region, domain, hostedZoneId, imageRepository, settingsModule }
}

async function value(
  given: string | undefined,
  fallback: string | undefined,
  prompt: () => Promise<string>,
): Promise<string> {
  if (given !== undefined) return given
  if (fallback !== undefined) return fallback
  return (await prompt()).trim()
}

function check(v: string, validate: (v: string) => void): true | string {
  try {
    validate(v.trim())
    return true
  } catch (err) {
    return err instanceof DjenvError ? err.message : String(err)
  }
}

function usage(message: string, hint: string): DjenvError {
  return new DjenvError('USAGE', message, hint)
}

function validateProject(v: string): void {
  const problem = nameProblem(v, NAME_LIMITS.project)
  if (problem)
    throw usage(
      `Project name "${v}" ${problem}.`,
      `Try --project ${suggestName(v, NAME_LIMITS.project)}.`,
    )
}

function validateRegion(v: string): void {
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(v))
    throw usage(`"${v}" is not an AWS region.`, 'Use a region such as eu-west-1.')
}

function validateDomain(v: string): void {
  if (!/^([a-z0-9-]+\.)+[a-z]{2,}$/.test(v))
    throw usage(`"${v}" is not a domain name.`, 'Use a domain such as example.com.')
}

function validateZone(v: string): void {
  if (!/^Z[A-Z0-9]{4,32}$/.test(v)) {
    throw usage(
      `"${v}" is not a Route 53 hosted zone id.`,
      'Find it with `aws route53 list-hosted-zones`; it starts with Z.',
    )
  }
}

function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const v = values[key]
    if (v === undefined) throw new Error(`template placeholder {{${key}}} has no value`)
    return v
  })
}
