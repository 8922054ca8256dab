import { fileURLToPath } from 'node:url'

import { ListObjectsV2Command, DeleteObjectsCommand } from '@aws-sdk/client-s3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { baseDeploy } from '../../src/deploy/base-deploy.js'
import { baseDestroy } from '../../src/deploy/base-destroy.js'
import { createAsker } from '../../src/ui/ask.js'
import { fakeAws, type FakeAws } from '../support/fake-aws.js'
import { fakeClock } from '../support/fake-clock.js'
import { recordingReporter } from '../support/recording-reporter.js'
import { tempTree } from '../support/tmp.js'

const example = fileURLToPath(new URL('../../examples/shop', import.meta.url))
const REGION = 'eu-west-1'
const CERT_STACK = 'shop-dev-static'
/** The public parameter the NAT instance and bastion resolve their image from. */
const AMI = {
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64': 'ami-0123456789abcdef0',
}

let aws: FakeAws
let cwd: string
const trees: ReturnType<typeof tempTree>[] = []

const deps = () => ({
  cwd,
  env: { DJENV_STACK_POLL_MS: '5' },
  report: recordingReporter(),
  ask: createAsker({ interactive: false }),
  clock: fakeClock(),
  terminal: { interactive: false, ci: true, stderrIsTTY: false, color: false },
})

/** The example project with `static:` replaced, in a temporary directory. */
async function exampleWith(staticBlock: string): Promise<string> {
  const { readFileSync } = await import('node:fs')
  const yaml = readFileSync(`${example}/djenv.yml`, 'utf8').replace(/^static:[\s\S]*?(?=^\S)/m, '')
  const tree = tempTree()
  trees.push(tree)
  tree.write('djenv.yml', `${yaml.replace('$schema=../../', '$schema=')}\n${staticBlock}\n`)
  return tree.root
}

function resourcesOf(stack: string, type: string): Record<string, unknown>[] {
  const template = aws.cfn.stack(stack)?.template
  return Object.values(template?.Resources ?? {})
    .filter((r) => r.Type === type)
    .map((r) => (r as { Properties?: Record<string, unknown> }).Properties ?? {})
}

beforeEach(() => {
  cwd = example
  aws = fakeAws({ region: REGION, stackRegions: { [CERT_STACK]: 'us-east-1' }, parameters: AMI })
})

afterEach(() => {
  expect(aws.unexpected()).toEqual([])
  aws.restore()
  for (const t of trees.splice(0)) t.cleanup()
})

describe('baseDeploy', () => {
  it('creates the us-east-1 certificate first and hands its ARN to the distribution', async () => {
    const result = await baseDeploy({ yes: true }, deps())

    const cert = aws.cfn.stack(CERT_STACK)
    expect(cert?.stackId).toMatch(/:us-east-1:/)
    const arn = cert?.outputs.CertificateArn
    expect(arn).toMatch(/^arn:aws:acm:us-east-1:123456789012:certificate\//)
    expect(resourcesOf(CERT_STACK, 'AWS::CertificateManager::Certificate')).toEqual([
      expect.objectContaining({ DomainName: 'static.shop.example.com', ValidationMethod: 'DNS' }),
    ])
    const [distribution] = resourcesOf('shop-dev', 'AWS::CloudFront::Distribution')
    expect(distribution).toMatchObject({
      DistributionConfig: {
        Aliases: ['static.shop.example.com'],
        ViewerCertificate: { AcmCertificateArn: arn },
      },
    })
    expect(result).toMatchObject({
      outcome: 'created',
      bootstrapped: false,
      cdnCertificate: { stack: CERT_STACK, region: 'us-east-1', arn },
      outputs: { CdnDomainName: 'static.shop.example.com' },
    })
    // The certificate stack was complete before the base stack began.
    const certDone = cert?.events.find((e) => e.LogicalResourceId === CERT_STACK)?.Timestamp
    const baseStarted = aws.cfn.stack('shop-dev')?.events.at(-1)?.Timestamp
    expect(certDone && baseStarted && certDone < baseStarted).toBe(true)
  })

  it('changes nothing on a second run, keeping the certificate', async () => {
    await baseDeploy({ yes: true }, deps())
    const arn = aws.cfn.stack(CERT_STACK)?.outputs.CertificateArn

    const again = await baseDeploy({ yes: true }, deps())

    expect(again).toMatchObject({ outcome: 'unchanged', cdnCertificate: { arn } })
  })

  it('creates no certificate stack and no distribution with static.cdn: false', async () => {
    cwd = await exampleWith('static:\n  cdn: false')

    const result = await baseDeploy({ yes: true }, deps())

    expect(aws.cfn.liveStackNames()).not.toContain(CERT_STACK)
    expect(resourcesOf('shop-dev', 'AWS::CloudFront::Distribution')).toEqual([])
    expect(result).toMatchObject({ outcome: 'created', cdnCertificate: null })
    expect(result.outputs.CdnDomainName).toBeUndefined()
  })

  it('uses a configured us-east-1 certificate without a stack of its own', async () => {
    const arn =
      'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555'
    cwd = await exampleWith(`static:\n  certificateArn: ${arn}`)

    await baseDeploy({ yes: true }, deps())

    expect(aws.cfn.liveStackNames()).not.toContain(CERT_STACK)
    const [distribution] = resourcesOf('shop-dev', 'AWS::CloudFront::Distribution')
    expect(distribution).toMatchObject({
      DistributionConfig: { ViewerCertificate: { AcmCertificateArn: arn } },
    })
  })

  it('refuses to bootstrap off a terminal without --yes, deploying nothing', async () => {
    aws = fakeAws({ region: REGION, bootstrapVersion: null })

    await expect(baseDeploy({ yes: false }, deps())).rejects.toMatchObject({
      djenvCode: 'INPUT_REQUIRED',
    })
    expect(aws.cfn.liveStackNames()).toEqual([])
  })
})

describe('baseDestroy', () => {
  it('refuses while envs remain on the base, naming them', async () => {
    await baseDeploy({ yes: true }, deps())
    aws.cfn.givenStack({
      name: 'shop-dev-pr-7',
      tags: { 'djenv:project': 'shop', 'djenv:base': 'dev', 'djenv:env': 'pr-7' },
    })

    await expect(baseDestroy({ yes: true, force: false }, deps())).rejects.toMatchObject({
      djenvCode: 'ENVS_REMAIN',
      message: expect.stringContaining('pr-7'),
    })
    expect(aws.cfn.liveStackNames()).toContain('shop-dev')
    expect(aws.cfn.liveStackNames()).toContain(CERT_STACK)
  })

  it('empties the bucket, deletes the base, then its certificate stack', async () => {
    await baseDeploy({ yes: true }, deps())
    const bucket = aws.cfn.stack('shop-dev')?.outputs.AssetsBucketName as string
    const deleted: string[] = []
    aws.mocks.s3
      .on(ListObjectsV2Command, { Bucket: bucket })
      .resolves({ Contents: [{ Key: 'pr-1/static/app.css' }, { Key: 'pr-1/media/a.png' }] })
      .on(DeleteObjectsCommand, { Bucket: bucket })
      .callsFake((i: { Delete: { Objects: { Key: string }[] } }) => {
        deleted.push(...i.Delete.Objects.map((o) => o.Key))
        return {}
      })

    const result = await baseDestroy({ yes: true, force: false }, deps())

    expect(deleted).toEqual(['pr-1/static/app.css', 'pr-1/media/a.png'])
    expect(aws.cfn.liveStackNames()).not.toContain('shop-dev')
    expect(aws.cfn.liveStackNames()).not.toContain(CERT_STACK)
    expect(result).toMatchObject({
      outcome: 'destroyed',
      objectsDeleted: 2,
      cdnCertificateStackDeleted: true,
    })
  })
})
