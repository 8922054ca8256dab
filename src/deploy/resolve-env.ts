import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { ConfigData } from '../config/schema.js'

/**
 * Which env a command means when the user may leave it out (`djenv exec shell`): the
 * argument, then DJENV_ENV, then `defaultEnv` from the configuration; on a terminal, a pick
 * from the project's envs; elsewhere an error naming the ways to say it.
 */
export async function resolveEnvName(
  given: string | undefined,
  config: Pick<ConfigData, 'defaultEnv'>,
  listEnvs: () => Promise<string[]>,
  deps: Pick<Deps, 'env' | 'ask' | 'terminal'>,
): Promise<string> {
  const named = given ?? (deps.env.DJENV_ENV || undefined) ?? config.defaultEnv
  if (named) return named
  if (!deps.terminal.interactive) {
    throw new DjenvError(
      'INPUT_REQUIRED',
      'No environment named.',
      'Pass the env name (e.g. pr-42), set DJENV_ENV, or set defaultEnv in the configuration.',
    )
  }
  const envs = await listEnvs()
  if (envs.length === 0) {
    throw new DjenvError(
      'ENV_NOT_FOUND',
      'The project has no environments yet.',
      'Create one with `djenv env create NAME`.',
    )
  }
  if (envs.length === 1) return envs[0] as string
  return deps.ask.select({
    message: 'Which environment?',
    flag: 'the env name, DJENV_ENV or defaultEnv',
    choices: envs.map((name) => ({ name, value: name })),
  })
}
