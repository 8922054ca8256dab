import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { App } from 'aws-cdk-lib'

import { debugFor } from '../core/debug.js'
import { DjenvError } from '../core/errors.js'

const log = debugFor('deploy')

export interface OfflineSynthesis {
  templates: Map<string, Record<string, unknown>>
  /** Findings aws-cdk-lib's CloudFormation validation reported without failing (warnings). */
  warnings: string[]
}

/**
 * Synthesizes in-process with aws-cdk-lib alone: no credentials, no network, and none of
 * toolkit-lib's second of start-up, which an offline plan does not need. Deploys go through
 * toolkit-lib with the same `build` function (toolkit.ts).
 */
export async function synthesizeOffline(
  build: (app: App) => void,
  o: { context: Record<string, unknown>; validate: boolean; stacks: readonly string[] },
): Promise<OfflineSynthesis> {
  const { App } = await import('aws-cdk-lib')
  const outdir = mkdtempSync(join(tmpdir(), 'djenv-synth-'))
  try {
    const app = new App({
      outdir,
      context: o.context,
      autoSynth: false,
      builtinCloudFormationValidation: o.validate,
    })
    build(app)
    log('synthesizing offline, CloudFormation validation %s', o.validate ? 'on' : 'off')
    const assembly = app.synth()
    const templates = new Map(
      o.stacks.map((name) => [
        name,
        assembly.getStackByName(name).template as Record<string, unknown>,
      ]),
    )
    return { templates, warnings: o.validate ? reportedFindings(outdir) : [] }
  } catch (err) {
    if (err instanceof DjenvError) throw err
    const message = err instanceof Error ? err.message : String(err)
    throw new DjenvError(
      'SYNTH_FAILED',
      `Synthesis failed: ${message.split('\n').slice(0, 8).join('\n')}`,
      'Check the configuration; run again with --verbose for the details.',
      err,
    )
  } finally {
    rmSync(outdir, { recursive: true, force: true })
  }
}

interface ValidationReport {
  pluginReports?: {
    pluginName?: string
    violations?: { ruleName?: string; description?: string; severity?: string }[]
  }[]
}

function reportedFindings(outdir: string): string[] {
  let report: ValidationReport
  try {
    report = JSON.parse(
      readFileSync(join(outdir, 'validation-report.json'), 'utf8'),
    ) as ValidationReport
  } catch {
    return []
  }
  return (report.pluginReports ?? []).flatMap((p) =>
    (p.violations ?? []).map((v) => `${v.ruleName ?? '?'}: ${v.description ?? ''}`.trim()),
  )
}
