import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { secretNameProblem, type SecretSource } from '../config/environment.js'
import { mapAwsError } from '../aws/errors.js'
import { putSecureString } from '../aws/ssm.js'
import { envExists, openSecretTarget, type SecretTargetInput } from './target.js'
import {
  affectedEnvs,
  envsToRedeploy,
  restartInjecting,
  secretUses,
  type SecretServiceUse,
} from './usage.js'
import { readSecretValue, type ValueInput, type ValueSource } from './value.js'

export interface SecretSetInput extends SecretTargetInput {
  name: string
  value: ValueSource
  /** Start a new deployment of the services that inject it, so the value applies now. */
  restart: boolean
}

export interface SecretSetResult {
  env: string
  base: string
  name: string
  from: SecretSource
  parameter: string
  /** created: a new secret; updated: a new version of one. */
  outcome: 'created' | 'updated'
  version: number
  /** `aws/ssm` (the AWS managed key) or the configured key. */
  kmsKey: string
  /** The running services it reaches, whether they inject it, and whether they restarted. */
  services: SecretServiceUse[]
  /** Envs whose task definitions do not inject it yet: `djenv env create ENV` adds it. */
  redeploy: string[]
}

export type SecretSetDeps = Pick<Deps, 'cwd' | 'env' | 'ask' | 'report'> & { stdin: ValueInput }

/**
 * Stores a secret as an SSM SecureString (a new version when it exists). Every check runs
 * before the one write: name, then value size. The value is never logged or returned.
 */
export async function secretSet(
  input: SecretSetInput,
  deps: SecretSetDeps,
): Promise<SecretSetResult> {
  const target = await openSecretTarget(input, deps)
  const { project, names, from } = target
  const { aws, region, config } = project
  const problem = secretNameProblem(input.name, target.plain)
  if (problem) {
    throw new DjenvError(
      'NAME_INVALID',
      `Secret name "${input.name}" ${problem}; nothing was written.`,
      'Secret names are variable names such as STRIPE_API_KEY that djenv and the configuration do not set as plain values.',
    )
  }
  if (from === 'base' && input.name === 'SECRET_KEY') {
    throw new DjenvError(
      'USAGE',
      `SECRET_KEY is each env's own (djenv generates one per env), so a shared one would never be used.`,
      `Set it for one env: \`djenv secret set ${names.env} SECRET_KEY\`.`,
    )
  }
  // An ad hoc env may get its secrets before its first `env create` (which injects them), as
  // a production env does: say so, since a mistyped env name stores a secret nothing reads.
  const notCreated = from === 'env' && !(await envExists(target))

  const value = await readSecretValue(input.name, input.value, deps)
  const parameter = `${target.path}/${input.name}`
  const stored = await deps.report.step(`Store ${input.name} in ${parameter}`, () =>
    putSecureString(aws.ssm, parameter, value, region, config.secrets.kmsKey).catch(
      (err: unknown) => {
        throw explainPutError(err, parameter, config.secrets.kmsKey, region)
      },
    ),
  )

  if (notCreated) {
    deps.report.warn(
      `${names.env} has no stack yet (${names.appStack}): its first \`djenv env create ${names.env}\` injects ${input.name}. If the env name is mistyped, \`djenv secret unset ${names.env} ${input.name}\` removes it.`,
    )
  }
  const envs = await affectedEnvs(target)
  let services = await secretUses(aws, region, config, envs, parameter)
  if (input.restart && services.some((s) => s.injects)) {
    services = await deps.report.step(
      `Restart the services that read ${input.name}, with the same images`,
      () => restartInjecting(aws, region, envs, services),
    )
  }
  return {
    env: names.env,
    base: names.base,
    name: input.name,
    from,
    parameter,
    outcome: stored.version <= 1 ? 'created' : 'updated',
    version: stored.version,
    kmsKey: config.secrets.kmsKey ?? 'aws/ssm',
    services,
    redeploy: envsToRedeploy(services),
  }
}

/** What went wrong with a PutParameter, in terms of the secret and the configuration. */
function explainPutError(
  err: unknown,
  parameter: string,
  kmsKey: string | undefined,
  region: string,
): DjenvError {
  if (err instanceof DjenvError) return err
  const name = (err as { name?: string }).name ?? ''
  if (name === 'InvalidKeyId' || name.startsWith('KMS')) {
    return new DjenvError(
      'AWS_FAILED',
      `SSM could not encrypt ${parameter} with KMS key ${kmsKey ?? 'aws/ssm'} (${name}); nothing was written.`,
      kmsKey
        ? 'Check secrets.kmsKey in the configuration: the key must exist, be enabled, be in this region, and allow you kms:Encrypt and kms:GenerateDataKey.'
        : 'Check that your role may use the AWS managed key aws/ssm.',
      err,
    )
  }
  if (name === 'ParameterLimitExceeded') {
    return new DjenvError(
      'AWS_FAILED',
      `The account has reached its limit of SSM parameters in ${region}; ${parameter} was not written.`,
      'Delete unused parameters (`djenv secret unset`, `djenv env destroy` of old envs) or ask AWS for a higher quota.',
      err,
    )
  }
  if (name === 'ParameterMaxVersionLimitExceeded') {
    return new DjenvError(
      'AWS_FAILED',
      `${parameter} has 100 versions and the oldest has a label, so SSM keeps no new one; nothing was written.`,
      'Remove the label of its oldest version, or unset the secret and set it again (its history starts over).',
      err,
    )
  }
  return mapAwsError(err, { action: 'ssm:PutParameter', region })
}
