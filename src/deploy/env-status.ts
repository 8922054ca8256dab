import type { Deps } from '../core/command.js'
import { type EnvKind } from '../config/names.js'
import { recentEvents, type StackEventInfo } from '../aws/cloudformation.js'
import { describeServices } from '../aws/ecs.js'
import { openProject, type ProjectInput, projectEnv, requireAppStack } from './project.js'

export interface EnvStatusResult {
  env: string
  kind: EnvKind
  stack: { name: string; status: string; statusReason: string | null; updatedAt: string | null }
  url: string | null
  services: {
    name: string
    state: string
    running: number
    desired: number
    pending: number
    deployment: { rolloutState: string | null; taskDefinition: string } | null
    lastEvent: string | null
  }[]
  events: StackEventInfo[]
}

export type EnvStatusDeps = Pick<Deps, 'cwd' | 'env'>

/** Stack state, services with running/desired counts and their rollout, recent events, URL. */
export async function envStatus(
  input: ProjectInput & { name: string },
  deps: EnvStatusDeps,
): Promise<EnvStatusResult> {
  const { config, aws, region } = await openProject(input, deps)
  const { env, names } = projectEnv(config, input.name)
  const stack = await requireAppStack({ aws, region, config }, names)
  const serviceNames = (stack.outputs.ServiceNames ?? '').split(',').filter(Boolean)
  const cluster = stack.outputs.ClusterName ?? names.cluster
  const services = await describeServices(aws.ecs, cluster, serviceNames, region)
  return {
    env: env.name,
    kind: env.kind,
    stack: {
      name: stack.name,
      status: stack.status,
      statusReason: stack.statusReason,
      updatedAt: stack.updatedAt,
    },
    url: stack.outputs.Url ?? null,
    services: services.map((s) => {
      const primary = s.deployments.find((d) => d.status === 'PRIMARY')
      return {
        name: s.name,
        state: s.state,
        running: s.running,
        desired: s.desired,
        pending: s.pending,
        deployment: primary
          ? { rolloutState: primary.rolloutState, taskDefinition: primary.taskDefinition }
          : null,
        lastEvent: s.events[0]?.message ?? null,
      }
    }),
    events: await recentEvents(aws.cfn, names.appStack, region, 8),
  }
}
