import { DeleteParameterCommand } from '@aws-sdk/client-ssm'
import { runCommand } from '@oclif/test'
import { beforeEach, describe, expect, it } from 'vitest'

import { parameterStore } from '../secrets/parameter-store.js'
import { SHOP_CONFIG } from '../support/app-env.js'
import { awsMocks } from '../support/aws-mocks.js'

// oclif imports commands natively, outside vitest's module graph: these run the real workflow
// over class-level SDK mocks. Tests run without a terminal.
const aws = awsMocks()
const LOCK = '/djenv/shop/dev/envs/pr-42/lock'
const HELD = {
  command: 'deploy-image',
  holder: 'alice@laptop',
  pid: 4242,
  since: '2026-11-20T09:55:00.000Z',
  staleAfter: '2026-11-20T11:55:00.000Z',
}
let store: ReturnType<typeof parameterStore>['store']

beforeEach(() => {
  aws.reset()
  store = parameterStore(aws.ssm).store
})

const givenLock = () =>
  store.set(LOCK, {
    value: JSON.stringify(HELD),
    type: 'String',
    version: 1,
    modified: new Date(HELD.since),
  })
const unlock = (...extra: string[]) =>
  runCommand(['env', 'unlock', 'pr-42', '--config', SHOP_CONFIG, ...extra])

describe('djenv env unlock', () => {
  it('deletes the lock and prints whose it was with --yes --json', async () => {
    givenLock()

    const { stdout, error } = await unlock('--yes', '--json')

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toEqual({ env: 'pr-42', parameter: LOCK, lock: HELD })
    expect(store.has(LOCK)).toBe(false)
  })

  it('says for people whose lock it released', async () => {
    givenLock()

    const { stdout, error } = await unlock('--yes')

    expect(error).toBeUndefined()
    expect(stdout).toContain(
      'Released the lock of pr-42, held by alice@laptop (deploy-image, pid 4242) since 2026-11-20T09:55:00.000Z.',
    )
  })

  it('says an env that is not locked is not, and exits 0', async () => {
    const json = await unlock('--yes', '--json')
    const human = await unlock()

    expect(json.error).toBeUndefined()
    expect(JSON.parse(json.stdout)).toEqual({ env: 'pr-42', parameter: LOCK, lock: null })
    expect(human.error).toBeUndefined()
    expect(human.stdout).toContain('pr-42 was not locked; nothing to release.')
    expect(aws.ssm).not.toHaveReceivedCommand(DeleteParameterCommand)
  })

  it('off a terminal without --yes exits 2 naming --yes, and leaves the lock', async () => {
    givenLock()

    const { stdout, error } = await unlock('--json')

    expect(error?.oclif?.exit).toBe(2)
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'INPUT_REQUIRED', hint: 'Pass --yes.' })
    expect(store.has(LOCK)).toBe(true)
  })

  it('has help with examples', async () => {
    const { stdout } = await runCommand(['env', 'unlock', '--help'])

    expect(stdout).toContain('djenv env unlock pr-42 --yes --json')
    expect(stdout).toContain('--yes')
  })
})
