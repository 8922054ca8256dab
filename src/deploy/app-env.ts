import { configuredServices } from '../config/schema.js'
import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import { type EnvName } from '../config/names.js'
import { type EnvNames } from '../config/naming.js'
import { describeStack, listProjectStacks, type StackInfo } from '../aws/cloudformation.js'
import { logGroupArn } from '../aws/logs.js'
import { baseAttributesFromOutputs, type BaseAttributes } from '../infra/outputs.js'

import {
  openProject,
  type Project,
  type ProjectInput,
  projectEnv,
  requireAppStack,
} from './project.js'
import { resolveEnvName } from './resolve-env.js'

/** An env whose app stack exists, with what its outputs say about it. */
export interface AppEnv {
  project: Project
  env: EnvName
  names: EnvNames
  stack: StackInfo
  cluster: string
  /** The env's services (web, worker, beat: those it has). */
  services: string[]
  logGroup: string
  logGroupArn: string
}

export type AppEnvDeps = Pick<Deps, 'cwd' | 'env' | 'ask' | 'terminal'>

/**
 * Opens the project and the env a command means (the argument, DJENV_ENV, defaultEnv, or a
 * pick on a terminal), refusing an env whose app stack does not exist. Physical names come
 * from the stack's outputs, falling back to djenv's naming rules.
 */
export async function openAppEnv(
  input: ProjectInput & { name?: string },
  deps: AppEnvDeps,
): Promise<AppEnv> {
  const project = await openProject(input, deps)
  const { config, aws, region } = project
  const name = await resolveEnvName(
    input.name,
    config,
    async () =>
      (await listProjectStacks(aws.cfn, config.project, region))
        .map((s) => s.tags['djenv:env'])
        .filter((e): e is string => Boolean(e)),
    deps,
  )
  const { env, names } = projectEnv(config, name)
  const stack = await requireAppStack({ aws, region, config }, names)
  const services = (stack.outputs.ServiceNames ?? '').split(',').filter(Boolean)
  const logGroup = stack.outputs.LogGroupName || names.logGroup
  return {
    project,
    env,
    names,
    stack,
    cluster: stack.outputs.ClusterName || names.cluster,
    services: services.length ? services : configuredServices(config),
    logGroup,
    logGroupArn: logGroupArn(region, project.account, logGroup),
  }
}

/**
 * The attributes of the env's base (subnets, security group) from its outputs. Unlike
 * `requireBase`, a base that is being updated is fine: its outputs stay valid.
 */
export async function baseOf(app: AppEnv): Promise<BaseAttributes> {
  const { aws, region } = app.project
  const base = await describeStack(aws.cfn, app.names.baseStack, region)
  if (!base) {
    throw new DjenvError(
      'BASE_NOT_FOUND',
      `Base stack ${app.names.baseStack} of ${app.env.name} does not exist in ${region}.`,
      'Deploy it again with `djenv base deploy`, then recreate the env.',
    )
  }
  return baseAttributesFromOutputs(app.names.baseStack, base.outputs)
}
