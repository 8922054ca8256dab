import { readFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'

import { parse } from 'yaml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { loadConfig } from '../../src/config/load.js'
import { init, type InitInput } from '../../src/init/init.js'
import { createAsker } from '../../src/ui/ask.js'
import { scriptedAsker } from '../support/scripted-asker.js'
import { tempTree } from '../support/tmp.js'

let tree: ReturnType<typeof tempTree>

beforeEach(() => {
  tree = tempTree()
})

afterEach(() => tree.cleanup())

const base: InitInput = { yes: false, force: false, version: '0.1.0' }
const nonInteractive = createAsker({ interactive: false })

describe('init', () => {
  it('writes a valid djenv.yml from flags alone, with the schema comment for editors', async () => {
    const cwd = tree.mkdir('my-shop')

    const result = await init(
      {
        ...base,
        domain: 'shop.example.com',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        region: 'eu-west-1',
        yes: true,
      },
      { cwd, env: {}, ask: nonInteractive },
    )

    const text = readFileSync(result.file, 'utf8')
    expect(text.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=https://unpkg.com/djenv@0.1.0/djenv.schema.json',
    )
    const loaded = await loadConfig({ cwd })
    expect(loaded.data).toMatchObject({
      project: 'my-shop',
      region: 'eu-west-1',
      domain: 'shop.example.com',
      image: { repository: 'my-shop' },
      django: { settingsModule: 'my_shop.settings' },
      services: { web: { command: expect.stringContaining('my_shop.wsgi:application') } },
    })
    expect(result).toMatchObject({ overwritten: false, project: 'my-shop' })
  })

  it('takes the region from AWS_REGION when given --yes', async () => {
    const result = await init(
      { ...base, domain: 'shop.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', yes: true },
      { cwd: tree.root, env: { AWS_REGION: 'ap-southeast-2' }, ask: nonInteractive },
    )

    expect(result.region).toBe('ap-southeast-2')
  })

  it.each([
    [{}, '--project'],
    [{ yes: true }, '--domain'],
    [{ yes: true, domain: 'shop.example.com' }, '--hosted-zone-id'],
  ])(
    'off a terminal, names the flag of the first missing answer (%o → %s)',
    async (flags, flag) => {
      const run = init({ ...base, ...flags }, { cwd: tree.root, env: {}, ask: nonInteractive })

      await expect(run).rejects.toMatchObject({
        djenvCode: 'INPUT_REQUIRED',
        oclif: { exit: 2 },
        hint: `Pass ${flag}.`,
      })
      expect(() => readFileSync(tree.path('djenv.yml'))).toThrow()
    },
  )

  it('asks for every value on a terminal, with defaults', async () => {
    const ask = scriptedAsker({
      'Project name': 'shop',
      'AWS region': 'eu-central-1',
      Domain: 'shop.example.com',
      'hosted zone': 'Z0123456789ABCDEFGHIJ',
      'image repository': '',
      DJANGO_SETTINGS_MODULE: 'config.settings.production',
    })

    const result = await init(base, { cwd: tree.root, env: {}, ask })

    expect(ask.asked).toHaveLength(6)
    expect(result).toMatchObject({
      project: 'shop',
      region: 'eu-central-1',
      imageRepository: 'shop',
      settingsModule: 'config.settings.production',
    })
    expect((await loadConfig({ cwd: tree.root })).data.django.settingsModule).toBe(
      'config.settings.production',
    )
  })

  it('refuses an invalid flag value before writing anything', async () => {
    const run = init(
      { ...base, project: 'My_Shop', yes: true },
      { cwd: tree.root, env: {}, ask: nonInteractive },
    )

    await expect(run).rejects.toMatchObject({ djenvCode: 'USAGE', hint: 'Try --project my-shop.' })
  })

  it('refuses to overwrite an existing configuration without --force, and keeps it', async () => {
    tree.write('djenv.json', '{"keep": true}')
    const flags = {
      ...base,
      domain: 'shop.example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      yes: true,
    }

    const refused = init(flags, { cwd: tree.root, env: {}, ask: nonInteractive })

    await expect(refused).rejects.toMatchObject({
      djenvCode: 'FILE_EXISTS',
      oclif: { exit: 2 },
      hint: 'Pass --force to replace it.',
    })
    expect(readFileSync(tree.path('djenv.json'), 'utf8')).toBe('{"keep": true}')
  })

  it('replaces the file with --force', async () => {
    tree.write('djenv.yml', 'old: true\n')

    const result = await init(
      {
        ...base,
        domain: 'shop.example.com',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        yes: true,
        force: true,
      },
      { cwd: tree.root, env: {}, ask: nonInteractive },
    )

    expect(result.overwritten).toBe(true)
    expect(parse(readFileSync(tree.path('djenv.yml'), 'utf8'))).toMatchObject({
      domain: 'shop.example.com',
    })
  })
})

describe('the terminal asker', () => {
  it('drives @inquirer/prompts: typed answers and defaults reach init', async () => {
    const input = new PassThrough()
    const output = new PassThrough()
    let screen = ''
    output.on('data', (chunk: Buffer) => (screen += chunk.toString()))
    // Each prompt ends its output when it closes; a terminal stays open, and so must this.
    output.end = () => output
    const ask = createAsker({ interactive: true, input, output })
    // Type each answer once its question is on the screen, as a person would.
    const script: [string, string][] = [
      ['Project name', 'shop\r'],
      ['AWS region', 'eu-west-1\r'],
      ['Domain', 'shop.example.com\r'],
      ['hosted zone id', 'Z0123456789ABCDEFGHIJ\r'],
      ['ECR image repository', '\r'],
      ['DJANGO_SETTINGS_MODULE', '\r'],
    ]
    const typing = (async () => {
      for (const [question, keys] of script) {
        while (!screen.includes(question)) await new Promise((r) => setTimeout(r, 5))
        // The prompt draws before it listens to the keyboard: give it a moment.
        await new Promise((r) => setTimeout(r, 50))
        input.write(keys)
      }
    })()

    const result = await init(base, { cwd: tree.root, env: {}, ask })
    await typing

    expect(result).toMatchObject({
      project: 'shop',
      domain: 'shop.example.com',
      imageRepository: 'shop',
      settingsModule: 'shop.settings',
    })
  })
})
