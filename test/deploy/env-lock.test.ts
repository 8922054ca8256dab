import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'

import { createAws } from '../../src/aws/clients.js'
import { envLockPath, lockHolder, withEnvLock, type EnvLock } from '../../src/deploy/env-lock.js'
import { parameterStore } from '../secrets/parameter-store.js'
import { fakeClock } from '../support/fake-clock.js'
import { recordingReporter } from '../support/recording-reporter.js'

const ssm = mockClient(SSMClient)
const names = { env: 'pr-42', envSsmRoot: '/djenv/shop/dev/envs/pr-42' }
const LOCK = '/djenv/shop/dev/envs/pr-42/lock'
const NOW = '2026-11-20T10:00:00.000Z'
const GITHUB = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_RUN_ID: '9001',
  GITHUB_RUN_ATTEMPT: '2',
}
const RUN_URL = 'https://github.com/acme/shop/actions/runs/9001/attempts/2'

let store: ReturnType<typeof parameterStore>['store']

function target(o: { expectedMs?: number } = {}) {
  const aws = createAws({ region: 'eu-west-1' })
  return { ssm: aws.ssm, region: 'eu-west-1', names, command: 'deploy-image', ...o }
}

function deps(env: NodeJS.ProcessEnv = GITHUB) {
  return { env, clock: fakeClock(NOW), report: recordingReporter() }
}

/** Another run's lock, taken `ageMinutes` before NOW. */
function givenLock(ageMinutes: number, extra: Partial<EnvLock> = {}): string {
  const since = new Date(Date.parse(NOW) - ageMinutes * 60_000).toISOString()
  const value = JSON.stringify({
    command: 'env create',
    holder: 'alice@laptop',
    pid: 4242,
    since,
    ...extra,
  })
  store.set(LOCK, { value, type: 'String', version: 1, modified: new Date(since) })
  return value
}

beforeEach(() => {
  ssm.reset()
  ssm.onAnyCommand().rejects(new Error('unexpected AWS call'))
  store = parameterStore(ssm, new Date(NOW)).store
})

describe('envLockPath', () => {
  it('is `lock` under the env SSM root', () => {
    expect(envLockPath(names)).toBe(LOCK)
  })
})

describe('lockHolder', () => {
  it('names the GitHub Actions run by its URL in a workflow', () => {
    expect(lockHolder(GITHUB)).toBe(RUN_URL)
    expect(lockHolder({ ...GITHUB, GITHUB_RUN_ATTEMPT: undefined })).toBe(
      'https://github.com/acme/shop/actions/runs/9001',
    )
  })

  it('is user@host elsewhere', () => {
    expect(lockHolder({ USER: 'alice' })).toMatch(/^alice@.+/)
  })
})

describe('withEnvLock', () => {
  it('claims the lock atomically, holds it during the work and deletes it after', async () => {
    let during: string | undefined

    const result = await withEnvLock(target(), deps(), async () => {
      during = store.get(LOCK)?.value
      return 'done'
    })

    expect(result).toBe('done')
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: LOCK,
      Type: 'String',
      Overwrite: false,
    })
    expect(JSON.parse(during ?? '{}')).toEqual({
      command: 'deploy-image',
      holder: RUN_URL,
      pid: process.pid,
      since: NOW,
      staleAfter: '2026-11-20T12:00:00.000Z',
    })
    expect(store.has(LOCK)).toBe(false)
  })

  it('releases the lock when the work fails, and rethrows its error', async () => {
    const failure = new Error('migration exploded')

    const run = withEnvLock(target(), deps(), async () => {
      throw failure
    })

    await expect(run).rejects.toBe(failure)
    expect(store.has(LOCK)).toBe(false)
  })

  it('refuses with ENV_LOCKED while another run holds it, naming the holder, without working', async () => {
    const theirs = givenLock(5)
    let worked = false

    const run = withEnvLock(target(), deps(), async () => {
      worked = true
    })

    await expect(run).rejects.toMatchObject({
      djenvCode: 'ENV_LOCKED',
      oclif: { exit: 1 },
      message: expect.stringContaining(
        'env create by alice@laptop (pid 4242) since 2026-11-20T09:55:00.000Z',
      ),
      hint: expect.stringContaining('`djenv env unlock pr-42`'),
    })
    expect(worked).toBe(false)
    expect(store.get(LOCK)?.value).toBe(theirs)
    expect(ssm).not.toHaveReceivedCommand(DeleteParameterCommand)
  })

  it('takes over a lock older than 2 hours, warning whose it was', async () => {
    givenLock(121)
    const d = deps()
    let during: string | undefined

    await withEnvLock(target(), d, async () => {
      during = store.get(LOCK)?.value
    })

    expect(JSON.parse(during ?? '{}')).toMatchObject({ holder: RUN_URL, since: NOW })
    expect(d.report.warnings).toEqual([
      expect.stringMatching(
        /^Taking over the lock of pr-42: env create by alice@laptop \(pid 4242\) since 2026-11-20T07:59:00.000Z went stale/,
      ),
    ])
    expect(store.has(LOCK)).toBe(false)
  })

  it("trusts the holder's own staleAfter, so a long run keeps its lock past 2 hours", async () => {
    givenLock(180, { staleAfter: '2026-11-20T11:00:00.000Z' })

    await expect(withEnvLock(target(), deps(), async () => undefined)).rejects.toMatchObject({
      djenvCode: 'ENV_LOCKED',
      hint: expect.stringContaining('from 2026-11-20T11:00:00.000Z on'),
    })
  })

  it('records a later staleAfter for a run with a long time bound', async () => {
    let during: string | undefined

    await withEnvLock(target({ expectedMs: 3 * 60 * 60_000 }), deps(), async () => {
      during = store.get(LOCK)?.value
    })

    expect(JSON.parse(during ?? '{}').staleAfter).toBe('2026-11-20T14:00:00.000Z')
  })

  it('reads a lock that is not JSON by its raw value and its modification time', async () => {
    store.set(LOCK, {
      value: 'bob did this by hand',
      type: 'String',
      version: 1,
      modified: new Date('2026-11-20T09:30:00.000Z'),
    })

    await expect(withEnvLock(target(), deps(), async () => undefined)).rejects.toMatchObject({
      djenvCode: 'ENV_LOCKED',
      message: expect.stringContaining(
        'an unknown command by bob did this by hand since 2026-11-20T09:30:00.000Z',
      ),
    })
  })

  it('claims again when the holder released the lock between the claim and the read', async () => {
    ssm
      .on(PutParameterCommand)
      .rejectsOnce(new ParameterAlreadyExists({ message: 'exists', $metadata: {} }))
      .resolves({ Version: 1 })
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }))

    const result = await withEnvLock(target(), deps(), async () => 'ran')

    expect(result).toBe('ran')
    expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 2)
  })

  it('leaves a lock another run took meanwhile (after `env unlock`), with a warning', async () => {
    const d = deps()
    let theirs = ''

    await withEnvLock(target(), d, async () => {
      store.delete(LOCK)
      theirs = givenLock(0)
    })

    expect(store.get(LOCK)?.value).toBe(theirs)
    expect(d.report.warnings).toEqual([
      expect.stringContaining("The lock of pr-42 is no longer this run's (now env create by alice"),
    ])
  })

  it('returns the result when the lock cannot be released, warning how to release it', async () => {
    ssm.on(DeleteParameterCommand).rejects(
      Object.assign(new Error('not authorized to perform: ssm:DeleteParameter'), {
        name: 'AccessDeniedException',
      }),
    )
    const d = deps()

    const result = await withEnvLock(target(), d, async () => 'deployed')

    expect(result).toBe('deployed')
    expect(store.has(LOCK)).toBe(true)
    expect(d.report.warnings).toEqual([
      expect.stringMatching(
        /^Could not release the lock of pr-42 .*release it with `djenv env unlock pr-42`/,
      ),
    ])
  })
})
