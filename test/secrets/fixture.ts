import { fileURLToPath } from 'node:url'

import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs'

import type { Asker } from '../../src/ui/ask.js'
import { createAsker } from '../../src/ui/ask.js'
import { awsMocks, stack } from '../support/aws-mocks.js'
import { recordingReporter } from '../support/recording-reporter.js'
import { parameterStore } from './parameter-store.js'

/** The example project: shop, ad hoc base dev, production env prod, eu-west-1. */
export const SHOP = fileURLToPath(new URL('../../examples/shop', import.meta.url))
export const SHOP_CONFIG = `${SHOP}/djenv.yml`
export const SSM_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter'
/** A value no output may ever contain unless asked with --show. */
export const KNOWN_VALUE = 'sk_live_SENTINEL_4242_do_not_print'

export const aws = awsMocks()

export type Store = ReturnType<typeof parameterStore>

const adhocTags = (env: string) => ({
  'djenv:project': 'shop',
  'djenv:base': 'dev',
  'djenv:env': env,
  'djenv:kind': 'adhoc',
})

/**
 * Fresh mocks: the ad hoc envs given have stacks on base dev; each running service's task
 * definition injects the parameters listed for its env (as ECS valueFrom ARNs).
 */
export function given(o: { envs?: Record<string, string[]> } = {}): {
  store: Store
  restarts: UpdateServiceCommandInput[]
} {
  aws.reset()
  const store = parameterStore(aws.ssm)
  const envs = o.envs ?? {}
  aws.stacks(
    Object.keys(envs).map((env) =>
      stack(`shop-dev-${env}`, 'CREATE_COMPLETE', { tags: adhocTags(env) }),
    ),
  )
  aws.ecs.on(DescribeServicesCommand).callsFake((i: { cluster: string; services: string[] }) => {
    const env = Object.keys(envs).find((e) => i.cluster === `shop-dev-${e}`)
    if (env === undefined)
      return { services: [], failures: i.services.map((arn) => ({ arn, reason: 'MISSING' })) }
    return {
      services: i.services.map((name) => ({
        serviceName: name,
        status: 'ACTIVE',
        desiredCount: 1,
        runningCount: 1,
        taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-dev-${env}-${name}:7`,
      })),
    }
  })
  aws.ecs.on(DescribeTaskDefinitionCommand).callsFake((i: { taskDefinition: string }) => {
    const family = i.taskDefinition.split('/').pop()?.split(':')[0] ?? ''
    const service = family.split('-').pop() ?? ''
    const env = Object.keys(envs).find((e) => family === `shop-dev-${e}-${service}`) ?? ''
    return {
      taskDefinition: {
        family,
        containerDefinitions: [
          {
            name: service,
            secrets: (envs[env] ?? []).map((p) => ({
              name: p.split('/').pop(),
              valueFrom: `${SSM_ARN}${p}`,
            })),
          },
        ],
      },
    }
  })
  // No revisions are left for env destroy to deregister.
  aws.ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [] })
  const restarts: UpdateServiceCommandInput[] = []
  aws.ecs.on(UpdateServiceCommand).callsFake((i: UpdateServiceCommandInput) => {
    restarts.push(i)
    return {}
  })
  return { store, restarts }
}

/** Workflow dependencies: the example project, no terminal, stdin as given. */
export function deps(o: { stdin?: string; tty?: boolean; ask?: Asker } = {}) {
  return {
    cwd: SHOP,
    env: { AWS_REGION: 'eu-west-1' },
    report: recordingReporter(),
    ask: o.ask ?? createAsker({ interactive: false }),
    stdin: { isTTY: o.tty ?? false, read: async () => o.stdin ?? '' },
  }
}
