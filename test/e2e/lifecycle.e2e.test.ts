import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation'
import { DeleteParametersCommand, SSMClient } from '@aws-sdk/client-ssm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { tempTree } from '../support/tmp.js'

/**
 * The whole CLI against a real AWS-compatible endpoint: runs only with DJENV_E2E=1 and
 * AWS_ENDPOINT_URL set (`npm run test:e2e`). Credentials, region and endpoint come from the
 * standard SDK chain; every physical name is read from stack outputs. Both parts use the
 * example project (shop, ad hoc base dev); every name a run creates carries a random suffix,
 * so runs against the same endpoint never collide.
 */
const e2e = process.env.DJENV_E2E === '1' && Boolean(process.env.AWS_ENDPOINT_URL)
const root = fileURLToPath(new URL('../..', import.meta.url))
const EXAMPLE = `${root}/examples/shop/djenv.yml`

interface Run {
  status: number | null
  stdout: string
  stderr: string
  /** stdout parsed as one JSON document (with --json), else `{ unparsed: stdout }`. */
  json: Record<string, unknown>
}

/** Runs the CLI from the sources in `cwd`, with --json unless `human`; `input` is its stdin. */
function cli(cwd: string, args: string[], o: { input?: string; human?: boolean } = {}): Run {
  const run = spawnSync(
    process.execPath,
    [`${root}/bin/dev.js`, ...args, ...(o.human ? [] : ['--json'])],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
      input: o.input ?? '',
      timeout: 30 * 60_000,
    },
  )
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(run.stdout) as Record<string, unknown>
  } catch {
    json = { unparsed: run.stdout }
  }
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, json }
}

async function stackStatus(name: string): Promise<string | undefined> {
  const cfn = new CloudFormationClient({})
  try {
    return (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0]?.StackStatus
  } catch {
    return undefined
  }
}

/**
 * `djenv secret` on SSM Parameter Store alone: no base, no env stack. An ad hoc env may get
 * its secrets before its first `env create`; its base's shared set needs no base either.
 */
describe.skipIf(!e2e)('secrets against an AWS-compatible endpoint', () => {
  const tree = tempTree('djenv-e2e-secrets-')
  const suffix = randomBytes(4).toString('hex')
  const env = `e2e-${suffix.slice(0, 6)}`
  /** In the env's own set and in the base's shared set: the env's own wins. */
  const both = `E2E_TOKEN_${suffix.toUpperCase()}`
  /** In the base's shared set only. */
  const shared = `E2E_SHARED_${suffix.toUpperCase()}`
  const envValue = `env-${randomBytes(12).toString('hex')}`
  const baseValue = `base-${randomBytes(12).toString('hex')}`
  const baseValue2 = `base2-${randomBytes(12).toString('hex')}`
  const values = [envValue, baseValue, baseValue2]
  const envPath = `/djenv/shop/${env}/secrets`
  const basePath = '/djenv/shop/dev/secrets'
  const secret = (...args: string[]) => cli(tree.root, ['secret', ...args])
  const human = (...args: string[]) => cli(tree.root, ['secret', ...args], { human: true })

  /** No secret value in anything the command printed. */
  function expectNoValue(...runs: Run[]): void {
    for (const r of runs) for (const v of values) expect(r.stdout + r.stderr).not.toContain(v)
  }

  /** The run failed with this djenv error code and its exit code. */
  function expectError(r: Run, code: string, exit: number): void {
    expect(r.status, r.stdout + r.stderr).toBe(exit)
    expect(r.json).toMatchObject({ error: { code, exitCode: exit } })
  }

  beforeAll(() => {
    copyFileSync(EXAMPLE, tree.path('djenv.yml'))
  })

  afterAll(async () => {
    // Best effort, whatever the tests left: every parameter this run may have written.
    const names = [`${envPath}/${both}`, `${basePath}/${both}`, `${basePath}/${shared}`]
    try {
      await new SSMClient({}).send(new DeleteParametersCommand({ Names: names }))
    } catch (err) {
      console.error('cleanup left parameters behind:', names, err)
    }
    tree.cleanup()
  })

  it('stores secrets from stdin for the base and for an env not created yet, never printing them', () => {
    const setBase = cli(tree.root, ['secret', 'set', env, both, '--base'], {
      input: `${baseValue}\n`,
    })
    expect(setBase.status, setBase.stdout + setBase.stderr).toBe(0)
    expect(setBase.json).toMatchObject({
      env,
      base: 'dev',
      name: both,
      from: 'base',
      parameter: `${basePath}/${both}`,
      outcome: 'created',
      version: 1,
      kmsKey: 'aws/ssm',
      services: [],
      redeploy: [],
    })

    const setShared = cli(tree.root, ['secret', 'set', env, shared, '--base'], {
      input: baseValue,
      human: true,
    })
    expect(setShared.status, setShared.stderr).toBe(0)
    expect(setShared.stdout).toContain(`Stored ${shared} for every ad hoc env of base dev`)

    const setEnv = cli(tree.root, ['secret', 'set', env, both], { input: `${envValue}\n` })
    expect(setEnv.status, setEnv.stdout + setEnv.stderr).toBe(0)
    expect(setEnv.json).toMatchObject({
      env,
      name: both,
      from: 'env',
      parameter: `${envPath}/${both}`,
      outcome: 'created',
      version: 1,
    })
    expect(setEnv.stderr).toContain(`${env} has no stack yet`)

    const update = cli(tree.root, ['secret', 'set', env, both, '--base'], { input: baseValue2 })
    expect(update.status, update.stdout + update.stderr).toBe(0)
    expect(update.json).toMatchObject({ outcome: 'updated', version: 2 })

    expectNoValue(setBase, setShared, setEnv, update)
  })

  it('lists names, sources and versions, the env winning over the base, never values', () => {
    const list = secret('list', env)
    expect(list.status, list.stdout + list.stderr).toBe(0)
    expect(list.json).toMatchObject({ env, base: 'dev', scope: 'env', envExists: false })
    // The base's shared set is the endpoint's: other runs' secrets may be there too.
    const ours = (list.json.secrets as { name: string }[]).filter((s) =>
      [both, shared].includes(s.name),
    )
    // Sorted by name (E2E_SHARED_… before E2E_TOKEN_…), the env's own before the base's.
    expect(ours).toEqual([
      expect.objectContaining({ name: shared, from: 'base', version: 1, overridden: false }),
      {
        name: both,
        from: 'env',
        parameter: `${envPath}/${both}`,
        version: 1,
        lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        overridden: false,
      },
      expect.objectContaining({ name: both, from: 'base', version: 2, overridden: true }),
    ])
    expect(list.stderr).toContain(`${env} has no stack`)

    const table = human('list', env)
    expect(table.status, table.stderr).toBe(0)
    expect(table.stdout).toMatch(new RegExp(`^${both} +${env} +1 `, 'm'))
    expect(table.stdout).toMatch(
      new RegExp(`^${both} +base dev \\(replaced by ${env}'s own\\) +2 `, 'm'),
    )
    expect(table.stdout).toMatch(new RegExp(`^${shared} +base dev +1 `, 'm'))

    const baseOnly = secret('list', env, '--base')
    expect(baseOnly.status, baseOnly.stderr).toBe(0)
    expect(baseOnly.json).toMatchObject({ scope: 'base' })
    const names = (baseOnly.json.secrets as { name: string; from: string }[])
      .filter((s) => [both, shared].includes(s.name))
      .map((s) => `${s.name}:${s.from}`)
    expect(names).toEqual([`${shared}:base`, `${both}:base`])

    expectNoValue(list, table, baseOnly)
  })

  it('gets where a secret comes from, and its value only with --show', () => {
    const meta = secret('get', env, both)
    expect(meta.status, meta.stderr).toBe(0)
    expect(meta.json).toMatchObject({
      env,
      name: both,
      from: 'env',
      parameter: `${envPath}/${both}`,
      version: 1,
      value: null,
    })
    const metaText = human('get', env, both)
    expect(metaText.status, metaText.stderr).toBe(0)
    expectNoValue(meta, metaText)

    const shown = secret('get', env, both, '--show')
    expect(shown.status, shown.stderr).toBe(0)
    expect(shown.json).toMatchObject({ from: 'env', version: 1, value: envValue })

    const plain = human('get', env, both, '--show')
    expect(plain.status, plain.stderr).toBe(0)
    expect(plain.stdout).toBe(`${envValue}\n`)

    const fromBase = secret('get', env, both, '--base', '--show')
    expect(fromBase.status, fromBase.stderr).toBe(0)
    expect(fromBase.json).toMatchObject({ from: 'base', version: 2, value: baseValue2 })

    const sharedOnly = secret('get', env, shared, '--show')
    expect(sharedOnly.json).toMatchObject({ from: 'base', value: baseValue })
  })

  it('refuses invalid names (exit 2) and reports missing secrets (exit 1), writing nothing', () => {
    const bad = cli(tree.root, ['secret', 'set', env, 'bad-name'], { input: envValue })
    expectError(bad, 'NAME_INVALID', 2)
    expectError(secret('get', env, '1BAD'), 'NAME_INVALID', 2)
    expectError(secret('unset', env, 'bad-name'), 'NAME_INVALID', 2)

    const reserved = cli(tree.root, ['secret', 'set', env, 'SECRET_KEY', '--base'], {
      input: envValue,
    })
    expectError(reserved, 'USAGE', 2)
    const empty = cli(tree.root, ['secret', 'set', env, `E2E_EMPTY_${suffix.toUpperCase()}`], {
      input: '\n',
    })
    expectError(empty, 'SECRET_INVALID', 2)

    const missing = `E2E_MISSING_${suffix.toUpperCase()}`
    expectError(secret('get', env, missing), 'SECRET_NOT_FOUND', 1)
    expectError(secret('get', env, missing, '--show'), 'SECRET_NOT_FOUND', 1)
    expectError(secret('unset', env, missing), 'SECRET_NOT_FOUND', 1)
    expectError(secret('unset', env, shared), 'SECRET_NOT_FOUND', 1) // the base's, not the env's

    const list = secret('list', env)
    expect(
      (list.json.secrets as { name: string }[]).filter((s) =>
        s.name.includes(suffix.toUpperCase()),
      ),
    ).toHaveLength(3)
    expectNoValue(bad, reserved, empty, list)
  })

  it("unsets the env's own value (the base's applies again), then the base's, then nothing is left", () => {
    const own = secret('unset', env, both)
    expect(own.status, own.stdout + own.stderr).toBe(0)
    expect(own.json).toMatchObject({
      env,
      name: both,
      from: 'env',
      parameter: `${envPath}/${both}`,
      services: [],
      redeploy: [],
    })
    expect(secret('get', env, both, '--show').json).toMatchObject({
      from: 'base',
      value: baseValue2,
    })

    for (const name of [both, shared]) {
      const unset = secret('unset', env, name, '--base')
      expect(unset.status, unset.stdout + unset.stderr).toBe(0)
      expect(unset.json).toMatchObject({ from: 'base', parameter: `${basePath}/${name}` })
      expectNoValue(unset)
    }
    expectError(secret('get', env, both), 'SECRET_NOT_FOUND', 1)
    const baseOnly = secret('list', env, '--base')
    expect(baseOnly.status, baseOnly.stderr).toBe(0)
    expect(
      (baseOnly.json.secrets as { name: string }[]).filter((s) => [both, shared].includes(s.name)),
    ).toEqual([])
    // No stack and no secret of its own left: the env is unknown again.
    expectError(secret('list', env), 'ENV_NOT_FOUND', 1)
  })
})

describe.skipIf(!e2e)('lifecycle against an AWS-compatible endpoint', () => {
  const tree = tempTree('djenv-e2e-')
  const env = `e2e-${randomBytes(3).toString('hex')}`
  const djenv = (...args: string[]) => cli(tree.root, args)
  let baseStack = ''
  let appStack = ''

  beforeAll(() => {
    copyFileSync(EXAMPLE, tree.path('djenv.yml'))
    const base = djenv('base', 'deploy', '--yes')
    expect(base.status, base.stdout + base.stderr).toBe(0)
    baseStack = String(base.json.stack)
  }, 30 * 60_000)

  afterAll(() => {
    // Best effort: report what is left, never mask the test's own failure.
    const left = [djenv('env', 'destroy', env, '--yes'), djenv('base', 'destroy', '--yes')].filter(
      (r) => r.status !== 0,
    )
    for (const r of left) console.error('teardown left something behind:', r.stdout, r.stderr)
    tree.cleanup()
  }, 30 * 60_000)

  it(
    'creates an env, lists it, shows its status, destroys it',
    async () => {
      expect(await stackStatus(baseStack)).toMatch(/_COMPLETE$/)

      const created = djenv('env', 'create', env, '--yes', '--timeout', '20')
      expect(created.status, created.stdout + created.stderr).toBe(0)
      appStack = String(created.json.stack)
      expect(created.json).toMatchObject({ env, outcome: 'created' })
      expect(await stackStatus(appStack)).toBe('CREATE_COMPLETE')

      const again = djenv('env', 'create', env, '--yes')
      expect(again.status, again.stdout + again.stderr).toBe(0)
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
      expect(destroyed.status, destroyed.stdout + destroyed.stderr).toBe(0)
      expect(destroyed.json).toMatchObject({ outcome: 'destroyed' })
      expect(await stackStatus(appStack)).toBeUndefined()
    },
    60 * 60_000,
  )

  it(
    'runs migrations as a one-off task and reads the logs',
    () => {
      const created = djenv('env', 'create', env, '--yes', '--timeout', '20')
      expect(created.status, created.stdout + created.stderr).toBe(0)

      const migrated = djenv('migrate', env)
      expect(migrated.status, migrated.stdout + migrated.stderr).toBe(0)
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
})
