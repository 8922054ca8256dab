import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'

import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'

/** The most a standard-tier SSM parameter holds, in bytes (4 KB). */
export const STANDARD_TIER_BYTES = 4096
/** The most an advanced-tier parameter holds (8 KB); djenv writes standard ones only. */
export const ADVANCED_TIER_BYTES = 8192

/** Where `secret set` takes the value from. */
export type ValueSource =
  | { from: 'stdin' }
  | { from: 'file'; path: string }
  /** `NAME=VALUE` on the command line: allowed, with a warning (shell history). */
  | { from: 'argument'; value: string }

/** The process's standard input, as `secret set` reads it. */
export interface ValueInput {
  isTTY: boolean
  /** Everything until end of input. */
  read(): Promise<string>
}

/**
 * The value to store. Piped input and files lose one trailing line break (what `echo` and
 * editors add); on a terminal the value is typed without echo.
 */
export async function readSecretValue(
  name: string,
  source: ValueSource,
  deps: Pick<Deps, 'ask' | 'cwd' | 'report'> & { stdin: ValueInput },
): Promise<string> {
  let value: string
  if (source.from === 'argument') {
    deps.report.warn(
      `The value of ${name} was given on the command line, where shell history and process listings keep it; prefer stdin or --from-file.`,
    )
    value = source.value
  } else if (source.from === 'file') {
    const file = resolve(deps.cwd, source.path)
    try {
      value = withoutFinalNewline(await readFile(file, 'utf8'))
    } catch (err) {
      throw new DjenvError(
        'IO_FAILED',
        `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`,
        'Check the --from-file path.',
        err,
      )
    }
  } else if (deps.stdin.isTTY) {
    value = await deps.ask.password({
      message: `Value of ${name}`,
      flag: '--from-file FILE, or the value on stdin',
    })
  } else {
    value = withoutFinalNewline(await deps.stdin.read())
  }
  checkValue(name, value)
  return value
}

/** Refuses an empty value and one over the standard tier's 4 KB, saying what would hold it. */
export function checkValue(name: string, value: string): void {
  if (value.length === 0) {
    throw new DjenvError(
      'SECRET_INVALID',
      `The value of ${name} is empty; nothing was written.`,
      'Pipe the value on stdin (`printf %s "$VALUE" | djenv secret set ENV NAME`) or pass --from-file FILE.',
    )
  }
  const bytes = Buffer.byteLength(value, 'utf8')
  if (bytes > STANDARD_TIER_BYTES) {
    throw new DjenvError(
      'SECRET_INVALID',
      `The value of ${name} is ${bytes} bytes; an SSM standard parameter holds at most ${STANDARD_TIER_BYTES}. Nothing was written.`,
      bytes <= ADVANCED_TIER_BYTES
        ? `It would need the advanced tier (up to ${ADVANCED_TIER_BYTES} bytes, charged per parameter and month), which djenv does not use: store the value in S3 and keep its location in the secret.`
        : `Even the advanced tier holds at most ${ADVANCED_TIER_BYTES} bytes: store the value in S3 and keep its location in the secret.`,
    )
  }
}

function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '')
}

/** Reads a stream to its end as UTF-8 (the command's stdin). */
export async function readStream(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}
