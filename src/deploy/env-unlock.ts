import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { deleteParameter } from '../aws/ssm.js'
import { describeLock, envLockPath, readEnvLock, type EnvLock } from './env-lock.js'
import { openProject, type ProjectInput, projectEnv } from './project.js'

export interface EnvUnlockInput extends ProjectInput {
  name: string
  /** Release without asking (required off a terminal). */
  yes: boolean
}

export interface EnvUnlockResult {
  env: string
  /** The lock parameter, `/djenv/<project>/<base>/envs/<env>/lock`. */
  parameter: string
  /** The lock that was released; null when the env was not locked. */
  lock: EnvLock | null
}

export type EnvUnlockDeps = Pick<Deps, 'cwd' | 'env' | 'ask'>

/**
 * Releases an env's lock left by a run that is gone (a killed process, a cancelled CI job), so
 * the next deploy-image, env create or env destroy need not wait for it to go stale. Says whose
 * lock it was; an env that is not locked is not an error.
 */
export async function envUnlock(
  input: EnvUnlockInput,
  deps: EnvUnlockDeps,
): Promise<EnvUnlockResult> {
  const { config, aws, region } = await openProject(input, deps)
  const { env, names } = projectEnv(config, input.name)
  const parameter = envLockPath(names)

  const lock = await readEnvLock(aws.ssm, names, region)
  if (!lock) return { env: env.name, parameter, lock: null }

  if (!input.yes) {
    const ok = await deps.ask.confirm({
      message: `Release the lock of ${env.name} (${describeLock(lock)})? If that run is still going, nothing protects the env from a second one.`,
      flag: '--yes',
    })
    if (!ok) throw new DjenvError('CANCELLED', `The lock of ${env.name} was left in place.`)
  }
  await deleteParameter(aws.ssm, parameter, region)
  return { env: env.name, parameter, lock }
}
