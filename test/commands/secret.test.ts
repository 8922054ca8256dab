import { GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm'
import { runCommand } from '@oclif/test'
import { afterAll, describe, expect, it } from 'vitest'

import { KNOWN_VALUE, SHOP_CONFIG, aws, given } from '../secrets/fixture.js'
import { tempTree } from '../support/tmp.js'

// oclif imports commands natively, so these run the real workflows over class-level SDK mocks.
const tree = tempTree()
afterAll(() => tree.cleanup())
const valueFile = tree.write('value.txt', `${KNOWN_VALUE}\n`)
const cfg = ['--config', SHOP_CONFIG]

describe('djenv secret set', () => {
  it('stores the value from --from-file and prints the result document, without the value', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })

    const { stdout, stderr, error } = await runCommand([
      'secret',
      'set',
      'pr-42',
      'STRIPE_API_KEY',
      '--from-file',
      valueFile,
      ...cfg,
      '--json',
    ])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({
      env: 'pr-42',
      name: 'STRIPE_API_KEY',
      from: 'env',
      parameter: '/djenv/shop/pr-42/secrets/STRIPE_API_KEY',
      outcome: 'created',
      version: 1,
      redeploy: ['pr-42'],
    })
    expect(store.store.get('/djenv/shop/pr-42/secrets/STRIPE_API_KEY')?.value).toBe(KNOWN_VALUE)
    expect(stdout + stderr).not.toContain(KNOWN_VALUE)
  })

  it('says for people that ECS reads secrets when a task starts, without the value', async () => {
    const parameter = '/djenv/shop/pr-42/secrets/STRIPE_API_KEY'
    const { store } = given({ envs: { 'pr-42': [parameter] } })
    store.secret(parameter, 'old')

    const { stdout, stderr, error } = await runCommand([
      'secret',
      'set',
      'pr-42',
      'STRIPE_API_KEY',
      '--from-file',
      valueFile,
      ...cfg,
    ])

    expect(error).toBeUndefined()
    expect(stdout).toContain('ECS reads secrets when a task starts')
    expect(stdout).toContain('--restart')
    expect(stdout + stderr).not.toContain(KNOWN_VALUE)
  })

  it('refuses NAME=VALUE together with --from-file (exit 2), writing nothing', async () => {
    given({ envs: { 'pr-42': [] } })

    const { stdout, error } = await runCommand([
      'secret',
      'set',
      'pr-42',
      `STRIPE_API_KEY=${KNOWN_VALUE}`,
      '--from-file',
      valueFile,
      ...cfg,
      '--json',
    ])

    expect(error?.oclif?.exit).toBe(2)
    expect(JSON.parse(stdout).error.code).toBe('USAGE')
    expect(aws.ssm).not.toHaveReceivedCommand(PutParameterCommand)
  })

  it('exits 1 with AWS_ACCESS_DENIED when SSM refuses the write', async () => {
    given({ envs: { 'pr-42': [] } })
    aws.ssm.on(PutParameterCommand).rejects(
      Object.assign(new Error('not authorized to perform: ssm:PutParameter'), {
        name: 'AccessDeniedException',
        $metadata: {},
      }),
    )

    const { stdout, error } = await runCommand([
      'secret',
      'set',
      'pr-42',
      'STRIPE_API_KEY',
      '--from-file',
      valueFile,
      ...cfg,
      '--json',
    ])

    expect(error?.oclif?.exit).toBe(1)
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'AWS_ACCESS_DENIED', exitCode: 1 })
    expect(stdout).not.toContain(KNOWN_VALUE)
  })
})

describe('djenv secret list, get and unset', () => {
  function seeded() {
    const g = given({ envs: { 'pr-42': [] } })
    g.store.secret('/djenv/shop/pr-42/secrets/SECRET_KEY', KNOWN_VALUE)
    g.store.secret('/djenv/shop/dev/secrets/STRIPE_API_KEY', KNOWN_VALUE, 3)
    return g
  }

  it('lists names and sources, never values, in --json and for people', async () => {
    seeded()

    const json = await runCommand(['secret', 'list', 'pr-42', ...cfg, '--json'])
    const human = await runCommand(['secret', 'list', 'pr-42', ...cfg])

    expect(json.error).toBeUndefined()
    expect(
      JSON.parse(json.stdout).secrets.map((s: { name: string; from: string }) => [s.name, s.from]),
    ).toEqual([
      ['SECRET_KEY', 'env'],
      ['STRIPE_API_KEY', 'base'],
    ])
    expect(human.stdout).toContain('STRIPE_API_KEY  base dev')
    for (const out of [json.stdout, json.stderr, human.stdout, human.stderr])
      expect(out).not.toContain(KNOWN_VALUE)
    expect(aws.ssm).not.toHaveReceivedCommandWith(GetParametersByPathCommand, {
      WithDecryption: true,
    })
  })

  it('prints a value only with --show: alone for people, as "value" in --json', async () => {
    seeded()

    const hidden = await runCommand(['secret', 'get', 'pr-42', 'STRIPE_API_KEY', ...cfg])
    const hiddenJson = await runCommand([
      'secret',
      'get',
      'pr-42',
      'STRIPE_API_KEY',
      ...cfg,
      '--json',
    ])
    const shown = await runCommand(['secret', 'get', 'pr-42', 'STRIPE_API_KEY', '--show', ...cfg])
    const shownJson = await runCommand([
      'secret',
      'get',
      'pr-42',
      'STRIPE_API_KEY',
      '--show',
      ...cfg,
      '--json',
    ])

    expect(hidden.stdout).toContain('add --show to print it')
    expect(hidden.stdout + hidden.stderr).not.toContain(KNOWN_VALUE)
    expect(JSON.parse(hiddenJson.stdout)).toMatchObject({ value: null, from: 'base', version: 3 })
    expect(hiddenJson.stdout).not.toContain(KNOWN_VALUE)
    expect(shown.stdout).toBe(`${KNOWN_VALUE}\n`)
    expect(JSON.parse(shownJson.stdout).value).toBe(KNOWN_VALUE)
  })

  it('unsets a secret, and exits 1 with SECRET_NOT_FOUND for one that is not there', async () => {
    const { store } = seeded()

    const done = await runCommand(['secret', 'unset', 'pr-42', 'STRIPE_API_KEY', '--base', ...cfg])
    const again = await runCommand([
      'secret',
      'unset',
      'pr-42',
      'STRIPE_API_KEY',
      '--base',
      ...cfg,
      '--json',
    ])

    expect(done.error).toBeUndefined()
    expect(done.stdout).toContain('Deleted STRIPE_API_KEY of every ad hoc env of base dev')
    expect(store.store.has('/djenv/shop/dev/secrets/STRIPE_API_KEY')).toBe(false)
    expect(again.error?.oclif?.exit).toBe(1)
    expect(JSON.parse(again.stdout).error.code).toBe('SECRET_NOT_FOUND')
  })

  it('exits 2 with NAME_INVALID for a bad name', async () => {
    seeded()

    const { stdout, error } = await runCommand([
      'secret',
      'unset',
      'pr-42',
      'not-a-name',
      ...cfg,
      '--json',
    ])

    expect(error?.oclif?.exit).toBe(2)
    expect(JSON.parse(stdout).error.code).toBe('NAME_INVALID')
  })
})

describe('djenv env destroy --keep-secrets', () => {
  it("keeps the env's secrets of an env whose stack is already gone", async () => {
    const { store } = given({ envs: {} })
    store.secret('/djenv/shop/pr-42/secrets/SECRET_KEY', KNOWN_VALUE)

    const { stdout, error } = await runCommand([
      'env',
      'destroy',
      'pr-42',
      '--yes',
      '--keep-secrets',
      '--keep-database',
      ...cfg,
      '--json',
    ])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({
      outcome: 'absent',
      secrets: { deleted: 0, kept: true },
    })
    expect(store.store.has('/djenv/shop/pr-42/secrets/SECRET_KEY')).toBe(true)
  })

  it('deletes them without the flag', async () => {
    const { store } = given({ envs: {} })
    store.secret('/djenv/shop/pr-42/secrets/SECRET_KEY', KNOWN_VALUE)

    const { stdout, error } = await runCommand([
      'env',
      'destroy',
      'pr-42',
      '--yes',
      '--keep-database',
      ...cfg,
      '--json',
    ])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout).secrets).toEqual({ deleted: 1, kept: false })
    expect(store.store.has('/djenv/shop/pr-42/secrets/SECRET_KEY')).toBe(false)
  })
})
