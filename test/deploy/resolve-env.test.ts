import { describe, expect, it } from 'vitest'

import { resolveEnvName } from '../../src/deploy/resolve-env.js'
import { createAsker } from '../../src/ui/ask.js'
import { scriptedAsker } from '../support/scripted-asker.js'

const tty = { interactive: true, ci: false, stderrIsTTY: true, color: false }
const ci = { ...tty, interactive: false, ci: true }
const list =
  (...envs: string[]) =>
  async () =>
    envs

describe('resolveEnvName', () => {
  it('takes the argument, then DJENV_ENV, then defaultEnv', async () => {
    const ask = createAsker({ interactive: false })

    expect(
      await resolveEnvName('pr-1', { defaultEnv: 'pr-3' }, list(), {
        env: { DJENV_ENV: 'pr-2' },
        ask,
        terminal: ci,
      }),
    ).toBe('pr-1')
    expect(
      await resolveEnvName(undefined, { defaultEnv: 'pr-3' }, list(), {
        env: { DJENV_ENV: 'pr-2' },
        ask,
        terminal: ci,
      }),
    ).toBe('pr-2')
    expect(
      await resolveEnvName(undefined, { defaultEnv: 'pr-3' }, list(), {
        env: {},
        ask,
        terminal: ci,
      }),
    ).toBe('pr-3')
  })

  it('off a terminal, names every way to give the env (exit 2)', async () => {
    const run = resolveEnvName(undefined, {}, list('pr-1', 'pr-2'), {
      env: {},
      ask: createAsker({ interactive: false }),
      terminal: ci,
    })

    await expect(run).rejects.toMatchObject({
      djenvCode: 'INPUT_REQUIRED',
      oclif: { exit: 2 },
      hint: expect.stringContaining('DJENV_ENV'),
    })
  })

  it('on a terminal, picks the only env or asks which', async () => {
    const ask = scriptedAsker({ 'Which environment?': 'pr-2' })

    expect(await resolveEnvName(undefined, {}, list('pr-1'), { env: {}, ask, terminal: tty })).toBe(
      'pr-1',
    )
    expect(
      await resolveEnvName(undefined, {}, list('pr-1', 'pr-2'), { env: {}, ask, terminal: tty }),
    ).toBe('pr-2')
    expect(ask.asked).toEqual(['Which environment?'])
  })
})
