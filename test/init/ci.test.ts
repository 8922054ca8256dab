import { copyFileSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'

import { parse } from 'yaml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { init } from '../../src/init/init.js'
import { createAsker } from '../../src/ui/ask.js'
import { MINIMAL_YAML, tempTree } from '../support/tmp.js'

const example = fileURLToPath(new URL('../../examples/shop/djenv.yml', import.meta.url))
const manifest = JSON.parse(
  readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8'),
) as {
  commands: Record<string, { flags: Record<string, { char?: string }> }>
}
const ask = createAsker({ interactive: false })
let tree: ReturnType<typeof tempTree>

beforeEach(() => {
  tree = tempTree()
})

afterEach(() => tree.cleanup())

interface Workflow {
  on: Record<string, unknown>
  permissions: Record<string, string>
  concurrency: { group: string; 'cancel-in-progress': boolean }
  env: Record<string, string>
  jobs: Record<string, { steps: { uses?: string; run?: string; with?: Record<string, string> }[] }>
}

/** Each `djenv …` invocation in the workflow's run steps, as words. */
function djenvCalls(wf: Workflow): string[][] {
  const runs = Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ''))
  return runs.flatMap((run) =>
    run
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('djenv '))
      .map((line) => line.split('>')[0]!.trim().split(/\s+/).slice(1)),
  )
}

/** The command id a call names, and the flags it passes: both must exist in the manifest. */
function checkAgainstManifest(words: string[]): void {
  let id = ''
  for (let n = Math.min(words.length, 3); n > 0; n--) {
    const candidate = words.slice(0, n).join(':')
    if (manifest.commands[candidate]) {
      id = candidate
      break
    }
  }
  expect(id, `no command for "djenv ${words.join(' ')}"`).not.toBe('')
  const flags = manifest.commands[id]!.flags
  for (const word of words.filter((w) => w.startsWith('--'))) {
    expect(Object.keys(flags), `djenv ${id.replace(/:/g, ' ')} has no ${word}`).toContain(
      word.slice(2).split('=')[0],
    )
  }
}

describe('djenv init --ci github', () => {
  it('adds the four workflows to a configured project, keeping its configuration', async () => {
    copyFileSync(example, tree.path('djenv.yml'))

    const result = await init(
      { yes: true, force: false, version: '0.1.0', ci: 'github' },
      { cwd: tree.root, env: {}, ask },
    )

    expect(result.overwritten).toBe('kept')
    expect(result.workflows.map((f) => basename(f))).toEqual([
      'djenv-preview.yml',
      'djenv-preview-closed.yml',
      'djenv-deploy.yml',
      'djenv-gc.yml',
    ])
    expect(readFileSync(tree.path('djenv.yml'), 'utf8')).toBe(readFileSync(example, 'utf8'))
  })

  it('writes valid workflows: OIDC, one concurrency group per env, a pinned djenv, commands that exist', async () => {
    copyFileSync(example, tree.path('djenv.yml'))
    const { workflows } = await init(
      { yes: true, force: false, version: '0.1.0', ci: 'github' },
      { cwd: tree.root, env: {}, ask },
    )

    for (const file of workflows) {
      const text = readFileSync(file, 'utf8')
      const wf = parse(text) as Workflow
      expect(text, file).not.toMatch(/\{\{\w+\}\}/) // every placeholder filled
      expect(text, file).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/) // no long-lived keys
      expect(wf.permissions['id-token'], file).toBe('write')
      expect(wf.env.DJENV_VERSION, file).toBe('0.1.0')
      expect(wf.concurrency['cancel-in-progress'], file).toBe(false)
      const steps = Object.values(wf.jobs).flatMap((j) => j.steps)
      expect(
        steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'))?.with?.[
          'aws-region'
        ],
        file,
      ).toBe('eu-west-1')
      for (const call of djenvCalls(wf)) checkAgainstManifest(call)
    }
    const preview = parse(readFileSync(workflows[0]!, 'utf8')) as Workflow
    expect(preview.concurrency.group).toBe('djenv-pr-${{ github.event.pull_request.number }}')
    expect(djenvCalls(preview).map((c) => c.slice(0, 2).join(' '))).toEqual([
      'env create',
      'deploy-image "$ENV_NAME"',
    ])
    const closed = parse(readFileSync(workflows[1]!, 'utf8')) as Workflow
    expect(closed.concurrency.group).toBe(preview.concurrency.group) // never at once with its preview
    const deploy = parse(readFileSync(workflows[2]!, 'utf8')) as Workflow
    expect(deploy.on).toEqual({ push: { branches: ['main'] } })
    expect(djenvCalls(deploy)).toEqual([
      ['deploy-image', 'prod', '"${{', 'github.sha', '}}"', '--yes'],
    ])
    const gc = parse(readFileSync(workflows[3]!, 'utf8')) as Workflow
    expect(Object.keys(gc.on)).toContain('schedule')
  })

  it('writes no production deploy when the project has no production env', async () => {
    tree.write('djenv.yml', MINIMAL_YAML)

    const { workflows } = await init(
      { yes: true, force: false, version: '0.1.0', ci: 'github' },
      { cwd: tree.root, env: {}, ask },
    )

    expect(workflows.map((f) => basename(f))).not.toContain('djenv-deploy.yml')
  })

  it('refuses to overwrite existing workflows without --force, writing none', async () => {
    tree.write('djenv.yml', MINIMAL_YAML)
    tree.write('.github/workflows/djenv-gc.yml', 'name: mine\n')

    await expect(
      init(
        { yes: true, force: false, version: '0.1.0', ci: 'github' },
        { cwd: tree.root, env: {}, ask },
      ),
    ).rejects.toMatchObject({
      djenvCode: 'FILE_EXISTS',
      hint: 'Pass --force to replace them.',
    })
    expect(readFileSync(tree.path('.github/workflows/djenv-gc.yml'), 'utf8')).toBe('name: mine\n')
    expect(() => readFileSync(tree.path('.github/workflows/djenv-preview.yml'))).toThrow()
  })
})
