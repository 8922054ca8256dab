import { fileURLToPath } from 'node:url'

import { GetParametersByPathCommand } from '@aws-sdk/client-ssm'
import { beforeEach, describe, expect, it } from 'vitest'

import { DjenvError } from '../../src/core/errors.js'
import { envGc, selectExpired } from '../../src/deploy/env-gc.js'
import type { EnvDestroyInput } from '../../src/deploy/env-destroy.js'
import type { EnvRow } from '../../src/deploy/env-list.js'
import { envGcSummary } from '../../src/ui/render/env-gc.js'
import { createAsker } from '../../src/ui/ask.js'
import { awsMocks, stack } from '../support/aws-mocks.js'
import { fakeClock } from '../support/fake-clock.js'
import { recordingReporter } from '../support/recording-reporter.js'

const NOW = new Date('2026-11-20T10:00:00Z')
const row = (
  env: string,
  kind: 'adhoc' | 'prod',
  lastDeployAt: string,
  expiresAt: string | null,
): EnvRow => ({
  env,
  kind,
  base: kind === 'prod' ? env : 'dev',
  stack: `shop-dev-${env}`,
  status: 'UPDATE_COMPLETE',
  url: null,
  imageTag: null,
  createdAt: lastDeployAt,
  lastDeployAt,
  expiresAt,
  monthlyUsd: 0,
  baseShareUsd: null,
})

describe('selectExpired', () => {
  const rows = [
    row('pr-1', 'adhoc', '2026-11-01T10:00:00Z', '2026-11-08T10:00:00Z'), // TTL ran out
    row('pr-2', 'adhoc', '2026-11-19T10:00:00Z', '2026-11-26T10:00:00Z'), // fresh
    row('pr-3', 'adhoc', '2026-11-18T10:00:00Z', '2026-11-19T10:00:00Z'), // its own 1d TTL ran out
    row('prod', 'prod', '2026-01-01T10:00:00Z', null), // production: never
  ]

  it('picks ad hoc envs whose own TTL has run out, never production', () => {
    expect(selectExpired(rows, NOW).map((c) => c.env)).toEqual(['pr-1', 'pr-3'])
    expect(selectExpired(rows, NOW)[0]?.reason).toBe(
      'last deployed 19d ago; its TTL ran out 2026-11-08',
    )
  })

  it('applies --older-than to every ad hoc env instead of their TTL', () => {
    expect(selectExpired(rows, NOW, 36 * 3_600_000).map((c) => c.env)).toEqual(['pr-1', 'pr-3'])
    expect(selectExpired(rows, NOW, 12 * 3_600_000).map((c) => c.env)).toEqual([
      'pr-1',
      'pr-2',
      'pr-3',
    ])
  })
})

describe('envGc', () => {
  const aws = awsMocks()
  const cwd = fileURLToPath(new URL('../../examples/shop', import.meta.url))
  const deps = () => ({
    cwd,
    env: {},
    report: recordingReporter(),
    ask: createAsker({ interactive: false }),
    clock: fakeClock(NOW.toISOString()),
    signal: new AbortController().signal,
    terminal: { interactive: false, ci: true, stderrIsTTY: false, color: false },
  })
  const tags = (env: string, kind = 'adhoc') => ({
    'djenv:project': 'shop',
    'djenv:base': kind === 'prod' ? env : 'dev',
    'djenv:env': env,
    'djenv:kind': kind,
  })

  beforeEach(() => {
    aws.reset()
    aws.stacks([
      stack('shop-dev', 'UPDATE_COMPLETE', {
        tags: { 'djenv:project': 'shop', 'djenv:base': 'dev', 'djenv:kind': 'adhoc' },
      }),
      stack('shop-dev-pr-1', 'UPDATE_COMPLETE', {
        tags: tags('pr-1'),
        created: '2026-11-01T10:00:00Z',
      }),
      stack('shop-dev-pr-2', 'UPDATE_COMPLETE', {
        tags: tags('pr-2'),
        created: '2026-11-02T10:00:00Z',
      }),
      stack('shop-dev-pr-3', 'UPDATE_COMPLETE', {
        tags: tags('pr-3'),
        created: '2026-11-19T10:00:00Z',
      }),
      stack('shop-prod-app', 'UPDATE_COMPLETE', {
        tags: tags('prod', 'prod'),
        created: '2025-01-01T10:00:00Z',
      }),
    ])
    aws.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] })
  })

  it('lists what would go and why with --dry-run, destroying nothing', async () => {
    const destroyed: string[] = []

    const result = await envGc({ dryRun: true }, deps(), async (i) => {
      destroyed.push(i.name)
      throw new Error('must not run')
    })

    expect(result.expired.map((c) => c.env)).toEqual(['pr-1', 'pr-2'])
    expect(result).toMatchObject({ dryRun: true, destroyed: [], failed: [], kept: 1 })
    expect(destroyed).toEqual([])
    expect(envGcSummary(result)).toContain(
      '| pr-1 | dev | last deployed 19d ago; its TTL ran out 2026-11-08 | would destroy |',
    )
  })

  it('destroys each expired env with its database and files, and goes on after one fails', async () => {
    const asked: EnvDestroyInput[] = []

    const result = await envGc({ dryRun: false }, deps(), async (i) => {
      asked.push(i)
      if (i.name === 'pr-1')
        throw new DjenvError('STACK_BUSY', 'Stack shop-dev-pr-1 is UPDATE_IN_PROGRESS.')
      return {
        env: i.name,
        kind: 'adhoc',
        stack: `shop-dev-${i.name}`,
        outcome: 'destroyed',
        database: { name: 'x', dropped: true },
        files: { deleted: 0, kept: false },
        secrets: { deleted: 0, kept: false },
        taskDefinitionsDeregistered: 0,
        parametersDeleted: 0,
        durationMs: 0,
      }
    })

    expect(asked.map((i) => [i.name, i.yes, i.force, i.keepDatabase, i.keepFiles])).toEqual([
      ['pr-1', true, false, false, false],
      ['pr-2', true, false, false, false],
    ])
    expect(result.destroyed).toEqual(['pr-2'])
    expect(result.failed).toEqual([
      { env: 'pr-1', code: 'STACK_BUSY', message: 'Stack shop-dev-pr-1 is UPDATE_IN_PROGRESS.' },
    ])
  })

  it('refuses an --older-than that is not a duration (exit 2)', async () => {
    await expect(envGc({ dryRun: true, olderThan: 'a week' }, deps())).rejects.toMatchObject({
      djenvCode: 'USAGE',
      oclif: { exit: 2 },
    })
  })
})
