import { UpdateServiceCommand } from '@aws-sdk/client-ecs'
import { PutParameterCommand } from '@aws-sdk/client-ssm'
import { describe, expect, it } from 'vitest'

import { secretSet, type SecretSetInput } from '../../src/secrets/secret-set.js'
import { renderSecretSet } from '../../src/ui/render/secret.js'
import { scriptedAsker } from '../support/scripted-asker.js'
import { tempTree } from '../support/tmp.js'
import { KNOWN_VALUE, aws, deps, given } from './fixture.js'

const input: SecretSetInput = {
  env: 'pr-42',
  name: 'STRIPE_API_KEY',
  value: { from: 'stdin' },
  restart: false,
}

describe('secretSet', () => {
  it("stores a standard SecureString under the env's path, with one trailing line break dropped", async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    const d = deps({ stdin: `${KNOWN_VALUE}\n` })

    const result = await secretSet(input, d)

    expect(store.store.get('/djenv/shop/pr-42/secrets/STRIPE_API_KEY')).toMatchObject({
      value: KNOWN_VALUE,
      type: 'SecureString',
      tier: 'Standard',
      version: 1,
    })
    expect(aws.ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/djenv/shop/pr-42/secrets/STRIPE_API_KEY',
      Type: 'SecureString',
      Overwrite: true,
    })
    expect(store.store.get('/djenv/shop/pr-42/secrets/STRIPE_API_KEY')?.keyId).toBeUndefined()
    expect(result).toMatchObject({
      env: 'pr-42',
      from: 'env',
      parameter: '/djenv/shop/pr-42/secrets/STRIPE_API_KEY',
      outcome: 'created',
      version: 1,
      kmsKey: 'aws/ssm',
    })
    const printed = [
      JSON.stringify(result),
      renderSecretSet(result),
      ...d.report.steps,
      ...d.report.infos,
      ...d.report.warnings,
    ].join('\n')
    expect(printed).not.toContain(KNOWN_VALUE)
  })

  it('writes a new version over an existing value and says it was updated', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    store.secret('/djenv/shop/pr-42/secrets/STRIPE_API_KEY', 'old', 3)

    const result = await secretSet(input, deps({ stdin: 'new' }))

    expect(result).toMatchObject({ outcome: 'updated', version: 4 })
    expect(store.store.get('/djenv/shop/pr-42/secrets/STRIPE_API_KEY')?.value).toBe('new')
  })

  it('encrypts with the configured KMS key', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    const tree = tempTree()
    try {
      const example = (await import('node:fs')).readFileSync(`${deps().cwd}/djenv.yml`, 'utf8')
      tree.write(
        'djenv.yml',
        `${example}\n`.replace(
          '  names: [STRIPE_API_KEY]',
          '  names: [STRIPE_API_KEY]\n  kmsKey: 1234abcd-12ab-34cd-56ef-1234567890ab',
        ),
      )

      const result = await secretSet(input, { ...deps({ stdin: 'v' }), cwd: tree.root })

      expect(store.store.get('/djenv/shop/pr-42/secrets/STRIPE_API_KEY')?.keyId).toBe(
        '1234abcd-12ab-34cd-56ef-1234567890ab',
      )
      expect(result.kmsKey).toBe('1234abcd-12ab-34cd-56ef-1234567890ab')
    } finally {
      tree.cleanup()
    }
  })

  it('reads the value from --from-file', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    const tree = tempTree()
    try {
      tree.write('stripe.txt', 'from-a-file\r\n')

      await secretSet({ ...input, value: { from: 'file', path: tree.path('stripe.txt') } }, deps())

      expect(store.store.get('/djenv/shop/pr-42/secrets/STRIPE_API_KEY')?.value).toBe('from-a-file')
    } finally {
      tree.cleanup()
    }
  })

  it('accepts NAME=VALUE with a warning about shell history', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    const d = deps()

    await secretSet({ ...input, value: { from: 'argument', value: 'v1' } }, d)

    expect(store.store.get('/djenv/shop/pr-42/secrets/STRIPE_API_KEY')?.value).toBe('v1')
    expect(d.report.warnings).toEqual([expect.stringContaining('shell history')])
  })

  it('asks for the value without echo on a terminal, and needs a pipe or --from-file elsewhere', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    const ask = scriptedAsker({ 'Value of STRIPE_API_KEY': 'typed' })

    await secretSet(input, deps({ tty: true, ask }))
    const offTerminal = secretSet(input, deps({ tty: true }))

    expect(store.store.get('/djenv/shop/pr-42/secrets/STRIPE_API_KEY')?.value).toBe('typed')
    await expect(offTerminal).rejects.toMatchObject({
      djenvCode: 'INPUT_REQUIRED',
      hint: 'Pass --from-file FILE, or the value on stdin.',
      oclif: { exit: 2 },
    })
  })

  it.each([
    ['bad-name', 'NAME_INVALID', /not a variable name/],
    ['POSTGRES_PASSWORD', 'NAME_INVALID', /POSTGRES_PASSWORD, which djenv sets itself/],
    ['DJENV_TOKEN', 'NAME_INVALID', /DJENV_ prefix/],
    ['STRIPE_MODE', 'NAME_INVALID', /plain setting adhoc\.environment\.STRIPE_MODE/],
  ])('refuses the name %s and writes nothing', async (name, djenvCode, message) => {
    given({ envs: { 'pr-42': [] } })

    const run = secretSet({ ...input, name }, deps({ stdin: 'v' }))

    await expect(run).rejects.toMatchObject({
      djenvCode,
      message: expect.stringMatching(message),
      oclif: { exit: 2 },
    })
    expect(aws.ssm).not.toHaveReceivedCommand(PutParameterCommand)
  })

  it('stores a secret of an ad hoc env before its first env create, warning about a mistyped name', async () => {
    const { store } = given({ envs: {} })
    const d = deps({ stdin: KNOWN_VALUE })

    const result = await secretSet({ ...input, env: 'pr-24' }, d)

    expect(store.store.get('/djenv/shop/pr-24/secrets/STRIPE_API_KEY')?.value).toBe(KNOWN_VALUE)
    expect(result).toMatchObject({ env: 'pr-24', from: 'env', outcome: 'created', services: [] })
    expect(d.report.warnings).toEqual([
      expect.stringMatching(
        /pr-24 has no stack yet.*djenv env create pr-24.*djenv secret unset pr-24 STRIPE_API_KEY/,
      ),
    ])
    expect(d.report.warnings.join('\n')).not.toContain(KNOWN_VALUE)
  })

  it('warns about nothing for an ad hoc env that has a stack', async () => {
    given({ envs: { 'pr-42': [] } })
    const d = deps({ stdin: 'v' })

    await secretSet(input, d)

    expect(d.report.warnings).toEqual([])
  })

  it.each([
    [4097, /It would need the advanced tier/],
    [8193, /Even the advanced tier holds at most 8192/],
  ])(
    'refuses a %d-byte value, saying what would hold it, and writes nothing',
    async (size, hint) => {
      given({ envs: { 'pr-42': [] } })

      const run = secretSet(input, deps({ stdin: 'x'.repeat(size) }))

      await expect(run).rejects.toMatchObject({
        djenvCode: 'SECRET_INVALID',
        message: expect.stringContaining(`${size} bytes`),
        hint: expect.stringMatching(hint),
        oclif: { exit: 2 },
      })
      expect(aws.ssm).not.toHaveReceivedCommand(PutParameterCommand)
    },
  )

  it('takes exactly 4096 bytes, counting UTF-8 bytes rather than characters', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })

    await secretSet(input, deps({ stdin: 'x'.repeat(4096) }))
    const multibyte = secretSet(input, deps({ stdin: 'é'.repeat(2049) }))

    expect(store.store.get('/djenv/shop/pr-42/secrets/STRIPE_API_KEY')?.value).toHaveLength(4096)
    await expect(multibyte).rejects.toMatchObject({ djenvCode: 'SECRET_INVALID' })
  })

  it('refuses an empty value', async () => {
    given({ envs: { 'pr-42': [] } })

    await expect(secretSet(input, deps({ stdin: '\n' }))).rejects.toMatchObject({
      djenvCode: 'SECRET_INVALID',
    })
    expect(aws.ssm).not.toHaveReceivedCommand(PutParameterCommand)
  })

  it('maps AccessDenied to AWS_ACCESS_DENIED, with nothing written', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    aws.ssm.on(PutParameterCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: ssm:PutParameter'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    )

    await expect(secretSet(input, deps({ stdin: 'v' }))).rejects.toMatchObject({
      djenvCode: 'AWS_ACCESS_DENIED',
      message: expect.stringContaining('ssm:PutParameter'),
      oclif: { exit: 1 },
    })
    expect(store.store.size).toBe(0)
  })

  it('explains a KMS key SSM cannot use', async () => {
    given({ envs: { 'pr-42': [] } })
    aws.ssm
      .on(PutParameterCommand)
      .rejects(Object.assign(new Error('Invalid keyId'), { name: 'InvalidKeyId', $metadata: {} }))

    await expect(secretSet(input, deps({ stdin: 'v' }))).rejects.toMatchObject({
      djenvCode: 'AWS_FAILED',
      message: expect.stringContaining('nothing was written'),
      hint: expect.stringContaining('aws/ssm'),
    })
  })

  it('says a value change reaches running tasks when they restart, and restarts nothing by default', async () => {
    const parameter = '/djenv/shop/pr-42/secrets/STRIPE_API_KEY'
    const { store } = given({ envs: { 'pr-42': [parameter] } })
    store.secret(parameter, 'old')

    const result = await secretSet(input, deps({ stdin: 'new' }))

    expect(result.services).toEqual([
      { env: 'pr-42', service: 'web', injects: true, restarted: false },
      { env: 'pr-42', service: 'worker', injects: true, restarted: false },
      { env: 'pr-42', service: 'beat', injects: true, restarted: false },
    ])
    expect(result.redeploy).toEqual([])
    expect(aws.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
    expect(renderSecretSet(result)).toContain('ECS reads secrets when a task starts')
  })

  it('with --restart, starts a new deployment with the same task definition of each service that reads it', async () => {
    const parameter = '/djenv/shop/pr-42/secrets/STRIPE_API_KEY'
    const { store, restarts } = given({ envs: { 'pr-42': [parameter] } })
    store.secret(parameter, 'old')

    const result = await secretSet({ ...input, restart: true }, deps({ stdin: 'new' }))

    expect(restarts).toEqual(
      ['web', 'worker', 'beat'].map((service) => ({
        cluster: 'shop-dev-pr-42',
        service,
        forceNewDeployment: true,
      })),
    )
    expect(result.services.every((s) => s.restarted)).toBe(true)
  })

  it('does not restart for a name the task definitions do not inject yet: env create adds it', async () => {
    const { restarts } = given({ envs: { 'pr-42': ['/djenv/shop/pr-42/secrets/SECRET_KEY'] } })

    const result = await secretSet({ ...input, restart: true }, deps({ stdin: 'v' }))

    expect(restarts).toEqual([])
    expect(result.redeploy).toEqual(['pr-42'])
    expect(renderSecretSet(result)).toContain('`djenv env create pr-42` adds it')
  })

  it("with --base, writes the base's shared path and restarts the envs on the base that read it", async () => {
    const shared = '/djenv/shop/dev/secrets/STRIPE_API_KEY'
    const { store, restarts } = given({ envs: { 'pr-1': [shared], 'pr-2': [] } })
    store.secret(shared, 'old')

    const result = await secretSet(
      { ...input, env: 'pr-1', base: true, restart: true },
      deps({ stdin: 'new' }),
    )

    expect(store.store.get(shared)?.value).toBe('new')
    expect(result).toMatchObject({ from: 'base', parameter: shared, redeploy: ['pr-2'] })
    expect(new Set(restarts.map((r) => r.cluster))).toEqual(new Set(['shop-dev-pr-1']))
  })

  it('refuses a shared SECRET_KEY and --base for a production env', async () => {
    given({ envs: { 'pr-42': [] } })

    await expect(
      secretSet({ ...input, name: 'SECRET_KEY', base: true }, deps({ stdin: 'v' })),
    ).rejects.toMatchObject({ djenvCode: 'USAGE', message: expect.stringContaining('SECRET_KEY') })
    await expect(
      secretSet({ ...input, env: 'prod', base: true }, deps({ stdin: 'v' })),
    ).rejects.toMatchObject({ djenvCode: 'USAGE', message: expect.stringContaining('--base') })
    expect(aws.ssm).not.toHaveReceivedCommand(PutParameterCommand)
  })

  it('sets a production secret before its first deploy: the configured env exists', async () => {
    const { store } = given({ envs: {} })

    const result = await secretSet({ ...input, env: 'prod' }, deps({ stdin: 'live' }))

    expect(store.store.get('/djenv/shop/prod/secrets/STRIPE_API_KEY')?.value).toBe('live')
    expect(result.services).toEqual([])
    expect(renderSecretSet(result)).toContain('No service runs yet')
  })
})
