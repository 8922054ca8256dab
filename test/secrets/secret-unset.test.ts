import { DeleteParameterCommand, DeleteParametersCommand } from '@aws-sdk/client-ssm'
import { UpdateServiceCommand } from '@aws-sdk/client-ecs'
import { describe, expect, it } from 'vitest'

import { secretUnset } from '../../src/secrets/secret-unset.js'
import { renderSecretUnset } from '../../src/ui/render/secret.js'
import { KNOWN_VALUE, aws, deps, given } from './fixture.js'

describe('secretUnset', () => {
  it("deletes the env's own secret and leaves the base's of the same name", async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    store.secret('/djenv/shop/pr-42/secrets/SENTRY_DSN', KNOWN_VALUE)
    store.secret('/djenv/shop/dev/secrets/SENTRY_DSN', KNOWN_VALUE)

    const result = await secretUnset({ env: 'pr-42', name: 'SENTRY_DSN' }, deps())

    expect([...store.store.keys()]).toEqual(['/djenv/shop/dev/secrets/SENTRY_DSN'])
    expect(result).toEqual({
      env: 'pr-42',
      base: 'dev',
      name: 'SENTRY_DSN',
      from: 'env',
      parameter: '/djenv/shop/pr-42/secrets/SENTRY_DSN',
      services: [],
      redeploy: [],
    })
    expect(renderSecretUnset(result)).toContain('No running task definition injects SENTRY_DSN')
  })

  it('names the envs to redeploy when task definitions still inject it, and restarts none', async () => {
    const parameter = '/djenv/shop/dev/secrets/MAILGUN_KEY'
    const { store } = given({ envs: { 'pr-1': [parameter], 'pr-2': [] } })
    store.secret(parameter, KNOWN_VALUE)

    const result = await secretUnset({ env: 'pr-2', name: 'MAILGUN_KEY', base: true }, deps())

    expect(store.store.has(parameter)).toBe(false)
    expect(result.redeploy).toEqual(['pr-1'])
    expect(result.services.map((s) => `${s.env} ${s.service}`)).toEqual([
      'pr-1 web',
      'pr-1 worker',
      'pr-1 beat',
    ])
    expect(aws.ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
    expect(renderSecretUnset(result)).toContain(
      'ECS reads secrets when a task starts. The task definitions of pr-1 (web, worker, beat) still name MAILGUN_KEY, so a task that starts now fails: redeploy without it with `djenv env create pr-1`',
    )
  })

  it('refuses SECRET_KEY, which every task reads', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    store.secret('/djenv/shop/pr-42/secrets/SECRET_KEY', KNOWN_VALUE)

    await expect(secretUnset({ env: 'pr-42', name: 'SECRET_KEY' }, deps())).rejects.toMatchObject({
      djenvCode: 'USAGE',
      oclif: { exit: 2 },
    })
    expect(store.store.size).toBe(1)
  })

  it('reports a name that is not stored, deleting nothing', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    store.secret('/djenv/shop/pr-42/secrets/SENTRY_DSN', KNOWN_VALUE)

    await expect(secretUnset({ env: 'pr-42', name: 'SENTRY' }, deps())).rejects.toMatchObject({
      djenvCode: 'SECRET_NOT_FOUND',
      hint: 'Stored: SENTRY_DSN.',
    })
    expect(aws.ssm).not.toHaveReceivedCommand(DeleteParameterCommand)
    expect(aws.ssm).not.toHaveReceivedCommand(DeleteParametersCommand)
  })

  it('maps AccessDenied on the delete, and the secret stays', async () => {
    const { store } = given({ envs: { 'pr-42': [] } })
    store.secret('/djenv/shop/pr-42/secrets/SENTRY_DSN', KNOWN_VALUE)
    aws.ssm.on(DeleteParameterCommand).rejects(
      Object.assign(new Error('not authorized to perform: ssm:DeleteParameter'), {
        name: 'AccessDeniedException',
        $metadata: {},
      }),
    )

    await expect(secretUnset({ env: 'pr-42', name: 'SENTRY_DSN' }, deps())).rejects.toMatchObject({
      djenvCode: 'AWS_ACCESS_DENIED',
      oclif: { exit: 1 },
    })
    expect(store.store.size).toBe(1)
  })
})
