import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { EnvKind } from '../config/names.js'

/**
 * The gate before destroying anything. Ad hoc: a yes/no question, or --yes. Production:
 * --force, and the env's name typed at the prompt (or given as --confirm NAME off a terminal).
 */
export async function confirmDestroy(
  what: { kind: EnvKind; name: string; description: string },
  o: { yes: boolean; force: boolean; confirm?: string },
  deps: Pick<Deps, 'ask'>,
): Promise<void> {
  if (what.kind === 'prod') {
    if (!o.force) {
      throw new DjenvError(
        'USAGE',
        `${what.description} is production; destroying it needs --force.`,
        `Pass --force, and type the name "${what.name}" when asked (or --confirm ${what.name}).`,
      )
    }
    const typed =
      o.confirm ??
      (await deps.ask.input({
        message: `Type "${what.name}" to destroy ${what.description}`,
        flag: `--confirm ${what.name}`,
      }))
    if (typed.trim() !== what.name) {
      throw new DjenvError(
        'CANCELLED',
        `"${typed.trim()}" is not "${what.name}"; nothing was destroyed.`,
      )
    }
    return
  }
  if (o.yes) return
  const ok = await deps.ask.confirm({ message: `Destroy ${what.description}?`, flag: '--yes' })
  if (!ok) throw new DjenvError('CANCELLED', 'Nothing was destroyed.')
}
