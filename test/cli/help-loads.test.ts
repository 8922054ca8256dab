import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

import { afterAll, describe, expect, it } from 'vitest'

import { tempTree } from '../support/tmp.js'

const tree = tempTree()
afterAll(() => tree.cleanup())

const HEAVY = /node_modules\/(aws-cdk-lib|@aws-cdk\/toolkit-lib|@aws-sdk\/client-)/

/** Runs the CLI from source, importing every command file, with the load recorder preloaded. */
function loadsOf(args: string[]): { status: number | null; stdout: string; loaded: string } {
  const log = tree.path(`loads-${args.join('-').replace(/\W+/g, '_')}.txt`)
  const run = spawnSync(
    process.execPath,
    ['--import', './test/support/record-loads.mjs', 'test/support/run-every-command.mjs', ...args],
    {
      env: { ...process.env, DJENV_LOAD_LOG: log },
      encoding: 'utf8',
      cwd: new URL('../..', import.meta.url).pathname,
      timeout: 60_000,
    },
  )
  return {
    status: run.status,
    stdout: run.stdout,
    loaded: readFileSync(log, 'utf8') + readFileSync(`${log}.cjs`, 'utf8'),
  }
}

describe('--help and --version', () => {
  it.each([[['--help']], [['init', '--help']], [['--version']]])(
    '%j loads no AWS or CDK code',
    (args) => {
      const { status, loaded } = loadsOf(args)

      expect(status).toBe(0)
      expect(loaded).toMatch(/src\/commands\/init\.ts/) // the recorder saw the command files
      expect(loaded).not.toMatch(HEAVY)
    },
  )

  it('init loads no AWS or CDK code either', () => {
    const { status, loaded } = loadsOf([
      'init',
      '--domain',
      'shop.example.com',
      '--hosted-zone-id',
      'Z0123456789ABCDEFGHIJ',
      '--yes',
      '--config',
      tree.path('djenv.yml'),
    ])

    expect(status).toBe(0)
    expect(loaded).toMatch(/src\/init\/init\.ts/)
    expect(loaded).not.toMatch(HEAVY)
  })

  it('the recorder does see an SDK client when one is loaded (positive control)', () => {
    const log = tree.path('control.txt')
    const run = spawnSync(
      process.execPath,
      ['--import', './test/support/record-loads.mjs', '-e', "require('@aws-sdk/client-sts')"],
      {
        env: { ...process.env, DJENV_LOAD_LOG: log },
        encoding: 'utf8',
        cwd: new URL('../..', import.meta.url).pathname,
      },
    )

    expect(run.status).toBe(0)
    expect(readFileSync(`${log}.cjs`, 'utf8')).toMatch(HEAVY)
  })
})
