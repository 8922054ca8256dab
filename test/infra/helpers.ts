import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { App, Validations, type Stack } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import type { CloudAssembly } from 'aws-cdk-lib/cx-api'
import { AwsSolutionsChecks } from 'cdk-nag'
import { parse } from 'yaml'

import { validateConfig } from '../../src/config/load.js'
import type { ConfigData } from '../../src/config/schema.js'
import type { Acknowledging } from '../../src/infra/acknowledgements.js'
import { DJENV_FEATURE_FLAGS } from '../../src/infra/index.js'
import { tempTree } from '../support/tmp.js'

export const ACCOUNT = '123456789012'

/** What a base's CDN certificate stack outputs, in us-east-1 (passed in by attribute). */
export const CDN_CERTIFICATE_ARN =
  'arn:aws:acm:us-east-1:123456789012:certificate/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9'

const EXAMPLE = parse(
  readFileSync(new URL('../../examples/shop/djenv.yml', import.meta.url), 'utf8'),
) as Record<string, unknown>

/** The embedded example (`examples/shop/djenv.yml`), validated, with top-level keys replaced. */
export function shopConfig(changes: Record<string, unknown> = {}): ConfigData {
  return validateConfig({ ...structuredClone(EXAMPLE), ...changes }, 'examples/shop/djenv.yml')
}

/** A project without Redis, bastion, worker, beat or Spot, on three zones and an imported certificate. */
export function leanConfig(): ConfigData {
  return validateConfig(
    {
      project: 'lean',
      region: 'us-east-2',
      availabilityZones: ['us-east-2a', 'us-east-2b', 'us-east-2c'],
      domain: 'lean.example.org',
      hostedZoneId: 'Z9876543210ZYXWVUTSRQ',
      certificateArn:
        'arn:aws:acm:us-east-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      image: { repository: 'team/lean' },
      django: { settingsModule: 'lean.settings' },
      services: {
        web: { command: ['gunicorn', 'lean.wsgi', '--bind', '0.0.0.0:9000'], port: 9000 },
      },
      adhoc: { spot: false, nat: 'gateway', redis: false, bastion: false, vpcCidr: '10.8.0.0/17' },
      production: { live: { redis: false, bastion: false } },
    },
    'lean.yml',
  )
}

/** Image tags for every task of the example. */
export const SHOP_TAGS = { web: '3f2c1d0', worker: '3f2c1d0', beat: '3f2c1d0', migrate: '3f2c1d0' }

export interface TestApp {
  app: App
  outdir: string
  /** Synthesizes once; later calls return the same assembly. */
  synth(): CloudAssembly
  template(stack: Stack | string): Template
  templateJson(stack: Stack | string): Record<string, unknown>
  /** `validation-report.json` of the output directory, when the synthesis wrote one. */
  validationReport(): ValidationReport
  /** `<stack>.assets.json`: what a deploy uploads besides nothing else. */
  assetManifest(stackName: string): AssetManifest
  cleanup(): void
}

export interface AssetManifest {
  files: Record<string, { source: { path: string } }>
  dockerImages: Record<string, unknown>
}

export interface ValidationReport {
  pluginReports: { pluginName: string; conclusion: string; violations: { ruleName: string }[] }[]
}

/**
 * An App as djenv builds it (feature flags in context), in a temporary output directory,
 * with the built-in CloudFormation validation on and fatal, and cdk-nag's AwsSolutions pack
 * unless `nag: false`.
 */
export function testApp(opts: { nag?: boolean; validation?: boolean } = {}): TestApp {
  const tree = tempTree('djenv-infra-')
  const app = new App({
    outdir: tree.root,
    context: { ...DJENV_FEATURE_FLAGS },
    builtinCloudFormationValidation: opts.validation ?? true,
  })
  if (opts.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  let assembly: CloudAssembly | undefined
  const synth = () => (assembly ??= app.synth())
  const name = (stack: Stack | string) => (typeof stack === 'string' ? stack : stack.stackName)
  const templateJson = (stack: Stack | string) =>
    synth().getStackByName(name(stack)).template as Record<string, unknown>
  return {
    app,
    outdir: tree.root,
    synth,
    template: (stack) => Template.fromJSON(templateJson(stack)),
    templateJson,
    validationReport: () =>
      JSON.parse(
        readFileSync(join(tree.root, 'validation-report.json'), 'utf8'),
      ) as ValidationReport,
    assetManifest: (stackName) => {
      synth()
      return JSON.parse(
        readFileSync(join(tree.root, `${stackName}.assets.json`), 'utf8'),
      ) as AssetManifest
    },
    cleanup: tree.cleanup,
  }
}

/**
 * Acknowledgements of a stack that match no AwsSolutions finding on their construct or
 * below it: stale ones, which would hide a future finding. Runs the pack directly on the
 * construct tree of a stack built without applying them (no synthesis needed).
 */
export function unusedAcknowledgements(build: (app: App) => Stack & Acknowledging): string[] {
  const t = testApp({ nag: false, validation: false })
  try {
    const stack = build(t.app)
    const findings = new AwsSolutionsChecks().validateScope(stack).violations
    return stack.acknowledgements.all
      .filter((ack) => ack.id.startsWith('AwsSolutions-'))
      .filter(
        (ack) =>
          !findings.some(
            (f) =>
              f.ruleName === ack.id &&
              f.violatingResources.some((r) =>
                isWithin(r.constructPath ?? '', ack.scope.node.path),
              ),
          ),
      )
      .map((ack) => `${ack.id} on ${ack.scope.node.path}`)
  } finally {
    t.cleanup()
  }
}

/** A synthesis, with the AwsSolutions pack, of a stack with all acknowledgements but `id` applied. */
export function synthWithout(id: string, build: (app: App) => Stack & Acknowledging): () => void {
  return () => {
    const t = testApp({ validation: false })
    try {
      const stack = build(t.app)
      if (!stack.acknowledgements.all.some((ack) => ack.id === id))
        throw new Error(`${stack.stackName} does not acknowledge ${id}`)
      stack.acknowledgements.apply([id])
      t.synth()
    } finally {
      t.cleanup()
    }
  }
}

function isWithin(path: string, scope: string): boolean {
  return path === scope || path.startsWith(`${scope}/`)
}

/** The template with what changes between builds (asset hashes) replaced. */
export function normalize(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<hash>'))
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }
>

export function resources(template: Template, type?: string): Resources {
  const all = template.toJSON().Resources as Resources
  return Object.fromEntries(
    Object.entries(all).filter(([, r]) => type === undefined || r.Type === type),
  )
}

/** The single resource of a type whose properties satisfy `pick`. */
export function only(
  template: Template,
  type: string,
  pick: (props: Record<string, unknown>) => boolean = () => true,
) {
  const found = Object.entries(resources(template, type)).filter(([, r]) =>
    pick(r.Properties ?? {}),
  )
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`)
  const [logicalId, resource] = found[0]!
  return { logicalId, ...resource, Properties: resource.Properties ?? {} }
}

/** Tags of a resource in template form, as a plain object. */
export function tagsOf(props: Record<string, unknown>): Record<string, string> {
  const tags = props.Tags as { Key: string; Value: string }[] | Record<string, string> | undefined
  if (tags === undefined) return {}
  if (Array.isArray(tags)) return Object.fromEntries(tags.map((t) => [t.Key, t.Value]))
  return tags
}
