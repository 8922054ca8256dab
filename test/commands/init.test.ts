import { readFileSync } from 'node:fs'

import { runCommand } from '@oclif/test'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { tempTree } from '../support/tmp.js'

let tree: ReturnType<typeof tempTree>

beforeEach(() => {
  tree = tempTree()
})

afterEach(() => tree.cleanup())

describe('djenv init', () => {
  it('prints the result document with --json', async () => {
    const file = tree.path('djenv.yml')

    const { stdout, error } = await runCommand([
      'init',
      '--domain',
      'shop.example.com',
      '--hosted-zone-id',
      'Z0123456789ABCDEFGHIJ',
      '--project',
      'shop',
      '--yes',
      '--config',
      file,
      '--json',
    ])

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toEqual({
      file,
      overwritten: false,
      workflows: [],
      project: 'shop',
      region: 'us-east-1',
      domain: 'shop.example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      imageRepository: 'shop',
      settingsModule: 'shop.settings',
    })
    expect(readFileSync(file, 'utf8')).toContain('project: shop')
  })

  it('exits 2 with a JSON error naming the missing flag when it cannot ask', async () => {
    const { stdout, error } = await runCommand([
      'init',
      '--yes',
      '--config',
      tree.path('djenv.yml'),
      '--json',
    ])

    expect(error?.oclif?.exit).toBe(2)
    expect(JSON.parse(stdout)).toEqual({
      error: {
        code: 'INPUT_REQUIRED',
        message: expect.stringContaining('Domain'),
        hint: 'Pass --domain.',
        exitCode: 2,
      },
    })
  })

  it('prints a one-line error and a hint without a stack trace', async () => {
    tree.write('djenv.yml', 'project: x\n')

    const { stderr, error } = await runCommand([
      'init',
      '--yes',
      '--config',
      tree.path('djenv.yml'),
    ])

    expect(error?.oclif?.exit).toBe(2)
    expect(stderr).toMatch(
      /✖ .*djenv\.yml already exists; djenv init does not overwrite it\.\n {2}→ Pass --force to replace it\.\n$/,
    )
    expect(stderr).not.toMatch(/at .*\.ts:\d+/)
  })

  it('treats an unknown flag as a usage error (exit 2)', async () => {
    const { error, stdout } = await runCommand(['init', '--frobnicate', '--json'])

    expect(error?.oclif?.exit).toBe(2)
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'USAGE', exitCode: 2 })
  })
})
