import { PassThrough } from 'node:stream'

import { describe, expect, it } from 'vitest'

import { createAsker } from '../../src/ui/ask.js'
import { createReporter, LineReporter, ListrReporter } from '../../src/ui/reporter.js'

function capture() {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()))
  return { stream, text: () => text }
}

const clockFrom = (...isoTimes: string[]) => {
  let i = 0
  return () => new Date(isoTimes[Math.min(i++, isoTimes.length - 1)] as string)
}

describe('LineReporter', () => {
  it('prints a timestamped start, each new detail once, and the elapsed time', async () => {
    const out = capture()
    const reporter = new LineReporter(
      out.stream,
      clockFrom(
        '2026-01-01T10:00:00Z',
        '2026-01-01T10:00:00Z',
        '2026-01-01T10:00:01Z',
        '2026-01-01T10:00:02Z',
        '2026-01-01T10:00:03.5Z',
      ),
    )

    const result = await reporter.step('Synthesize shop-dev-pr-42', async (s) => {
      s.detail('1/3 CREATE_IN_PROGRESS')
      s.detail('1/3 CREATE_IN_PROGRESS')
      s.detail('2/3 CREATE_COMPLETE')
      return 42
    })

    expect(result).toBe(42)
    expect(out.text().split('\n')).toEqual([
      '10:00:00 > Synthesize shop-dev-pr-42',
      '10:00:01     1/3 CREATE_IN_PROGRESS',
      '10:00:02     2/3 CREATE_COMPLETE',
      '10:00:03 ✔ Synthesize shop-dev-pr-42 (3.5s)',
      '',
    ])
  })

  it('marks a failed step and rethrows its error', async () => {
    const out = capture()
    const reporter = new LineReporter(out.stream, () => new Date('2026-01-01T10:00:00Z'))

    await expect(
      reporter.step('Deploy', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom')
    expect(out.text()).toContain('✖ Deploy failed')
  })
})

describe('createReporter', () => {
  const terminal = { interactive: false, ci: false, stderrIsTTY: true, color: true }

  it.each([
    ['an interactive terminal', terminal, false, ListrReporter],
    ['CI', { ...terminal, ci: true }, false, LineReporter],
    ['a pipe', { ...terminal, stderrIsTTY: false }, false, LineReporter],
    ['--json', terminal, true, LineReporter],
  ])('picks the right reporter for %s', (_label, t, json, kind) => {
    expect(createReporter({ terminal: t, json, err: new PassThrough() })).toBeInstanceOf(kind)
  })
})

describe('createAsker off a terminal', () => {
  it('fails every question with INPUT_REQUIRED naming the flag that answers it', async () => {
    const ask = createAsker({ interactive: false })

    await expect(ask.confirm({ message: 'Destroy pr-42?', flag: '--yes' })).rejects.toMatchObject({
      djenvCode: 'INPUT_REQUIRED',
      oclif: { exit: 2 },
      hint: 'Pass --yes.',
    })
    await expect(
      ask.select({ message: 'Which env?', flag: '--env or DJENV_ENV', choices: [] }),
    ).rejects.toMatchObject({ hint: 'Pass --env or DJENV_ENV.' })
  })
})
