import { describe, expect, it } from 'vitest'

import { DjenvError, EXIT_CODES, toDjenvError } from '../../src/core/errors.js'
import { detectTerminal } from '../../src/core/interactive.js'

describe('DjenvError', () => {
  it('carries its exit code from the one table and serializes for --json', () => {
    const error = new DjenvError(
      'STACK_BUSY',
      'Stack shop-dev-pr-42 is UPDATE_IN_PROGRESS.',
      'Wait, or pass --wait.',
    )

    expect(error.oclif.exit).toBe(1)
    expect(error.toJSON()).toEqual({
      code: 'STACK_BUSY',
      message: 'Stack shop-dev-pr-42 is UPDATE_IN_PROGRESS.',
      hint: 'Wait, or pass --wait.',
      exitCode: 1,
    })
  })

  it('uses only the documented exit codes', () => {
    expect(new Set(Object.values(EXIT_CODES))).toEqual(new Set([1, 2, 130]))
  })

  it('turns an unknown error into UNEXPECTED (exit 1) and keeps the cause', () => {
    const cause = new TypeError("Cannot read properties of undefined (reading 'x')")

    const error = toDjenvError(cause)

    expect(error).toMatchObject({ djenvCode: 'UNEXPECTED', oclif: { exit: 1 }, cause })
    expect(error.message).toBe(
      "Unexpected error: Cannot read properties of undefined (reading 'x')",
    )
  })

  it('turns a closed prompt (Ctrl-C) into INTERRUPTED (exit 130)', () => {
    const error = toDjenvError(
      Object.assign(new Error('User force closed the prompt'), { name: 'ExitPromptError' }),
    )

    expect(error).toMatchObject({ djenvCode: 'INTERRUPTED', oclif: { exit: 130 } })
  })
})

describe('detectTerminal', () => {
  const tty = { env: {}, stdinIsTTY: true, stderrIsTTY: true, json: false, noColor: false }

  it.each([
    ['a terminal', tty, true],
    ['CI=true', { ...tty, env: { CI: 'true' } }, false],
    ['no TTY on stdin', { ...tty, stdinIsTTY: false }, false],
    ['--json', { ...tty, json: true }, false],
  ])('asks questions only on %s', (_label, input, interactive) => {
    expect(detectTerminal(input).interactive).toBe(interactive)
  })

  it('treats CI=false as not CI, and honours NO_COLOR and --no-color', () => {
    expect(detectTerminal({ ...tty, env: { CI: 'false' } }).ci).toBe(false)
    expect(detectTerminal({ ...tty, env: { NO_COLOR: '1' } }).color).toBe(false)
    expect(detectTerminal({ ...tty, noColor: true }).color).toBe(false)
    expect(detectTerminal(tty).color).toBe(true)
  })
})
