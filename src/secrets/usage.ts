import { configuredServices } from '../config/schema.js'
import type { EnvNames } from '../config/naming.js'
import type { Aws } from '../aws/clients.js'
import { envStacksOn, listProjectStacks } from '../aws/cloudformation.js'
import { describeServices } from '../aws/ecs.js'
import { mapAwsError } from '../aws/errors.js'
import { envNames } from '../config/naming.js'
import type { ConfigData } from '../config/schema.js'

import type { SecretTarget } from './target.js'

/** Whether one running service of an env reads a secret's parameter, and what djenv did. */
export interface SecretServiceUse {
  env: string
  service: string
  /** Its task definition injects this parameter: a new task reads the stored value. */
  injects: boolean
  /** A new deployment was started with the same task definition (`--restart`). */
  restarted: boolean
}

/**
 * The envs a secret reaches: the env itself, or for the base's shared set every ad hoc env
 * deployed on that base.
 */
export async function affectedEnvs(target: SecretTarget): Promise<EnvNames[]> {
  const { project, names, from } = target
  if (from === 'env') return [names]
  const stacks = await listProjectStacks(project.aws.cfn, project.config.project, project.region)
  return envStacksOn(stacks, names.base)
    .filter((s) => s.tags['djenv:kind'] === 'adhoc')
    .map((s) => envNames(project.config, { name: s.tags['djenv:env'] as string, kind: 'adhoc' }))
}

/**
 * Which of the envs' services inject `parameter`: read from the task definition each active
 * service runs (ECS resolves secrets from it when a task starts). A secret that is new to an
 * env, or newly overrides the base's, is injected only after the next `env create`.
 */
export async function secretUses(
  aws: Aws,
  region: string,
  config: ConfigData,
  envs: readonly EnvNames[],
  parameter: string,
): Promise<SecretServiceUse[]> {
  const uses: SecretServiceUse[] = []
  for (const names of envs) {
    for (const svc of await describeServices(
      aws.ecs,
      names.cluster,
      configuredServices(config),
      region,
    )) {
      if (svc.state !== 'active' || !svc.taskDefinition) continue
      const out = await aws.ecs
        .describeTaskDefinition({ taskDefinition: svc.taskDefinition })
        .catch((err: unknown) => {
          throw mapAwsError(err, { action: 'ecs:DescribeTaskDefinition', region })
        })
      const container = out.taskDefinition?.containerDefinitions?.find((c) => c.name === svc.name)
      const injects = (container?.secrets ?? []).some((s) => refersTo(s.valueFrom, parameter))
      uses.push({ env: names.env, service: svc.name, injects, restarted: false })
    }
  }
  return uses
}

/** `valueFrom` names an SSM parameter by ARN (`…:parameter/a/b`) or, in-region, by name. */
function refersTo(valueFrom: string | undefined, parameter: string): boolean {
  if (!valueFrom) return false
  return valueFrom === parameter || valueFrom.endsWith(`:parameter${parameter}`)
}

/**
 * Starts a new deployment, with the same task definition and so the same images, of every
 * service that injects the secret: ECS then starts tasks that read the new value.
 */
export async function restartInjecting(
  aws: Aws,
  region: string,
  envs: readonly EnvNames[],
  uses: SecretServiceUse[],
): Promise<SecretServiceUse[]> {
  const restarted: SecretServiceUse[] = []
  for (const use of uses) {
    const names = envs.find((n) => n.env === use.env)
    if (!use.injects || !names) {
      restarted.push(use)
      continue
    }
    await aws.ecs
      .updateService({ cluster: names.cluster, service: use.service, forceNewDeployment: true })
      .catch((err: unknown) => {
        throw mapAwsError(err, { action: `ecs:UpdateService (${use.service})`, region })
      })
    restarted.push({ ...use, restarted: true })
  }
  return restarted
}

/** Envs with a running service that does not inject the secret yet: `env create` adds it. */
export function envsToRedeploy(uses: readonly SecretServiceUse[]): string[] {
  return [...new Set(uses.filter((u) => !u.injects).map((u) => u.env))].sort()
}
