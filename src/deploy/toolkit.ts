import { readFile } from 'node:fs/promises'

import type { App } from 'aws-cdk-lib'
import type * as ToolkitLibModule from '@aws-cdk/toolkit-lib'
import type {
  CachedCloudAssembly,
  DeployOptions,
  StackSelector,
  Toolkit,
} from '@aws-cdk/toolkit-lib'

import { DjenvIoHost, type Decisions, type IoSink } from './io-host.js'
import { mapToolkitError, type ToolkitErrorContext } from './toolkit-errors.js'
import { debugFor } from '../core/debug.js'
import type { DjenvError } from '../core/errors.js'

const log = debugFor('deploy')

type ToolkitLib = typeof ToolkitLibModule

/** toolkit-lib, loaded on first use (it costs most of a second), with djenv's IoHost. */
export interface ToolkitHandle {
  lib: ToolkitLib
  toolkit: Toolkit
  host: DjenvIoHost
  region: string
  profile?: string
}

export interface OpenToolkitOptions {
  /** No credentials at all: any AWS call fails fast (offline plans). */
  offline: boolean
  region: string
  profile?: string
  color: boolean
  sink: IoSink
  decisions: Decisions
}

export async function openToolkit(o: OpenToolkitOptions): Promise<ToolkitHandle> {
  const lib = await import('@aws-cdk/toolkit-lib')
  const host = new DjenvIoHost(o.sink, o.decisions)
  const baseCredentials = o.offline
    ? lib.BaseCredentials.none()
    : lib.BaseCredentials.awsCliCompatible({ profile: o.profile, defaultRegion: o.region })
  const toolkit = new lib.Toolkit({
    ioHost: host,
    emojis: false,
    color: o.color,
    sdkConfig: { baseCredentials },
  })
  return { lib, toolkit, host, region: o.region, profile: o.profile }
}

/** Selects exactly one stack by its construct id, which djenv keeps equal to the stack name. */
export function one(h: ToolkitHandle, stackName: string): StackSelector {
  return { strategy: h.lib.StackSelectionStrategy.PATTERN_MUST_MATCH_SINGLE, patterns: [stackName] }
}

/**
 * Options to deploy one stack. The change-set method is passed explicitly although it is
 * toolkit-lib's default: only then does 1.40.1 create the change set before asking for
 * approval (I5060 shows the change set's diff, an empty change set asks nothing and is a
 * no-op, a declined one is deleted). Left out, it asks first, from a template-only diff and
 * even when nothing changes, and creates the change set after the answer.
 */
export function deployOptions(
  h: ToolkitHandle,
  stackName: string,
  extra: Omit<DeployOptions, 'stacks' | 'deploymentMethod'> = {},
): DeployOptions {
  return { ...extra, stacks: one(h, stackName), deploymentMethod: { method: 'change-set' } }
}

export interface SynthOptions {
  /** Context every App gets: feature flags, AZ entries (src/infra). */
  context: Record<string, unknown>
  /** aws-cdk-lib's built-in CloudFormation validation: ~2 s, so off on user paths. */
  validate: boolean
  /** Context lookups in AWS (base deploys); false offline. */
  lookups: boolean
}

/**
 * Synthesizes in-process. `build` adds stacks to the App and must be pure: toolkit-lib may
 * run it more than once (cdk-toolkit-lib.md §5.2), so everything it needs is resolved before.
 */
export async function synthesize(
  h: ToolkitHandle,
  build: (app: App) => void,
  o: SynthOptions,
): Promise<CachedCloudAssembly> {
  const source = await h.toolkit.fromAssemblyBuilder(
    async ({ outdir, context }) => {
      const { App } = await import('aws-cdk-lib')
      const app = new App({
        outdir,
        context: { ...o.context, ...context },
        autoSynth: false,
        // An undefined prop means "on" to aws-cdk-lib.
        builtinCloudFormationValidation: o.validate === true,
      })
      build(app)
      log('synthesizing, CloudFormation validation %s', o.validate === true ? 'on' : 'off')
      return app.synth()
    },
    {
      disposeOutdir: true,
      clobberEnv: false,
      resolveDefaultEnvironment: false,
      lookups: o.lookups,
    },
  )
  return h.toolkit.synth(source)
}

/**
 * The synthesized template of one stack, read from its file: the one toolkit-lib uploads.
 * Not the artifact's `template`, which `Toolkit.synth` 1.40.1 mutates when the assembly holds a
 * single stack (it deletes the CheckBootstrapVersion rule in place to print the template).
 */
export async function templateOf(
  asm: CachedCloudAssembly,
  stackName: string,
): Promise<Record<string, unknown>> {
  const readable = await asm.produce()
  const artifact = readable.cloudAssembly.getStackByName(stackName)
  return JSON.parse(await readFile(artifact.templateFullPath, 'utf8')) as Record<string, unknown>
}

/** Maps anything toolkit-lib threw, with the host's kept question and failed events. */
export function toolkitError(h: ToolkitHandle, err: unknown, stack: string): DjenvError {
  const ctx: ToolkitErrorContext = {
    stack,
    region: h.region,
    profile: h.profile,
    pending: h.host.pending,
    failures: h.host.failures,
    action: h.host.action,
  }
  return mapToolkitError(err, h.lib.ToolkitError, ctx)
}
