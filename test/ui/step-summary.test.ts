import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { GetParametersByPathCommand } from '@aws-sdk/client-ssm'
import { runCommand } from '@oclif/test'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { deployImageSummary, taskRunSummary } from '../../src/ui/render/step-summaries.js'
import { appendStepSummary } from '../../src/ui/step-summary.js'
import { awsMocks, stack } from '../support/aws-mocks.js'
import { tempTree } from '../support/tmp.js'

const aws = awsMocks()
const config = fileURLToPath(new URL('../../examples/shop/djenv.yml', import.meta.url))
let tree: ReturnType<typeof tempTree>

beforeEach(() => {
  tree = tempTree()
  aws.reset()
})

afterEach(() => {
  delete process.env.GITHUB_STEP_SUMMARY
  tree.cleanup()
})

describe('appendStepSummary', () => {
  it('appends Markdown only inside GitHub Actions', () => {
    const file = tree.path('summary.md')

    expect(appendStepSummary({}, '# nothing')).toBe(false)
    expect(appendStepSummary({ GITHUB_STEP_SUMMARY: file }, '### one')).toBe(true)
    expect(appendStepSummary({ GITHUB_STEP_SUMMARY: file }, '### two\n')).toBe(true)

    expect(readFileSync(file, 'utf8')).toBe('### one\n### two\n')
  })
})

describe('step summaries of commands', () => {
  it('env gc --dry-run writes what it would destroy and why', async () => {
    process.env.GITHUB_STEP_SUMMARY = tree.path('summary.md')
    aws.stacks([
      stack('shop-dev-pr-1', 'UPDATE_COMPLETE', {
        tags: {
          'djenv:project': 'shop',
          'djenv:base': 'dev',
          'djenv:env': 'pr-1',
          'djenv:kind': 'adhoc',
        },
        created: '2020-01-01T00:00:00Z',
      }),
    ])
    aws.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] })

    const { error } = await runCommand(['env', 'gc', '--dry-run', '--config', config, '--json'])

    expect(error).toBeUndefined()
    const summary = readFileSync(tree.path('summary.md'), 'utf8')
    expect(summary).toContain('### djenv env gc (dry run)')
    expect(summary).toMatch(
      /\| pr-1 \| dev \| last deployed \d+d ago; its TTL ran out 2020-01-08 \| would destroy \|/,
    )
  })

  it('a failed command says what failed and how to fix it', async () => {
    process.env.GITHUB_STEP_SUMMARY = tree.path('summary.md')
    aws.stacks([])

    const { error } = await runCommand(['env', 'status', 'pr-9', '--config', config, '--json'])

    expect(error?.oclif?.exit).toBe(1)
    expect(readFileSync(tree.path('summary.md'), 'utf8')).toBe(
      '### djenv env status: failed (ENV_NOT_FOUND)\n\nNo environment pr-9 in project shop (eu-west-1): stack shop-dev-pr-9 does not exist.\n\nCreate it with `djenv env create pr-9`, or list envs with `djenv env list`.\n',
    )
  })

  it('renders deploy-image and migrate results with env, image and outcome', () => {
    const deploy = deployImageSummary({
      env: 'pr-42',
      kind: 'adhoc',
      tag: 'abc1234',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:abc1234',
      outcome: 'completed',
      exitCode: 0,
      taskDefinitions: [],
      migration: { taskArn: 'arn', exitCode: 0, durationMs: 41_000 },
      services: [
        { name: 'web', state: 'completed', taskDefinition: 'td:4', running: 1, desired: 1 },
      ],
      recorded: true,
      durations: { registerMs: 1, migrateMs: 41_000, rolloutMs: 80_000 },
      durationMs: 125_000,
    } as never)

    expect(deploy).toBe(
      '### djenv deploy-image pr-42 abc1234: completed\n\nImage `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:abc1234`; migrations exited 0; 125 s.\n\n| service | rollout | running/desired |\n| --- | --- | --- |\n| web | completed | 1/1 |\n',
    )
    const migrate = taskRunSummary(
      {
        env: 'pr-42',
        taskId: 't1',
        image: 'shop:abc',
        command: null,
        exitCode: 3,
        containerReason: null,
        stoppedReason: 'Essential container in task exited',
        logGroup: '/djenv/shop/dev/pr-42',
        durationMs: 9_000,
      } as never,
      'migrate',
    )
    expect(migrate).toContain(
      '### djenv migrate pr-42: exit 3 (Essential container in task exited)',
    )
  })
})
