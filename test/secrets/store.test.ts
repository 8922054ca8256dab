import { format } from 'node:util'

import { PutParameterCommand } from '@aws-sdk/client-ssm'
import createDebug from 'debug'
import { afterEach, describe, expect, it } from 'vitest'

import { createAws } from '../../src/aws/clients.js'
import { putSecretIfAbsent, putSecureString } from '../../src/aws/ssm.js'
import { envNames } from '../../src/config/naming.js'
import { addAdhocAppStack, placeholderBaseAttributes } from '../../src/infra/index.js'
import { secretsForDeploy } from '../../src/secrets/store.js'
import { ACCOUNT, SHOP_TAGS, shopConfig, testApp } from '../infra/helpers.js'
import { recordingReporter } from '../support/recording-reporter.js'
import { KNOWN_VALUE, SSM_ARN, aws, given } from './fixture.js'

const config = shopConfig()
const names = envNames(config, { name: 'pr-42', kind: 'adhoc' })
const ssm = () => createAws({ region: 'eu-west-1' }).ssm

describe('secretsForDeploy', () => {
  it("lists every stored name once, the env's own winning, and warns about expected names without a value", async () => {
    const { store } = given()
    store.secret('/djenv/shop/pr-42/secrets/SECRET_KEY', KNOWN_VALUE)
    store.secret('/djenv/shop/pr-42/secrets/SENTRY_DSN', KNOWN_VALUE)
    store.secret('/djenv/shop/dev/secrets/SENTRY_DSN', KNOWN_VALUE)
    store.secret('/djenv/shop/dev/secrets/MAILGUN_KEY', KNOWN_VALUE)
    const report = recordingReporter()

    const refs = await secretsForDeploy(ssm(), config, names, 'eu-west-1', { report })

    expect(refs).toEqual([
      { name: 'MAILGUN_KEY', from: 'base' },
      { name: 'SECRET_KEY', from: 'env' },
      { name: 'SENTRY_DSN', from: 'env' },
    ])
    expect(report.warnings).toEqual([
      'pr-42 has no value for STRIPE_API_KEY (secrets.names): set it with `djenv secret set pr-42 NAME`.',
    ])
  })

  it.each([
    ['/djenv/shop/dev/secrets/STRIPE_MODE', /plain setting adhoc\.environment\.STRIPE_MODE/],
    ['/djenv/shop/pr-42/secrets/DATABASE-URL', /not a variable name/],
    ['/djenv/shop/pr-42/secrets/POSTGRES_PASSWORD', /which djenv sets itself/],
  ])('refuses %s before synthesis, naming both sides', async (parameter, message) => {
    const { store } = given()
    store.secret(parameter, KNOWN_VALUE)

    const run = secretsForDeploy(ssm(), config, names, 'eu-west-1', {
      report: recordingReporter(),
    })

    await expect(run).rejects.toMatchObject({
      djenvCode: 'CONFIG_INVALID',
      message: expect.stringMatching(message),
      hint: expect.stringContaining('djenv secret unset pr-42'),
      oclif: { exit: 2 },
    })
  })

  it('puts no secret value into the synthesized template, only names and parameter ARNs', async () => {
    const { store } = given()
    store.secret('/djenv/shop/pr-42/secrets/SECRET_KEY', KNOWN_VALUE)
    store.secret('/djenv/shop/dev/secrets/STRIPE_API_KEY', KNOWN_VALUE)
    const refs = await secretsForDeploy(ssm(), config, names, 'eu-west-1', {
      report: recordingReporter(),
    })
    const t = testApp({ nag: false, validation: false })
    try {
      const stack = addAdhocAppStack(t.app, {
        config,
        account: ACCOUNT,
        base: placeholderBaseAttributes(config, { kind: 'adhoc' }, ACCOUNT),
        imageTags: SHOP_TAGS,
        desiredCounts: { web: 0, worker: 0, beat: 0 },
        secrets: refs,
        env: 'pr-42',
        listenerPriority: 1230,
      })

      const text = JSON.stringify(t.templateJson(stack))

      expect(text).toContain(`"ValueFrom":"${SSM_ARN}/djenv/shop/dev/secrets/STRIPE_API_KEY"`)
      expect(text).not.toContain(KNOWN_VALUE)
      expect(text).not.toContain('ciphertext')
    } finally {
      t.cleanup()
    }
  })
})

describe('secret values in debug output (--verbose)', () => {
  const lines: string[] = []
  const original = createDebug.log

  afterEach(() => {
    createDebug.log = original
    createDebug.disable()
    lines.length = 0
  })

  it('logs a SecureString put with its value redacted, and a plain String as is', async () => {
    given()
    createDebug.enable('djenv*')
    createDebug.log = (...args: unknown[]) => lines.push(format(...args))

    await putSecureString(ssm(), '/djenv/shop/pr-42/secrets/X', KNOWN_VALUE, 'eu-west-1')
    await putSecretIfAbsent(ssm(), '/djenv/shop/pr-42/secrets/Y', () => KNOWN_VALUE, 'eu-west-1')
    await ssm().putParameter({
      Name: '/djenv/shop/dev/state',
      Value: 'plain-state',
      Type: 'String',
    })

    const log = lines.join('\n')
    expect(aws.ssm).toHaveReceivedCommandTimes(PutParameterCommand, 3)
    expect(log).toContain('ssm:PutParameter')
    expect(log).toContain('<redacted>')
    expect(log).toContain('plain-state')
    expect(log).not.toContain(KNOWN_VALUE)
  })
})
