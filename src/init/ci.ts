import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

import { DjenvError } from '../core/errors.js'
import type { ConfigData } from '../config/schema.js'

/** The GitHub Actions workflows `djenv init --ci github` writes, from templates/github/. */
export const GITHUB_WORKFLOWS = [
  'djenv-preview.yml',
  'djenv-preview-closed.yml',
  'djenv-deploy.yml',
  'djenv-gc.yml',
] as const

const TEMPLATES = fileURLToPath(new URL('../../templates/github/', import.meta.url))

export interface CiInput {
  /** Project root: the workflows go to <root>/.github/workflows. */
  root: string
  config: ConfigData
  /** The djenv version CI installs (pinned). */
  version: string
  mainBranch: string
  force: boolean
}

/**
 * Writes the workflows: previews per pull request, their teardown, production deploys from
 * the main branch (only with a production env), and the daily gc. Existing files are kept
 * unless --force: nothing is written when one would be overwritten.
 */
export function writeGithubWorkflows(input: CiInput): string[] {
  const dir = join(input.root, '.github', 'workflows')
  const prodEnv = Object.keys(input.config.production)[0]
  const names = GITHUB_WORKFLOWS.filter((n) => n !== 'djenv-deploy.yml' || prodEnv !== undefined)
  const existing = names.map((n) => join(dir, n)).filter((f) => existsSync(f))
  if (existing.length > 0 && !input.force) {
    throw new DjenvError(
      'FILE_EXISTS',
      `${existing.map((f) => relative(input.root, f)).join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written.`,
      'Pass --force to replace them.',
    )
  }
  const values: Record<string, string> = {
    djenvVersion: input.version,
    region: input.config.region,
    imageRepository: input.config.image.repository,
    mainBranch: input.mainBranch,
    prodEnv: prodEnv ?? '',
  }
  mkdirSync(dir, { recursive: true })
  return names.map((name) => {
    const text = readFileSync(join(TEMPLATES, name), 'utf8').replace(
      /\{\{(\w+)\}\}/g,
      (_, key: string) => {
        const value = values[key]
        if (value === undefined) throw new Error(`template ${name}: no value for {{${key}}}`)
        return value
      },
    )
    const file = join(dir, name)
    writeFileSync(file, text)
    return file
  })
}
