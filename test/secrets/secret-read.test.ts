import { GetParameterCommand, GetParametersByPathCommand } from '@aws-sdk/client-ssm'
import { describe, expect, it } from 'vitest'

import { secretGet } from '../../src/secrets/secret-get.js'
import { secretList } from '../../src/secrets/secret-list.js'
import { renderSecretGet, renderSecretList } from '../../src/ui/render/secret.js'
import { KNOWN_VALUE, aws, deps, given } from './fixture.js'

function seeded(envs: Record<string, string[]> = { 'pr-42': [] }) {
  const g = given({ envs })
  g.store.secret('/djenv/shop/pr-42/secrets/SECRET_KEY', KNOWN_VALUE, 1)
  g.store.secret('/djenv/shop/pr-42/secrets/SENTRY_DSN', KNOWN_VALUE, 2)
  g.store.secret('/djenv/shop/dev/secrets/SENTRY_DSN', KNOWN_VALUE, 5)
  g.store.secret('/djenv/shop/dev/secrets/MAILGUN_KEY', KNOWN_VALUE, 1)
  // Not a secret of pr-42: another env's, and djenv's state below the base root.
  g.store.secret('/djenv/shop/pr-7/secrets/OTHER', KNOWN_VALUE)
  g.store.secret('/djenv/shop/dev/secrets/nested/DEEP', KNOWN_VALUE)
  return g
}

describe('secretList', () => {
  it("lists the env's and its base's secrets with source, version and date, the env's own winning", async () => {
    seeded()

    const result = await secretList({ env: 'pr-42' }, deps())

    expect(result).toMatchObject({ env: 'pr-42', base: 'dev', scope: 'env', envExists: true })
    expect(result.secrets.map((s) => [s.name, s.from, s.version, s.overridden])).toEqual([
      ['MAILGUN_KEY', 'base', 1, false],
      ['SECRET_KEY', 'env', 1, false],
      ['SENTRY_DSN', 'env', 2, false],
      ['SENTRY_DSN', 'base', 5, true],
    ])
    expect(result.secrets[0]).toMatchObject({
      parameter: '/djenv/shop/dev/secrets/MAILGUN_KEY',
      lastModified: '2026-11-20T09:00:00.000Z',
    })
  })

  it('never fetches or prints a value: read without decryption, ciphertext dropped', async () => {
    seeded()

    const result = await secretList({ env: 'pr-42' }, deps())

    expect(aws.ssm).toHaveReceivedCommandWith(GetParametersByPathCommand, {
      Path: '/djenv/shop/pr-42/secrets',
      Recursive: false,
      WithDecryption: false,
    })
    expect(aws.ssm).not.toHaveReceivedCommandWith(GetParametersByPathCommand, {
      WithDecryption: true,
    })
    expect(aws.ssm).not.toHaveReceivedCommand(GetParameterCommand)
    const printed = `${JSON.stringify(result)}\n${renderSecretList(result)}`
    expect(printed).not.toContain(KNOWN_VALUE)
    expect(printed).not.toContain('ciphertext')
  })

  it('names what secrets.names expects that has no value', async () => {
    seeded()

    const result = await secretList({ env: 'pr-42' }, deps())

    expect(result.missing).toEqual(['STRIPE_API_KEY'])
    expect(renderSecretList(result)).toContain(
      'Expected by secrets.names but not set: STRIPE_API_KEY',
    )
  })

  it("lists only the base's shared set with --base", async () => {
    seeded()

    const result = await secretList({ env: 'pr-42', base: true }, deps())

    expect(result.scope).toBe('base')
    expect(result.secrets.map((s) => s.name)).toEqual(['MAILGUN_KEY', 'SENTRY_DSN'])
  })

  it('refuses an ad hoc env with neither a stack nor secrets', async () => {
    seeded({})

    await expect(secretList({ env: 'pr-24' }, deps())).rejects.toMatchObject({
      djenvCode: 'ENV_NOT_FOUND',
      oclif: { exit: 1 },
    })
  })

  it('lists the kept secrets of a destroyed env, with a warning', async () => {
    seeded({})
    const d = deps()

    const result = await secretList({ env: 'pr-42' }, d)

    expect(result.envExists).toBe(false)
    expect(result.secrets.filter((s) => s.from === 'env').map((s) => s.name)).toEqual([
      'SECRET_KEY',
      'SENTRY_DSN',
    ])
    expect(d.report.warnings).toEqual([expect.stringContaining('pr-42 has no stack')])
  })

  it('renders a table of names, never values, and says how to print one', async () => {
    seeded()

    const text = renderSecretList(await secretList({ env: 'pr-42' }, deps()))

    expect(text.split('\n').slice(0, 5)).toEqual([
      'NAME         FROM                                VERSION  MODIFIED',
      'MAILGUN_KEY  base dev                            1        2026-11-20T09:00:00.000Z',
      'SECRET_KEY   pr-42                               1        2026-11-20T09:00:00.000Z',
      'SENTRY_DSN   pr-42                               2        2026-11-20T09:00:00.000Z',
      "SENTRY_DSN   base dev (replaced by pr-42's own)  5        2026-11-20T09:00:00.000Z",
    ])
    expect(text).toContain('`djenv secret get pr-42 NAME --show` prints one')
  })
})

describe('secretGet', () => {
  it('without --show, says where the secret is and decrypts nothing', async () => {
    seeded()

    const result = await secretGet({ env: 'pr-42', name: 'MAILGUN_KEY', show: false }, deps())

    expect(result).toEqual({
      env: 'pr-42',
      name: 'MAILGUN_KEY',
      from: 'base',
      parameter: '/djenv/shop/dev/secrets/MAILGUN_KEY',
      version: 1,
      lastModified: '2026-11-20T09:00:00.000Z',
      value: null,
    })
    expect(aws.ssm).not.toHaveReceivedCommand(GetParameterCommand)
    expect(renderSecretGet(result)).toBe(
      "MAILGUN_KEY of pr-42: the base's shared /djenv/shop/dev/secrets/MAILGUN_KEY, version 1, modified 2026-11-20T09:00:00.000Z.\nIts value is hidden: add --show to print it (`djenv secret get pr-42 MAILGUN_KEY --show`).",
    )
  })

  it("with --show, decrypts the value the env gets: its own over the base's", async () => {
    const { store } = seeded()
    store.secret('/djenv/shop/pr-42/secrets/SENTRY_DSN', 'env-dsn', 2)

    const result = await secretGet({ env: 'pr-42', name: 'SENTRY_DSN', show: true }, deps())

    expect(result).toMatchObject({ from: 'env', value: 'env-dsn', version: 2 })
    expect(aws.ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: '/djenv/shop/pr-42/secrets/SENTRY_DSN',
      WithDecryption: true,
    })
    expect(renderSecretGet(result)).toBe('env-dsn')
  })

  it('reads the base value with --base even when the env has its own', async () => {
    const { store } = seeded()
    store.secret('/djenv/shop/dev/secrets/SENTRY_DSN', 'base-dsn', 5)

    const result = await secretGet(
      { env: 'pr-42', name: 'SENTRY_DSN', show: true, base: true },
      deps(),
    )

    expect(result).toMatchObject({ from: 'base', value: 'base-dsn' })
  })

  it('reports a missing secret with the names that exist', async () => {
    seeded()

    await expect(
      secretGet({ env: 'pr-42', name: 'NOPE', show: true }, deps()),
    ).rejects.toMatchObject({
      djenvCode: 'SECRET_NOT_FOUND',
      hint: 'Stored: MAILGUN_KEY, SECRET_KEY, SENTRY_DSN.',
      oclif: { exit: 1 },
    })
    expect(aws.ssm).not.toHaveReceivedCommand(GetParameterCommand)
  })

  it('refuses an invalid name before any read', async () => {
    seeded()

    await expect(
      secretGet({ env: 'pr-42', name: 'no-such name', show: false }, deps()),
    ).rejects.toMatchObject({ djenvCode: 'NAME_INVALID', oclif: { exit: 2 } })
    expect(aws.ssm).not.toHaveReceivedCommand(GetParametersByPathCommand)
  })
})
