import { DjenvError } from '../core/errors.js'
import type { Aws } from '../aws/clients.js'
import type { BaseAttributes } from '../infra/outputs.js'
import type { StepContext } from '../ui/reporter.js'
import { runToCompletion, type OneOffDeps } from './one-off-task.js'

/** Database names djenv builds are `[a-z][a-z0-9_]*` (env names with `-` → `_`): no quoting issues. */
const SAFE = /^[a-z][a-z0-9_]{0,62}$/

/**
 * The shell commands the base's db-admin task (the official PostgreSQL image, master
 * credentials in PG* variables) runs. CREATE DATABASE cannot run in a transaction, so it is
 * sent alone; every psql stops at the first error; repeats are no-ops.
 */
export function databaseCommand(action: 'create' | 'drop', database: string): string[] {
  if (!SAFE.test(database))
    throw new DjenvError('NAME_INVALID', `"${database}" is not a database name djenv creates.`)
  const psql = 'psql -v ON_ERROR_STOP=1 -d postgres'
  const script =
    action === 'create'
      ? `exists=$(${psql} -tAc "SELECT 1 FROM pg_database WHERE datname = '${database}'") || exit $?; ` +
        `if [ "$exists" = 1 ]; then echo "database ${database} exists"; else ${psql} -c 'CREATE DATABASE "${database}"'; fi`
      : `${psql} -c 'DROP DATABASE IF EXISTS "${database}" WITH (FORCE)'`
  return ['sh', '-c', script]
}

/** Creates or drops an env's database on the base's shared PostgreSQL, through the db-admin task. */
export async function manageDatabase(
  action: 'create' | 'drop',
  database: string,
  base: BaseAttributes,
  aws: Pick<Aws, 'ecs'>,
  region: string,
  step: StepContext,
  deps: OneOffDeps,
): Promise<void> {
  const outcome = await runToCompletion(
    aws,
    region,
    {
      cluster: base.opsClusterName,
      taskDefinition: base.dbAdminTaskFamily,
      container: base.dbAdminContainerName,
      command: databaseCommand(action, database),
      subnets: base.privateSubnetIds,
      securityGroups: [base.appSecurityGroupId],
      startedBy: 'djenv',
    },
    step,
    deps,
  )
  if (outcome.exitCode !== 0) {
    const id = outcome.taskArn.split('/').pop()
    throw new DjenvError(
      'TASK_FAILED',
      `Could not ${action} database ${database}: psql exited ${outcome.exitCode} in task ${id}.`,
      `Read its output in the log group of the base's ops cluster (${base.opsClusterName}).`,
    )
  }
}
