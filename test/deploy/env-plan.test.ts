import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { STSClient } from '@aws-sdk/client-sts'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { envPlan, type EnvPlanResult } from '../../src/deploy/env-plan.js'
import { hashedPriority } from '../../src/deploy/priority.js'
import { renderEnvPlan } from '../../src/ui/render/env-plan.js'
import { recordingReporter } from '../support/recording-reporter.js'
import { MINIMAL_YAML, tempTree } from '../support/tmp.js'

const example = fileURLToPath(new URL('../../examples/shop', import.meta.url))
const sts = mockClient(STSClient)
const cfn = mockClient(CloudFormationClient)
const tree = tempTree()

afterAll(() => tree.cleanup())

describe('envPlan for an ad hoc env of the example', () => {
  let plan: EnvPlanResult
  const report = recordingReporter()

  beforeAll(async () => {
    sts.onAnyCommand().rejects(new Error('no AWS call offline'))
    cfn.onAnyCommand().rejects(new Error('no AWS call offline'))
    plan = await envPlan(
      { name: 'pr-42', validate: false, out: tree.path('out'), withBase: true },
      { cwd: example, report },
    )
  })

  it('plans the app stack, its base and the base certificate stack with names, URL and database from the configuration', () => {
    expect(plan).toMatchObject({
      env: 'pr-42',
      kind: 'adhoc',
      project: 'shop',
      base: 'dev',
      region: 'eu-west-1',
      account: '123456789012',
      accountIsPlaceholder: false,
      url: 'https://pr-42.shop.example.com',
      database: 'pr_42',
      offline: true,
      validation: 'off',
      images: { repository: 'shop', tag: '3f2c1d0', source: 'config' },
    })
    expect(plan.stacks.map((s) => [s.name, s.role, s.region])).toEqual([
      ['shop-dev-static', 'certificate', 'us-east-1'],
      ['shop-dev', 'base', 'eu-west-1'],
      ['shop-dev-pr-42', 'app', 'eu-west-1'],
    ])
    expect(report.steps).toEqual([
      'Synthesize shop-dev-static, shop-dev and shop-dev-pr-42 offline',
    ])
  })

  it('plans the CDN certificate in its own us-east-1 stack, and the base distribution with it', () => {
    const certificate = plan.stacks.find((s) => s.role === 'certificate')!
    const base = JSON.parse(readFileSync(tree.path('out', 'shop-dev.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>
    }
    const distribution = Object.values(base.Resources).find(
      (r) => r.Type === 'AWS::CloudFront::Distribution',
    )

    expect(certificate.resources).toEqual([
      { type: 'AWS::CertificateManager::Certificate', count: 1 },
    ])
    expect(certificate.outputs).toEqual(['CertificateArn'])
    expect(JSON.stringify(distribution?.Properties)).toMatch(
      /"AcmCertificateArn":"arn:aws:acm:us-east-1:123456789012:certificate\/[0-9a-f-]{36}"/,
    )
  })

  it('says where static and media files are served: the base distribution, under the env prefixes', () => {
    expect(plan.files).toEqual({
      cdnHost: 'static.shop.example.com',
      staticUrl: 'https://static.shop.example.com/pr-42/static/',
      mediaUrl: 'https://static.shop.example.com/pr-42/media/',
      staticLocation: 'pr-42/static',
      mediaLocation: 'pr-42/media',
    })
  })

  it('starts every service at 0 tasks with the ad hoc size', () => {
    expect(plan.services).toEqual([
      { name: 'web', desiredCount: 0, cpu: 256, memory: 512 },
      { name: 'worker', desiredCount: 0, cpu: 256, memory: 512 },
      { name: 'beat', desiredCount: 0, cpu: 256, memory: 512 },
    ])
  })

  it('takes a stable listener priority from the name', () => {
    expect(plan.listenerPriority).toEqual({ value: hashedPriority('pr-42'), source: 'name-hash' })
    expect(hashedPriority('pr-42')).toBe(hashedPriority('pr-42'))
    expect(hashedPriority('pr-42') % 10).toBe(0)
  })

  it('counts resources by type from the synthesized templates', () => {
    const app = plan.stacks.find((s) => s.role === 'app')!
    const counts = Object.fromEntries(app.resources.map((r) => [r.type, r.count]))

    expect(counts['AWS::ECS::Service']).toBe(3)
    expect(counts['AWS::ECS::TaskDefinition']).toBe(4)
    expect(counts['AWS::ElasticLoadBalancingV2::ListenerRule']).toBe(1)
    expect(app.resourceCount).toBe(app.resources.reduce((n, r) => n + r.count, 0))
    expect(app.outputs).toContain('ListenerRulePriority')
  })

  it('writes each template to --out, the app one importing nothing from the base', () => {
    expect(readdirSync(tree.path('out')).sort()).toEqual([
      'shop-dev-pr-42.template.json',
      'shop-dev-static.template.json',
      'shop-dev.template.json',
    ])
    const text = readFileSync(tree.path('out', 'shop-dev-pr-42.template.json'), 'utf8')
    const template = JSON.parse(text) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>
    }
    expect(text).not.toMatch(/Fn::ImportValue|"Export"/)
    const rule = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule',
    )
    expect(rule?.Properties?.Priority).toBe(hashedPriority('pr-42'))
  })

  it('estimates the monthly cost once its services run', () => {
    expect(plan.cost).toMatchObject({
      envMonthlyUsd: 8.1,
      base: { sharedBy: null, shareUsd: null },
    })
    expect(renderEnvPlan(plan)).toContain(
      'Estimated cost: $8.10/month for the env (web $2.70, worker $2.70, beat $2.70; spot)',
    )
  })

  it('lists the setting and secret names each container gets, from the template, never values', () => {
    const names = plan.containers.map((c) => c.name)
    const web = plan.containers.find((c) => c.name === 'web')!

    expect(names).toEqual(['web', 'worker', 'beat', 'migrate'])
    for (const c of plan.containers) {
      expect(c.secrets, c.name).toEqual(['SECRET_KEY', 'POSTGRES_PASSWORD', 'STRIPE_API_KEY'])
      expect(c.settings, c.name).toEqual(web.settings)
    }
    expect(web.settings).toEqual(
      expect.arrayContaining(['DJANGO_SETTINGS_MODULE', 'DJANGO_LOG_LEVEL', 'STRIPE_MODE']),
    )
    expect(JSON.stringify(plan.containers)).not.toMatch(/INFO|test/)
  })

  it('renders the container names once per identical set, separating the configuration own settings', () => {
    const text = renderEnvPlan(plan)

    expect(text).toContain('Container environment (names only)')
    expect(text).toContain('  web, worker, beat, migrate\n')
    expect(text).toMatch(
      /Settings  \d+ from djenv .*; from the configuration: DJANGO_LOG_LEVEL, STRIPE_MODE/,
    )
    expect(text).toContain('    Secrets   SECRET_KEY, POSTGRES_PASSWORD, STRIPE_API_KEY')
    expect(text).toContain("pr-42's own and base dev's shared ones")
  })

  it('makes no AWS call', () => {
    expect(sts.calls()).toHaveLength(0)
    expect(cfn.calls()).toHaveLength(0)
  })

  it('renders the plan for people', () => {
    const text = renderEnvPlan(plan)

    expect(text).toContain(
      'Plan for pr-42 (ad hoc, base dev, eu-west-1): offline, nothing was read from or changed in AWS',
    )
    expect(text).toContain('URL        https://pr-42.shop.example.com')
    expect(text).toMatch(/Stack shop-dev-pr-42: \d+ resources, the env's own/)
    expect(text).toContain('  - PostgreSQL instance (its own database pr_42)')
    expect(text).toContain(
      'Static     https://static.shop.example.com/pr-42/static/ (CloudFront, shared by the base)',
    )
    expect(text).toContain(
      'Media      https://static.shop.example.com/pr-42/media/ (CloudFront, cached 1 h by default)',
    )
    expect(text).toContain(
      'Certificate stack shop-dev-static (us-east-1): 1 resource, the CDN certificate, deployed before the base',
    )
    expect(text).toContain(`Templates written to ${tree.path('out')}`)
  })
})

describe('envPlan without --with-base', () => {
  it('plans only the ad hoc env, saying the shared base was left out', async () => {
    const plan = await envPlan(
      { name: 'pr-8', validate: false },
      { cwd: example, report: recordingReporter() },
    )

    expect(plan.stacks.map((s) => [s.name, s.role])).toEqual([['shop-dev-pr-8', 'app']])
    expect(plan.files.staticUrl).toBe('https://static.shop.example.com/pr-8/static/')
    expect(renderEnvPlan(plan)).toContain(
      'Base stack shop-dev: shared by every ad hoc env, not planned here (pass --with-base)',
    )
  })
})

describe('envPlan and the CDN settings', () => {
  const plan = async (name: string, yaml: string, withBase = true) => {
    tree.write(`${name}/djenv.yml`, yaml)
    return envPlan(
      { name: 'pr-1', validate: false, withBase },
      { cwd: tree.path(name), report: recordingReporter() },
    )
  }

  it('says the app serves its static files when the CDN is off, and plans no certificate stack', async () => {
    const result = await plan('no-cdn', `${MINIMAL_YAML}static:\n  cdn: false\n`)

    expect(result.stacks.map((s) => s.role)).toEqual(['base', 'app'])
    expect(result.files).toEqual({
      cdnHost: null,
      staticUrl: null,
      mediaUrl: null,
      staticLocation: 'pr-1/static',
      mediaLocation: 'pr-1/media',
    })
    const text = renderEnvPlan(result)
    expect(text).toContain('Static     served by the app itself (static.cdn: false, no CloudFront)')
    expect(text).toContain('Media      pre-signed S3 URLs under pr-1/media/')
    expect(text).not.toContain('CloudFront distribution at')
  })

  it('links media by pre-signed URLs with static.media: signed', async () => {
    const result = await plan('signed', `${MINIMAL_YAML}static:\n  media: signed\n`, false)

    expect(result.files).toMatchObject({
      cdnHost: 'static.shop.example.com',
      staticUrl: 'https://static.shop.example.com/pr-1/static/',
      mediaUrl: null,
    })
    expect(renderEnvPlan(result)).toContain(
      'Media      pre-signed S3 URLs under pr-1/media/ (static.media: signed)',
    )
  })

  it('plans no certificate stack for a base in us-east-1, whose own certificate serves the CDN', async () => {
    const east = MINIMAL_YAML.replace('region: eu-west-1', 'region: us-east-1')

    const result = await plan('east', east)

    expect(result.stacks.map((s) => [s.name, s.region])).toEqual([
      ['shop-dev', 'us-east-1'],
      ['shop-dev-pr-1', 'us-east-1'],
    ])
  })
})

describe('envPlan for a production env', () => {
  it('plans the production base and app stacks with the fixed priority', async () => {
    const plan = await envPlan(
      { name: 'prod', validate: false, imageTag: 'abc1234' },
      { cwd: example, report: recordingReporter() },
    )

    expect(plan).toMatchObject({
      kind: 'prod',
      base: 'prod',
      url: 'https://shop.example.com',
      listenerPriority: { value: 1000, source: 'fixed' },
      images: { tag: 'abc1234', source: 'flag' },
    })
    expect(plan.stacks.map((s) => s.name)).toEqual([
      'shop-prod-static',
      'shop-prod',
      'shop-prod-app',
    ])
    expect(plan.files.staticUrl).toBe('https://static-prod.shop.example.com/app/static/')
    expect(renderEnvPlan(plan)).toContain("(CloudFront, the env's own)")
    expect(plan.services.find((s) => s.name === 'web')).toEqual({
      name: 'web',
      desiredCount: 0,
      cpu: 1024,
      memory: 2048,
    })
  })
})

describe('envPlan --validate', () => {
  it('runs the CloudFormation validation and reports it passed', async () => {
    const plan = await envPlan(
      { name: 'pr-7', validate: true },
      { cwd: example, report: recordingReporter() },
    )

    expect(plan.validation).toBe('passed')
    expect(plan.validationWarnings).toEqual([])
  })
})

describe('envPlan refusals', () => {
  it('refuses an invalid name before synthesizing anything', async () => {
    const report = recordingReporter()

    await expect(
      envPlan({ name: 'PR_42', validate: false }, { cwd: example, report }),
    ).rejects.toMatchObject({
      djenvCode: 'NAME_INVALID',
      oclif: { exit: 2 },
    })
    expect(report.steps).toEqual([])
  })

  it('says when account and image tag are placeholders', async () => {
    tree.write('minimal/djenv.yml', MINIMAL_YAML)

    const plan = await envPlan(
      { name: 'pr-1', validate: false },
      { cwd: tree.path('minimal'), report: recordingReporter() },
    )

    expect(plan).toMatchObject({
      account: '000000000000',
      accountIsPlaceholder: true,
      images: { tag: 'dry-run', source: 'placeholder' },
    })
    expect(
      plan.stacks
        .find((s) => s.role === 'app')
        ?.resources.find((r) => r.type === 'AWS::ECS::Service')?.count,
    ).toBe(1)
    expect(renderEnvPlan(plan)).toContain('placeholder: set account in the configuration')
  })
})
