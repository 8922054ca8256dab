import { fileURLToPath } from 'node:url'

import { DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation'
import { beforeEach, describe, expect, it } from 'vitest'

import { createAws } from '../../src/aws/clients.js'
import { describeStack, stackState } from '../../src/aws/cloudformation.js'
import { loadConfig } from '../../src/config/load.js'
import { envNames } from '../../src/config/naming.js'
import { confirmDestroy } from '../../src/deploy/confirm.js'
import { databaseCommand } from '../../src/deploy/database.js'
import { checkStackUsable, requireBase } from '../../src/deploy/stack-checks.js'
import { createAsker } from '../../src/ui/ask.js'
import { awsMocks, stack } from '../support/aws-mocks.js'
import { fakeClock } from '../support/fake-clock.js'
import { recordingReporter } from '../support/recording-reporter.js'
import { scriptedAsker } from '../support/scripted-asker.js'

const aws = awsMocks()
const config = (
  await loadConfig({ cwd: fileURLToPath(new URL('../../examples/shop', import.meta.url)) })
).data
const names = envNames(config, { name: 'pr-42', kind: 'adhoc' })
const project = { aws: createAws({ region: 'eu-west-1' }), region: 'eu-west-1' }
const nobody = createAsker({ interactive: false })
const deps = (ask = nobody) => ({
  ask,
  clock: fakeClock(),
  signal: new AbortController().signal,
  report: recordingReporter(),
})

beforeEach(() => aws.reset())

describe('stackState', () => {
  it.each([
    ['CREATE_COMPLETE', 'stable'],
    ['UPDATE_ROLLBACK_COMPLETE', 'stable'],
    ['UPDATE_IN_PROGRESS', 'busy'],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'busy'],
    ['ROLLBACK_COMPLETE', 'failed-create'],
    ['ROLLBACK_FAILED', 'failed-create'],
    ['UPDATE_ROLLBACK_FAILED', 'update-rollback-failed'],
    ['DELETE_FAILED', 'delete-failed'],
    ['UPDATE_FAILED', 'failed'],
    ['REVIEW_IN_PROGRESS', 'never-created'],
  ])('%s is %s', (status, state) => {
    expect(stackState(status)).toBe(state)
  })
})

describe('describeStack', () => {
  it('reads CloudFormation\'s untyped ValidationError as "no stack"', async () => {
    aws.stacks([])

    expect(await describeStack(project.aws.cfn, 'shop-dev-pr-42', 'eu-west-1')).toBeUndefined()
  })
})

describe('requireBase', () => {
  it('names the command that creates a missing base', async () => {
    aws.stacks([])

    await expect(requireBase(project.aws.cfn, names, 'eu-west-1')).rejects.toMatchObject({
      djenvCode: 'BASE_NOT_FOUND',
      hint: 'Create it first with `djenv base deploy dev`.',
    })
  })

  it('refuses a base that is busy', async () => {
    aws.stacks([stack('shop-dev', 'UPDATE_IN_PROGRESS')])

    await expect(requireBase(project.aws.cfn, names, 'eu-west-1')).rejects.toMatchObject({
      djenvCode: 'STACK_BUSY',
    })
  })
})

describe('checkStackUsable', () => {
  it('treats a stack that only ever had a change set (REVIEW_IN_PROGRESS) as absent, not busy', async () => {
    expect(
      await checkStackUsable(
        stack2('REVIEW_IN_PROGRESS'),
        names,
        { wait: false, yes: false, action: 'create' },
        project,
        deps(),
      ),
    ).toBeUndefined()
  })

  it('refuses a busy stack without --wait, saying how to wait or watch', async () => {
    const busy = await describeOnce('UPDATE_IN_PROGRESS')

    await expect(
      checkStackUsable(busy, names, { wait: false, yes: true, action: 'create' }, project, deps()),
    ).rejects.toMatchObject({
      djenvCode: 'STACK_BUSY',
      oclif: { exit: 1 },
      hint: expect.stringContaining('--wait'),
    })
  })

  it('waits with --wait until the other operation has finished', async () => {
    const statuses = ['UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']
    aws.cfn.on(DescribeStacksCommand).callsFake(() => ({
      Stacks: [stack('shop-dev-pr-42', statuses.shift() ?? 'UPDATE_COMPLETE')],
    }))
    const d = deps()

    const after = await checkStackUsable(
      stack2('UPDATE_IN_PROGRESS'),
      names,
      { wait: true, yes: true, action: 'create' },
      project,
      d,
    )

    expect(after?.status).toBe('UPDATE_COMPLETE')
    expect(d.report.steps).toEqual(['Wait for shop-dev-pr-42 (UPDATE_IN_PROGRESS)'])
  })

  it('explains a failed creation and recreates only when confirmed', async () => {
    const failed = {
      ...stack2('ROLLBACK_COMPLETE'),
      statusReason: 'The following resource(s) failed to create: [WebService]',
    }

    await expect(
      checkStackUsable(
        failed,
        names,
        { wait: false, yes: false, action: 'create' },
        project,
        deps(),
      ),
    ).rejects.toMatchObject({
      djenvCode: 'INPUT_REQUIRED',
      message: expect.stringContaining(
        'its creation failed (The following resource(s) failed to create: [WebService])',
      ),
      hint: 'Pass --yes.',
    })
    const ask = scriptedAsker({ 'Delete it and create it again?': false })
    await expect(
      checkStackUsable(
        failed,
        names,
        { wait: false, yes: false, action: 'create' },
        project,
        deps(ask),
      ),
    ).rejects.toMatchObject({ djenvCode: 'CANCELLED' })
    expect(
      await checkStackUsable(
        failed,
        names,
        { wait: false, yes: true, action: 'create' },
        project,
        deps(),
      ),
    ).toBe(failed)
  })

  it('shows what blocked a DELETE_FAILED stack', async () => {
    aws.cfn.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        {
          LogicalResourceId: 'Cluster',
          ResourceType: 'AWS::ECS::Cluster',
          ResourceStatus: 'DELETE_FAILED',
          ResourceStatusReason: 'The Cluster cannot be deleted while Services are active.',
          LastUpdatedTimestamp: new Date(),
        },
        {
          LogicalResourceId: 'LogGroup',
          ResourceType: 'AWS::Logs::LogGroup',
          ResourceStatus: 'DELETE_COMPLETE',
          LastUpdatedTimestamp: new Date(),
        },
      ],
    })

    await expect(
      checkStackUsable(
        stack2('DELETE_FAILED'),
        names,
        { wait: false, yes: true, action: 'destroy' },
        project,
        deps(),
      ),
    ).rejects.toMatchObject({
      djenvCode: 'STACK_FAILED',
      message:
        'Stack shop-dev-pr-42 is DELETE_FAILED; blocked by Cluster (AWS::ECS::Cluster): The Cluster cannot be deleted while Services are active..',
      hint: expect.stringContaining('djenv env destroy pr-42'),
    })
  })
})

describe('confirmDestroy', () => {
  it('asks yes/no for an ad hoc env, or takes --yes', async () => {
    await expect(
      confirmDestroy(
        { kind: 'adhoc', name: 'pr-42', description: 'pr-42' },
        { yes: false, force: false },
        { ask: nobody },
      ),
    ).rejects.toMatchObject({ djenvCode: 'INPUT_REQUIRED', hint: 'Pass --yes.' })
    await expect(
      confirmDestroy(
        { kind: 'adhoc', name: 'pr-42', description: 'pr-42' },
        { yes: true, force: false },
        { ask: nobody },
      ),
    ).resolves.toBeUndefined()
  })

  it('needs --force and the typed name for production, --yes is not enough', async () => {
    const prod = { kind: 'prod' as const, name: 'prod', description: 'environment prod' }

    await expect(
      confirmDestroy(prod, { yes: true, force: false }, { ask: nobody }),
    ).rejects.toMatchObject({ djenvCode: 'USAGE', oclif: { exit: 2 } })
    await expect(
      confirmDestroy(prod, { yes: true, force: true }, { ask: nobody }),
    ).rejects.toMatchObject({ djenvCode: 'INPUT_REQUIRED', hint: 'Pass --confirm prod.' })
    await expect(
      confirmDestroy(prod, { yes: true, force: true, confirm: 'prd' }, { ask: nobody }),
    ).rejects.toMatchObject({ djenvCode: 'CANCELLED' })
    await expect(
      confirmDestroy(prod, { yes: false, force: true, confirm: 'prod' }, { ask: nobody }),
    ).resolves.toBeUndefined()
    await expect(
      confirmDestroy(
        prod,
        { yes: false, force: true },
        { ask: scriptedAsker({ 'Type "prod"': 'prod' }) },
      ),
    ).resolves.toBeUndefined()
  })
})

describe('databaseCommand', () => {
  it('creates a database only when missing, each psql stopping at the first error', () => {
    const [sh, flag, script] = databaseCommand('create', 'pr_42')

    expect([sh, flag]).toEqual(['sh', '-c'])
    expect(script).toContain(
      `psql -v ON_ERROR_STOP=1 -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'pr_42'") || exit $?`,
    )
    expect(script).toContain(`psql -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE "pr_42"'`)
  })

  it('drops with FORCE, ending stray sessions', () => {
    expect(databaseCommand('drop', 'pr_42')[2]).toBe(
      `psql -v ON_ERROR_STOP=1 -d postgres -c 'DROP DATABASE IF EXISTS "pr_42" WITH (FORCE)'`,
    )
  })

  it('refuses a name that could break out of the SQL', () => {
    expect(() => databaseCommand('drop', `x"; DROP TABLE users; --`)).toThrow(/not a database name/)
  })
})

function stack2(status: string) {
  return {
    name: 'shop-dev-pr-42',
    id: 'arn',
    status,
    statusReason: null,
    outputs: {},
    tags: {},
    createdAt: '',
    updatedAt: null,
    terminationProtection: false,
  }
}

async function describeOnce(status: string) {
  aws.stacks([stack('shop-dev-pr-42', status)])
  return describeStack(project.aws.cfn, 'shop-dev-pr-42', 'eu-west-1')
}
