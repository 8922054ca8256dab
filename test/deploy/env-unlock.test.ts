import { DeleteParameterCommand } from '@aws-sdk/client-ssm'
import { beforeEach, describe, expect, it } from 'vitest'

import { envUnlock } from '../../src/deploy/env-unlock.js'
import { parameterStore } from '../secrets/parameter-store.js'
import { testDeps } from '../support/app-env.js'
import { awsMocks } from '../support/aws-mocks.js'
import { scriptedAsker } from '../support/scripted-asker.js'

const aws = awsMocks()
const LOCK = '/djenv/shop/prod/envs/app/lock'
let store: ReturnType<typeof parameterStore>['store']

beforeEach(() => {
  aws.reset()
  store = parameterStore(aws.ssm).store
  store.set(LOCK, {
    value: JSON.stringify({ command: 'env create', holder: 'bob@ci', pid: 7, since: 'x' }),
    type: 'String',
    version: 1,
    modified: new Date('2026-11-20T08:00:00.000Z'),
  })
})

describe('envUnlock', () => {
  it("asks on a terminal, naming the holder, and releases a production env's lock", async () => {
    const ask = scriptedAsker({ 'Release the lock of prod': true })

    const result = await envUnlock(
      { name: 'prod', yes: false },
      testDeps({ ask, interactive: true }),
    )

    expect(ask.asked).toEqual([expect.stringContaining('env create by bob@ci (pid 7)')])
    expect(result).toMatchObject({
      env: 'prod',
      parameter: LOCK,
      lock: { holder: 'bob@ci', since: '2026-11-20T08:00:00.000Z' },
    })
    expect(store.has(LOCK)).toBe(false)
  })

  it('leaves the lock when the answer is no', async () => {
    const ask = scriptedAsker({ 'Release the lock of prod': false })

    const run = envUnlock({ name: 'prod', yes: false }, testDeps({ ask, interactive: true }))

    await expect(run).rejects.toMatchObject({ djenvCode: 'CANCELLED', oclif: { exit: 1 } })
    expect(aws.ssm).not.toHaveReceivedCommand(DeleteParameterCommand)
    expect(store.has(LOCK)).toBe(true)
  })
})
