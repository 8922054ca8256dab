import { fileURLToPath } from 'node:url'

import { runCommand } from '@oclif/test'
import { describe, expect, it } from 'vitest'

// oclif imports commands (and their workflows) natively, outside vitest's module graph, so
// vi.mock cannot replace the workflow: these tests run the real offline plan.
const config = fileURLToPath(new URL('../../examples/shop/djenv.yml', import.meta.url))

describe('djenv env create --dry-run', () => {
  it('prints the plan document with --json', async () => {
    const { stdout, error } = await runCommand([
      'env',
      'create',
      'pr-42',
      '--dry-run',
      '--image-tag',
      'abc1234',
      '--config',
      config,
      '--json',
    ])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({
      env: 'pr-42',
      kind: 'adhoc',
      url: 'https://pr-42.shop.example.com',
      validation: 'off',
      images: { tag: 'abc1234', source: 'flag' },
      stacks: [{ name: 'shop-dev-pr-42', role: 'app' }],
    })
  })

  it('is also `djenv create`, and prints the plan for people', async () => {
    const { stdout, error } = await runCommand(['create', 'pr-43', '--dry-run', '--config', config])

    expect(error).toBeUndefined()
    expect(stdout).toContain('URL        https://pr-43.shop.example.com')
  })

  it('exits 2 with NAME_INVALID for a bad name', async () => {
    const { stdout, error } = await runCommand([
      'env',
      'create',
      'PR-42',
      '--dry-run',
      '--config',
      config,
      '--json',
    ])

    expect(error?.oclif?.exit).toBe(2)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'NAME_INVALID',
      hint: expect.stringContaining('"pr-42"'),
    })
  })

  it('exits 2 when the env name is missing', async () => {
    const { error } = await runCommand(['env', 'create', '--dry-run', '--json'])

    expect(error?.oclif?.exit).toBe(2)
  })
})
