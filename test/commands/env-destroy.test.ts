import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  S3Client,
  type DeleteObjectsCommandInput,
  type ListObjectsV2CommandInput,
} from '@aws-sdk/client-s3'
import {
  DeregisterTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  type ListTaskDefinitionsCommandInput,
} from '@aws-sdk/client-ecs'
import { runCommand } from '@oclif/test'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'

import { parameterStore } from '../secrets/parameter-store.js'
import { baseOutputs, SHOP_CONFIG } from '../support/app-env.js'
import { awsMocks, stack } from '../support/aws-mocks.js'

// oclif imports commands natively, outside vitest's module graph: these run the real workflow
// over class-level SDK mocks. The env's stack is already gone (a destroy run again), so no
// CloudFormation deletion is involved; its files are still in the base's bucket.
const aws = awsMocks()
const s3 = mockClient(S3Client)
const BUCKET = baseOutputs().AssetsBucketName ?? ''
const LOCK = '/djenv/shop/dev/envs/pr-42/lock'
const td = (family: string, revision: number) =>
  `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`
let objects: Set<string>
let store: ReturnType<typeof parameterStore>['store']
/** ACTIVE task definition revisions ECS still holds. */
let active: Set<string>

beforeEach(() => {
  aws.reset()
  aws.stacks([stack('shop-dev', 'UPDATE_COMPLETE', { outputs: baseOutputs() })])
  store = parameterStore(aws.ssm).store
  // Revisions deploy-image registered in pr-42's families, and one of pr-420's.
  active = new Set([
    td('shop-dev-pr-42-web', 7),
    td('shop-dev-pr-42-web', 8),
    td('shop-dev-pr-42-migrate', 8),
    td('shop-dev-pr-420-web', 2),
  ])
  aws.ecs.on(ListTaskDefinitionsCommand).callsFake((i: ListTaskDefinitionsCommandInput) => ({
    taskDefinitionArns: [...active].filter((arn) =>
      (arn.split('/').pop() ?? '').startsWith(i.familyPrefix ?? ''),
    ),
  }))
  aws.ecs.on(DeregisterTaskDefinitionCommand).callsFake((i: { taskDefinition: string }) => {
    active.delete(i.taskDefinition)
    return {}
  })
  objects = new Set([
    'pr-42/static/app.css',
    'pr-42/static/admin/base.css',
    'pr-42/media/a.png',
    'pr-4/static/app.css',
    'pr-42/static-old/app.css',
  ])
  s3.reset()
  s3.onAnyCommand().rejects(new Error('unexpected AWS call'))
  s3.on(ListObjectsV2Command).callsFake((i: ListObjectsV2CommandInput) => {
    if (i.Bucket !== BUCKET) throw new NoSuchBucket({ message: 'no bucket', $metadata: {} })
    return {
      Contents: [...objects].filter((k) => k.startsWith(i.Prefix ?? '')).map((Key) => ({ Key })),
    }
  })
  s3.on(DeleteObjectsCommand).callsFake((i: DeleteObjectsCommandInput) => {
    for (const o of i.Delete?.Objects ?? []) objects.delete(o.Key ?? '')
    return {}
  })
})

const destroy = (...extra: string[]) =>
  runCommand([
    'env',
    'destroy',
    'pr-42',
    '--yes',
    '--keep-database',
    '--config',
    SHOP_CONFIG,
    ...extra,
  ])

describe('djenv env destroy', () => {
  it('deletes the files under pr-42/static/ and pr-42/media/ and counts them in --json', async () => {
    const { stdout, error } = await destroy('--json')

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({
      outcome: 'absent',
      files: { deleted: 3, kept: false },
    })
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, {
      Bucket: BUCKET,
      Prefix: 'pr-42/static/',
    })
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, {
      Bucket: BUCKET,
      Prefix: 'pr-42/media/',
    })
    expect([...objects]).toEqual(['pr-4/static/app.css', 'pr-42/static-old/app.css'])
  })

  it('says for people how many objects it removed', async () => {
    const { stdout, error } = await destroy()

    expect(error).toBeUndefined()
    expect(stdout).toContain('files 3 object(s) deleted')
  })

  it("deregisters the revisions left in the env's families and counts them, in --json and for people", async () => {
    const json = await destroy('--json')
    const again = await destroy()

    expect(json.error).toBeUndefined()
    expect(JSON.parse(json.stdout).taskDefinitionsDeregistered).toBe(3)
    expect([...active]).toEqual([td('shop-dev-pr-420-web', 2)])
    expect(again.error).toBeUndefined()
    expect(again.stdout).toContain('0 task definition revision(s) deregistered')
  })

  it('exits 1 with ENV_LOCKED while another run holds the env, deleting nothing', async () => {
    const lock = {
      command: 'deploy-image',
      holder: 'https://github.com/acme/shop/actions/runs/42',
      pid: 77,
      since: new Date(Date.now() - 5 * 60_000).toISOString(),
    }
    store.set(LOCK, {
      value: JSON.stringify(lock),
      type: 'String',
      version: 1,
      modified: new Date(),
    })

    const { stdout, error } = await destroy('--json')

    expect(error?.oclif?.exit).toBe(1)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'ENV_LOCKED',
      exitCode: 1,
      message: expect.stringContaining('https://github.com/acme/shop/actions/runs/42'),
      hint: expect.stringContaining('djenv env unlock pr-42'),
    })
    expect(s3.calls()).toHaveLength(0)
    expect(aws.ecs).not.toHaveReceivedCommand(DeregisterTaskDefinitionCommand)
    expect(objects.size).toBe(5)
    expect(JSON.parse(store.get(LOCK)?.value ?? '{}')).toEqual(lock)
  })

  it('keeps them with --keep-files, calling no S3, and says so', async () => {
    const json = await destroy('--keep-files', '--json')
    const human = await destroy('--keep-files')

    expect(json.error).toBeUndefined()
    expect(JSON.parse(json.stdout).files).toEqual({ deleted: 0, kept: true })
    expect(human.stdout).toContain('files kept (--keep-files)')
    expect(s3.calls()).toHaveLength(0)
    expect(objects.size).toBe(5)
  })

  it('succeeds when the bucket is gone (NoSuchBucket), with a warning', async () => {
    aws.stacks([
      stack('shop-dev', 'UPDATE_COMPLETE', {
        outputs: { ...baseOutputs(), AssetsBucketName: 'shop-assets-deleted' },
      }),
    ])

    const { stdout, stderr, error } = await destroy('--json')

    expect(error).toBeUndefined()
    expect(JSON.parse(stdout).files).toEqual({ deleted: 0, kept: false })
    expect(stderr).toContain('shop-assets-deleted')
    expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand)
  })
})
