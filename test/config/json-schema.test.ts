import { readFileSync } from 'node:fs'

import { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'

import { configJsonSchema } from '../../src/config/json-schema.js'
import { configSchema } from '../../src/config/schema.js'
import { MINIMAL_CONFIG } from '../support/tmp.js'

const committed = JSON.parse(
  readFileSync(new URL('../../djenv.schema.json', import.meta.url), 'utf8'),
) as object
const ajv = new Ajv2020({ strict: false, allErrors: true })
const validate = ajv.compile(committed)

describe('djenv.schema.json', () => {
  it('is the schema generated from the zod schema (run `npm run schema` after changing it)', () => {
    expect(committed).toEqual(configJsonSchema())
  })

  it('accepts the embedded example and the template output', () => {
    const example = parse(
      readFileSync(new URL('../../examples/shop/djenv.yml', import.meta.url), 'utf8'),
    ) as unknown

    expect(validate(example)).toBe(true)
    expect(configSchema.safeParse(example).success).toBe(true)
  })

  const variants: [string, Record<string, unknown>][] = [
    ['an unknown top-level key', { regoin: 'x' }],
    ['a bad project name', { project: 'Shop' }],
    ['a project name with "--"', { project: 'sh--op' }],
    ['a long project name', { project: 'a'.repeat(21) }],
    ['a bad region', { region: 'Ireland' }],
    ['a bad hosted zone', { hostedZoneId: 'example.com' }],
    ['a bad CPU', { services: { web: { command: 'x', cpu: 300 } } }],
    ['a non-boolean spot', { adhoc: { spot: 'yes' } }],
    ['an unknown adhoc key', { adhoc: { spto: true } }],
    ['a bad production env name', { production: { Prod: {} } }],
    ['a missing web command', { services: { web: {} } }],
    ['a setting djenv sets itself', { environment: { DEBUG: '1' } }],
    ['a DJENV_ setting', { adhoc: { environment: { DJENV_X: '1' } } }],
    ['a setting that is no variable name', { environment: { 'A-B': '1' } }],
    ['a non-string setting', { environment: { WORKERS: 4 } }],
    ['a secret name that is no variable name', { secrets: { names: ['a-b'] } }],
    ['a KMS alias', { secrets: { kmsKey: 'alias/djenv' } }],
  ]

  it.each(variants)('agrees with the zod schema in refusing %s', (_label, patch) => {
    const config = { ...MINIMAL_CONFIG, ...patch }

    expect(configSchema.safeParse(config).success).toBe(false)
    expect(validate(config)).toBe(false)
  })

  it('agrees in accepting the minimal configuration', () => {
    expect(configSchema.safeParse(MINIMAL_CONFIG).success).toBe(true)
    expect(validate(MINIMAL_CONFIG)).toBe(true)
  })
})
