import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'

import type { z } from 'zod'

import { DjenvError } from '../core/errors.js'
import { configSchema, type ConfigData } from './schema.js'

/** Files djenv looks for in each directory, walking up from the working directory. */
export const CONFIG_FILE_NAMES = ['djenv.yml', 'djenv.yaml', 'djenv.json'] as const

/** A validated configuration and where it came from. */
export interface LoadedConfig {
  /** Absolute path of the file read. */
  file: string
  /** Directory of that file: the project root. */
  dir: string
  /** Which form it had. */
  format: 'yaml' | 'json' | 'pyproject'
  data: ConfigData
}

export interface LoadConfigInput {
  cwd: string
  /** --config: a file to read instead of discovering one. */
  path?: string
}

/** Finds, parses and validates the project's configuration. Every failure exits 2. */
export async function loadConfig(input: LoadConfigInput): Promise<LoadedConfig> {
  const file = input.path ? resolve(input.cwd, input.path) : discoverConfigFile(input.cwd)
  if (!file) {
    throw new DjenvError(
      'CONFIG_NOT_FOUND',
      `No djenv configuration found in ${input.cwd} or its parent directories.`,
      'Run `djenv init` to write djenv.yml, or pass --config PATH.',
    )
  }
  if (!existsSync(file)) {
    throw new DjenvError(
      'CONFIG_NOT_FOUND',
      `Configuration file ${file} does not exist.`,
      'Check the --config path.',
    )
  }
  const display = displayPath(input.cwd, file)
  const format = formatOf(file)
  const text = readFileSync(file, 'utf8')
  const raw = await parseText(text, format, display)
  return { file, dir: dirname(file), format, data: validateConfig(raw, display) }
}

/**
 * Walks up from `cwd` to the filesystem root. In each directory a djenv file, or a
 * pyproject.toml with a [tool.djenv] table, ends the search; two candidates in one directory
 * are ambiguous and refused rather than silently ranked.
 */
export function discoverConfigFile(cwd: string): string | undefined {
  let dir = resolve(cwd)
  for (;;) {
    const found = CONFIG_FILE_NAMES.map((name) => join(dir, name)).filter((f) => existsSync(f))
    const pyproject = join(dir, 'pyproject.toml')
    if (existsSync(pyproject) && hasDjenvTable(readFileSync(pyproject, 'utf8')))
      found.push(pyproject)
    if (found.length > 1) {
      throw new DjenvError(
        'CONFIG_INVALID',
        `Found more than one djenv configuration in ${dir}: ${found.map((f) => basename(f)).join(', ')}.`,
        'Keep one of them, or choose with --config PATH.',
      )
    }
    if (found[0]) return found[0]
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

function hasDjenvTable(text: string): boolean {
  return /^\s*\[\s*tool\.djenv(\s*\]|\.)/m.test(text)
}

function formatOf(file: string): LoadedConfig['format'] {
  if (basename(file) === 'pyproject.toml' || file.endsWith('.toml')) return 'pyproject'
  if (file.endsWith('.json')) return 'json'
  return 'yaml'
}

async function parseText(
  text: string,
  format: LoadedConfig['format'],
  display: string,
): Promise<unknown> {
  try {
    if (format === 'json') return JSON.parse(text) as unknown
    if (format === 'yaml') {
      const { parse } = await import('yaml')
      return parse(text, { prettyErrors: true }) as unknown
    }
    const { parse } = await import('smol-toml')
    const tool = (parse(text) as { tool?: { djenv?: unknown } }).tool
    if (tool?.djenv === undefined) {
      throw new DjenvError(
        'CONFIG_INVALID',
        `${display} has no [tool.djenv] table.`,
        'Add a [tool.djenv] table, or run `djenv init` to write djenv.yml.',
      )
    }
    return tool.djenv
  } catch (err) {
    if (err instanceof DjenvError) throw err
    const detail =
      err instanceof Error
        ? (err.message.split('\n')[0] ?? '').replace(/ at line \d+.*$/, '')
        : String(err)
    throw new DjenvError(
      'CONFIG_INVALID',
      `${display} cannot be parsed${position(err)}: ${detail}`,
      `Fix the ${format === 'pyproject' ? 'TOML' : format.toUpperCase()} syntax at the position shown.`,
      err,
    )
  }
}

/** ", line L, column C" from a YAML, TOML or JSON parser error, when it says. */
function position(err: unknown): string {
  const e = err as {
    linePos?: { line: number; col: number }[]
    line?: number
    column?: number
    message?: string
  }
  const yaml = e.linePos?.[0]
  if (yaml) return ` at line ${yaml.line}, column ${yaml.col}`
  if (typeof e.line === 'number') return ` at line ${e.line}, column ${e.column ?? 0}`
  const json = /line (\d+) column (\d+)/.exec(e.message ?? '')
  return json ? ` at line ${json[1]}, column ${json[2]}` : ''
}

/** Validates parsed configuration data; throws CONFIG_INVALID naming the file and every key path. */
export function validateConfig(raw: unknown, display: string): ConfigData {
  if (raw === null || raw === undefined) {
    throw new DjenvError(
      'CONFIG_INVALID',
      `${display} is empty.`,
      'Run `djenv init --force` to write a starting configuration.',
    )
  }
  const result = configSchema.safeParse(raw)
  if (result.success) return result.data
  const lines = result.error.issues.map((issue) => `  ${formatIssue(issue)}`)
  const count = lines.length === 1 ? 'an error' : `${lines.length} errors`
  throw new DjenvError(
    'CONFIG_INVALID',
    `${display} has ${count}:\n${lines.join('\n')}`,
    'The JSON Schema djenv.schema.json lets editors check the file as you type.',
  )
}

export function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)'
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  }
  if (issue.code === 'invalid_type') {
    const received = /received (\w+)/.exec(issue.message)?.[1]
    if (received === 'undefined') return `${path}: required (expected ${issue.expected})`
    return `${path}: expected ${issue.expected}${received ? `, got ${received}` : ''}`
  }
  return `${path}: ${issue.message}`
}

function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file)
  return rel.startsWith('..') || rel === '' ? file : rel
}
