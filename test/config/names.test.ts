import { describe, expect, it } from 'vitest'

import { MAX_ENV_NAME, parseEnvName, suggestName } from '../../src/config/names.js'

const ctx = { base: 'dev', productionEnvs: ['prod', 'staging'] }

describe('parseEnvName', () => {
  it.each([
    ['pr-42', 'adhoc'],
    ['feature-login', 'adhoc'],
    ['a', 'adhoc'],
    ['x1', 'adhoc'],
    ['a'.repeat(MAX_ENV_NAME), 'adhoc'],
    ['prod', 'prod'],
    ['staging', 'prod'],
  ])('accepts %s as %s', (name, kind) => {
    expect(parseEnvName(name, ctx)).toEqual({ name, kind })
  })

  it.each([
    ['', 'is empty', 'env'],
    ['PR-42', 'has upper-case letters; use lower case', 'pr-42'],
    ['42', 'must start with a letter', 'pr-42'],
    ['-pr', 'must start with a letter', 'pr'],
    ['pr_42', 'may contain only a-z, 0-9 and "-"', 'pr-42'],
    ['pr.42', 'may contain only a-z, 0-9 and "-"', 'pr-42'],
    ['pr-', 'must not end with "-"', 'pr'],
    ['pr--42', 'must not contain "--"', 'pr-42'],
    [
      'a'.repeat(MAX_ENV_NAME + 1),
      `is ${MAX_ENV_NAME + 1} characters long; the limit is ${MAX_ENV_NAME}`,
      'a'.repeat(MAX_ENV_NAME),
    ],
    ['dev', 'is the name of the ad hoc base', 'dev-1'],
    ['base', 'is reserved by djenv', 'base-1'],
    ['static', 'is reserved by djenv', 'static-1'],
    ['ops', 'is reserved by djenv', 'ops-1'],
    ['static-prod', 'is the CDN host of production env prod', 'static-prod-1'],
  ])('refuses %j: it %s, and suggests %s', (name, rule, suggestion) => {
    let error: unknown
    try {
      parseEnvName(name, ctx)
    } catch (err) {
      error = err
    }

    expect(error).toMatchObject({ djenvCode: 'NAME_INVALID', oclif: { exit: 2 } })
    expect((error as Error).message).toBe(`Environment name "${name}" ${rule}.`)
    expect((error as { hint: string }).hint).toContain(`e.g. "${suggestion}"`)
  })

  it('refuses a production env where an ad hoc env is needed', () => {
    expect(() => parseEnvName('prod', ctx, 'adhoc')).toThrow(/is a production environment/)
  })

  it('suggests only names it would accept', () => {
    for (const input of ['PR 42', '__', '123', 'Feature/Login--Page', 'x'.repeat(80)]) {
      const suggestion = suggestName(input)
      expect(parseEnvName(suggestion, ctx).name).toBe(suggestion)
    }
  })

  it('keeps env names within every AWS name built from them', () => {
    expect(MAX_ENV_NAME).toBe(30)
    expect(`shop-dev-${'a'.repeat(MAX_ENV_NAME)}`.length).toBeLessThanOrEqual(128)
  })
})
