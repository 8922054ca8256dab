import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { tempTree } from '../support/tmp.js'

/**
 * The whole CLI against a real AWS-compatible endpoint: runs only with DJENV_E2E=1 and
 * AWS_ENDPOINT_URL set (`npm run test:e2e`). Credentials, region and endpoint come from the
 * standard SDK chain; every physical name is read from stack outputs.
 */
const e2e = process.env.DJENV_E2E === '1' && Boolean(process.env.AWS_ENDPOINT_URL)
const root = fileURLToPath(new URL('../..', import.meta.url))
const tree = tempTree('djenv-e2e-')
const env = `e2e-${randomBytes(3).toString('hex')}`

function djenv(...args: string[]): {
  status: number | null
  json: Record<string, unknown>
  stderr: string
} {
  const run = spawnSync(process.execPath, [`${root}/bin/dev.js`, ...args, '--json'], {
    cwd: tree.root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 30 * 60_000,
  })
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(run.stdout) as Record<string, unknown>
  } catch {
    json = { unparsed: run.stdout }
  }
  return { status: run.status, json, stderr: run.stderr }
}

async function stackStatus(name: string): Promise<string | undefined> {
  const cfn = new CloudFormationClient({})
  try {
    return (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0]?.StackStatus
  } catch {
    return undefined
  }
}

describe.skipIf(!e2e)('lifecycle against an AWS-compatible endpoint', () => {
  let baseStack = ''
  let appStack = ''

  beforeAll(() => {
    copyFileSync(`${root}/examples/shop/djenv.yml`, tree.path('djenv.yml'))
    const base = djenv('base', 'deploy', '--yes')
    expect(base.status, base.stderr).toBe(0)
    baseStack = String(base.json.stack)
  }, 30 * 60_000)

  afterAll(() => {
    // Best effort: report what is left, never mask the test's own failure.
    const left = [djenv('env', 'destroy', env, '--yes'), djenv('base', 'destroy', '--yes')].filter(
      (r) => r.status !== 0,
    )
    for (const r of left) console.error('teardown left something behind:', r.stderr)
    tree.cleanup()
  }, 30 * 60_000)

  it(
    'creates an env, lists it, shows its status, destroys it',
    async () => {
      expect(await stackStatus(baseStack)).toMatch(/_COMPLETE$/)

      const created = djenv('env', 'create', env, '--yes', '--timeout', '20')
      expect(created.status, created.stderr).toBe(0)
      appStack = String(created.json.stack)
      expect(created.json).toMatchObject({ env, outcome: 'created' })
      expect(await stackStatus(appStack)).toBe('CREATE_COMPLETE')

      const again = djenv('env', 'create', env, '--yes')
      expect(again.status, again.stderr).toBe(0)
      expect(['unchanged', 'updated']).toContain(again.json.outcome)

      const list = djenv('env', 'list')
      expect(list.status, list.stderr).toBe(0)
      expect(list.json.envs).toEqual(
        expect.arrayContaining([expect.objectContaining({ env, stack: appStack })]),
      )

      const status = djenv('env', 'status', env)
      expect(status.status, status.stderr).toBe(0)
      expect(status.json).toMatchObject({ env, stack: { name: appStack } })

      const destroyed = djenv('env', 'destroy', env, '--yes')
      expect(destroyed.status, destroyed.stderr).toBe(0)
      expect(destroyed.json).toMatchObject({ outcome: 'destroyed' })
      expect(await stackStatus(appStack)).toBeUndefined()
    },
    60 * 60_000,
  )

  it(
    'runs migrations as a one-off task and reads the logs',
    () => {
      const created = djenv('env', 'create', env, '--yes', '--timeout', '20')
      expect(created.status, created.stderr).toBe(0)

      const migrated = djenv('migrate', env)
      expect(migrated.status, migrated.stderr).toBe(0)
      expect(migrated.json).toMatchObject({ env, exitCode: 0, command: null })

      // --json prints one object per line; the helper parses a single one, else keeps the text.
      const logs = djenv('logs', env, '--since', '1h')
      expect(logs.status, logs.stderr).toBe(0)
      const lines =
        'unparsed' in logs.json
          ? String(logs.json.unparsed).split('\n').filter(Boolean)
          : [JSON.stringify(logs.json)]
      for (const line of lines)
        expect(JSON.parse(line)).toMatchObject({ service: expect.any(String) })
    },
    60 * 60_000,
  )

  it(
    "sets, lists and unsets a secret the base's envs share, never printing its value",
    () => {
      const value = `e2e-${randomBytes(8).toString('hex')}`
      const file = tree.write('e2e-secret.txt', `${value}\n`)

      const set = djenv('secret', 'set', env, 'E2E_TOKEN', '--base', '--from-file', file)
      expect(set.status, set.stderr).toBe(0)
      expect(set.json).toMatchObject({ name: 'E2E_TOKEN', from: 'base' })

      const list = djenv('secret', 'list', env, '--base')
      expect(list.status, list.stderr).toBe(0)
      expect(list.json.secrets).toEqual([expect.objectContaining({ name: 'E2E_TOKEN' })])
      for (const r of [set, list]) expect(JSON.stringify(r.json) + r.stderr).not.toContain(value)

      const unset = djenv('secret', 'unset', env, 'E2E_TOKEN', '--base')
      expect(unset.status, unset.stderr).toBe(0)
      expect(djenv('secret', 'list', env, '--base').json.secrets).toEqual([])
    },
    10 * 60_000,
  )
})
