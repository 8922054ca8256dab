import type { Readable, Writable } from 'node:stream'

import { DjenvError } from '../core/errors.js'

/** A question always names the flag that answers it when nobody can be asked. */
interface Question {
  message: string
  /** The flag (or flags) that answer this question non-interactively, e.g. `--yes`. */
  flag: string
}

/** The only way workflows ask a person something (style.md §6). */
export interface Asker {
  confirm(q: Question & { default?: boolean }): Promise<boolean>
  input(
    q: Question & { default?: string; validate?: (value: string) => true | string },
  ): Promise<string>
  select<T extends string>(
    q: Question & { choices: readonly { name: string; value: T }[] },
  ): Promise<T>
  /** A value typed without echo (a secret); it is never shown or logged. */
  password(q: Question): Promise<string>
}

export interface AskerOptions {
  interactive: boolean
  /** For tests: where prompts read keys and draw. Default: the process's stdin and stderr. */
  input?: Readable
  output?: Writable
}

/**
 * Prompts with @inquirer/prompts on a terminal; anywhere else every question fails with
 * INPUT_REQUIRED naming its flag, so CI never hangs on a prompt.
 */
export function createAsker(options: AskerOptions): Asker {
  if (!options.interactive) return nonInteractiveAsker
  const context = {
    input: options.input ?? process.stdin,
    output: options.output ?? process.stderr,
  }
  return {
    async confirm(q) {
      const { confirm } = await import('@inquirer/prompts')
      return confirm({ message: q.message, default: q.default ?? false }, context)
    },
    async input(q) {
      const { input } = await import('@inquirer/prompts')
      return input({ message: q.message, default: q.default, validate: q.validate }, context)
    },
    async select(q) {
      const { select } = await import('@inquirer/prompts')
      return select({ message: q.message, choices: q.choices.map((c) => ({ ...c })) }, context)
    },
    async password(q) {
      const { password } = await import('@inquirer/prompts')
      return password({ message: q.message, mask: '*' }, context)
    },
  }
}

export function inputRequired(q: Question): DjenvError {
  return new DjenvError(
    'INPUT_REQUIRED',
    `djenv needs an answer to "${q.message}" and cannot ask here (no terminal, CI or --json).`,
    `Pass ${q.flag}.`,
  )
}

const nonInteractiveAsker: Asker = {
  confirm: (q) => Promise.reject(inputRequired(q)),
  input: (q) => Promise.reject(inputRequired(q)),
  select: (q) => Promise.reject(inputRequired(q)),
  password: (q) => Promise.reject(inputRequired(q)),
}
