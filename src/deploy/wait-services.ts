import type { Deps } from '../core/command.js'
import { DjenvError } from '../core/errors.js'
import type { Aws } from '../aws/clients.js'
import { describeServices, type ServiceInfo } from '../aws/ecs.js'

/**
 * Waits until every service runs as many tasks as desired with its rollout COMPLETED, showing
 * running/desired; a rollout that FAILED (circuit breaker) or the timeout ends it with the reason.
 */
export async function waitForServices(
  aws: Pick<Aws, 'ecs'>,
  region: string,
  cluster: string,
  names: readonly string[],
  o: { timeoutMs: number; everyMs?: number },
  deps: Pick<Deps, 'clock' | 'signal' | 'report'>,
): Promise<ServiceInfo[]> {
  return deps.report.step(`Wait for ${names.join(', ')} to be healthy`, async (step) => {
    const deadline = deps.clock.now().getTime() + o.timeoutMs
    for (;;) {
      const services = await describeServices(aws.ecs, cluster, names, region)
      step.detail(services.map((s) => `${s.name} ${s.running}/${s.desired}`).join('  '))
      const failed = services.find((s) =>
        s.deployments.some((d) => d.status === 'PRIMARY' && d.rolloutState === 'FAILED'),
      )
      if (failed) {
        throw new DjenvError(
          'DEPLOY_FAILED',
          `Service ${failed.name} failed to start: ${failed.events[0]?.message ?? 'its deployment rolled back'}.`,
          'Read the task logs (`djenv logs`), check the health check path and ALLOWED_HOSTS, and run again.',
        )
      }
      const done = services.every(
        (s) =>
          s.state === 'active' &&
          s.running === s.desired &&
          s.deployments.every(
            (d) =>
              d.status !== 'PRIMARY' || d.rolloutState === null || d.rolloutState === 'COMPLETED',
          ),
      )
      if (done) return services
      if (deps.clock.now().getTime() >= deadline) {
        const late = services
          .filter((s) => s.running !== s.desired)
          .map((s) => `${s.name} ${s.running}/${s.desired}`)
        throw new DjenvError(
          'DEPLOY_FAILED',
          `Services did not become healthy within ${Math.round(o.timeoutMs / 60_000)} minutes (${late.join(', ') || 'rollout not completed'}).`,
          'Check their events and logs; the env keeps running what it could start.',
        )
      }
      await deps.clock.sleep(o.everyMs ?? 10_000, deps.signal)
    }
  })
}
