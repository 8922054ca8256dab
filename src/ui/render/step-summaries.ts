import type { DeployImageResult } from '../../deploy/deploy-image.js'
import type { TaskRunResult } from '../../deploy/task-run.js'

/** GitHub step summary of `deploy-image`: env, image, outcome, one-off tasks, services, duration. */
export function deployImageSummary(r: DeployImageResult): string {
  const services = r.services.map((s) => `| ${s.name} | ${s.state} | ${s.running}/${s.desired} |`)
  return [
    `### djenv deploy-image ${r.env} ${r.tag}: ${r.outcome}`,
    '',
    `Image \`${r.image}\`${r.migration ? `; migrations exited ${r.migration.exitCode}` : ''}${r.collectstatic ? `; collectstatic exited ${r.collectstatic.exitCode}` : ''}; ${Math.round(r.durationMs / 1000)} s.`,
    '',
    ...(r.outcome === 'migration-failed' || r.outcome === 'collectstatic-failed'
      ? ['No service was updated: they still run the previous image.', '']
      : []),
    ...(services.length
      ? ['| service | rollout | running/desired |', '| --- | --- | --- |', ...services, '']
      : []),
  ].join('\n')
}

/** GitHub step summary of `migrate` and `run`. */
export function taskRunSummary(r: TaskRunResult, verb: 'migrate' | 'run'): string {
  const what = r.command ? `\`${r.command.join(' ')}\`` : 'migrations'
  const reason =
    r.exitCode !== 0 && (r.containerReason ?? r.stoppedReason)
      ? ` (${r.containerReason ?? r.stoppedReason})`
      : ''
  return [
    `### djenv ${verb} ${r.env}: exit ${r.exitCode}${reason}`,
    '',
    `${what} in task ${r.taskId}, image \`${r.image ?? 'unknown'}\`, ${Math.round(r.durationMs / 1000)} s; logs in ${r.logGroup}.`,
    '',
  ].join('\n')
}

/** GitHub step summary of any command that failed: what failed and how to fix it. */
export function failureSummary(
  command: string,
  error: { message: string; hint?: string; djenvCode: string },
): string {
  return [
    `### djenv ${command}: failed (${error.djenvCode})`,
    '',
    error.message,
    ...(error.hint ? ['', error.hint] : []),
    '',
  ].join('\n')
}
