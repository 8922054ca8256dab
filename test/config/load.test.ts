import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { discoverConfigFile, loadConfig } from '../../src/config/load.js'
import { MINIMAL_CONFIG, MINIMAL_YAML, tempTree } from '../support/tmp.js'

let tree: ReturnType<typeof tempTree>

beforeEach(() => {
  tree = tempTree()
})

afterEach(() => tree.cleanup())

const TOML = `[project]
name = "shop"

[tool.black]
line-length = 100

[tool.djenv]
project = "shop"
region = "eu-west-1"
domain = "shop.example.com"
hostedZoneId = "Z0123456789ABCDEFGHIJ"

[tool.djenv.image]
repository = "shop"

[tool.djenv.django]
settingsModule = "shop.settings"

[tool.djenv.services.web]
command = ["gunicorn", "shop.wsgi"]
`

describe('loadConfig', () => {
  it.each([
    ['djenv.yml', MINIMAL_YAML, 'yaml'],
    ['djenv.yaml', MINIMAL_YAML, 'yaml'],
    ['djenv.json', JSON.stringify(MINIMAL_CONFIG), 'json'],
    ['pyproject.toml', TOML, 'pyproject'],
  ])('reads %s', async (name, text, format) => {
    tree.write(name, text)

    const loaded = await loadConfig({ cwd: tree.root })

    expect(loaded.format).toBe(format)
    expect(loaded.file).toBe(tree.path(name))
    expect(loaded.data.project).toBe('shop')
    expect(loaded.data.adhoc).toMatchObject({ base: 'dev', spot: true, ttl: '7d' })
    expect(loaded.data.django.healthCheckPath).toBe('/health/')
  })

  it('walks up from a subdirectory to the nearest configuration', async () => {
    tree.write('djenv.yml', MINIMAL_YAML.replace('project: shop', 'project: outer'))
    tree.write('app/djenv.yml', MINIMAL_YAML)
    const cwd = tree.mkdir('app/shop/templates')

    const loaded = await loadConfig({ cwd })

    expect(loaded.file).toBe(tree.path('app/djenv.yml'))
    expect(loaded.dir).toBe(tree.path('app'))
  })

  it('skips a pyproject.toml without a [tool.djenv] table and keeps walking up', async () => {
    tree.write('djenv.yml', MINIMAL_YAML)
    tree.write(
      'backend/pyproject.toml',
      '[project]\nname = "shop"\n[tool.ruff]\nline-length = 100\n',
    )

    expect(discoverConfigFile(tree.path('backend'))).toBe(tree.path('djenv.yml'))
  })

  it('prefers --config over the discovered file', async () => {
    tree.write('djenv.yml', MINIMAL_YAML.replace('project: shop', 'project: found'))
    tree.write('ci/other.yml', MINIMAL_YAML.replace('project: shop', 'project: chosen'))

    const loaded = await loadConfig({ cwd: tree.root, path: 'ci/other.yml' })

    expect(loaded.data.project).toBe('chosen')
  })

  it('refuses two configurations in one directory, naming both', async () => {
    tree.write('djenv.yml', MINIMAL_YAML)
    tree.write('pyproject.toml', TOML)

    await expect(loadConfig({ cwd: tree.root })).rejects.toMatchObject({
      djenvCode: 'CONFIG_INVALID',
      oclif: { exit: 2 },
      message: expect.stringMatching(/djenv\.yml, pyproject\.toml/),
    })
  })

  it('says how to start when there is no configuration anywhere', async () => {
    await expect(loadConfig({ cwd: tree.mkdir('empty') })).rejects.toMatchObject({
      djenvCode: 'CONFIG_NOT_FOUND',
      oclif: { exit: 2 },
      hint: expect.stringContaining('djenv init'),
    })
  })

  it('reports a missing --config file', async () => {
    await expect(loadConfig({ cwd: tree.root, path: 'nope.yml' })).rejects.toMatchObject({
      djenvCode: 'CONFIG_NOT_FOUND',
      message: expect.stringContaining('nope.yml'),
    })
  })

  it.each([
    [
      'djenv.yml',
      'project: shop\n  region: [',
      /djenv\.yml cannot be parsed at line 1, column 10: Nested mappings/,
    ],
    [
      'djenv.json',
      '{"project": "shop",}',
      /djenv\.json cannot be parsed( at line 1, column \d+)?: /,
    ],
    [
      'pyproject.toml',
      '[tool.djenv]\nproject = shop\n',
      /pyproject\.toml cannot be parsed at line 2, column \d+: /,
    ],
  ])('names the file and position of a syntax error in %s', async (name, text, message) => {
    tree.write(name, text)

    await expect(loadConfig({ cwd: tree.root })).rejects.toMatchObject({
      djenvCode: 'CONFIG_INVALID',
      oclif: { exit: 2 },
      message: expect.stringMatching(message),
    })
  })

  it('refuses an empty file', async () => {
    tree.write('djenv.yml', '# nothing yet\n')

    await expect(loadConfig({ cwd: tree.root })).rejects.toMatchObject({
      djenvCode: 'CONFIG_INVALID',
      message: 'djenv.yml is empty.',
    })
  })
})

describe('validation errors', () => {
  const cases: [string, string, RegExp][] = [
    [
      'a missing key',
      MINIMAL_YAML.replace('region: eu-west-1\n', ''),
      /region: required \(expected string\)/,
    ],
    [
      'a wrong type',
      `${MINIMAL_YAML}adhoc:\n  spot: sometimes\n`,
      /adhoc\.spot: .*expected boolean/,
    ],
    ['an unknown key', `${MINIMAL_YAML}regoin: eu-west-1\n`, /\(top level\): unknown key "regoin"/],
    [
      'a bad project name',
      MINIMAL_YAML.replace('project: shop', 'project: Shop_App'),
      /project: has upper-case letters/,
    ],
    [
      'a long base name',
      `${MINIMAL_YAML}adhoc:\n  base: development-shared\n`,
      /adhoc\.base: is 18 characters long; the limit is 12/,
    ],
    [
      'a bad region',
      MINIMAL_YAML.replace('eu-west-1', 'Ireland'),
      /region: expected an AWS region/,
    ],
    [
      'a bad zone id',
      MINIMAL_YAML.replace('Z0123456789ABCDEFGHIJ', 'example.com'),
      /hostedZoneId: expected a Route 53 hosted zone id/,
    ],
    [
      'the latest tag',
      MINIMAL_YAML.replace('repository: shop', 'repository: shop\n  tag: latest'),
      /image\.tag: the mutable tag `latest` is refused/,
    ],
    [
      'an impossible Fargate size',
      MINIMAL_YAML.replace(
        'command: gunicorn shop.wsgi',
        'command: gunicorn shop.wsgi\n    cpu: 256\n    memory: 4096',
      ),
      /services\.web\.memory: Fargate does not offer 4096 MiB with 256 CPU units/,
    ],
    [
      'an unknown CPU size',
      MINIMAL_YAML.replace(
        'command: gunicorn shop.wsgi',
        'command: gunicorn shop.wsgi\n    cpu: 300',
      ),
      /services\.web\.cpu: expected one of 256, 512/,
    ],
    ['a bad TTL', `${MINIMAL_YAML}adhoc:\n  ttl: 1 week\n`, /adhoc\.ttl: expected a duration/],
    [
      'a production env named like the base',
      `${MINIMAL_YAML}production:\n  dev: {}\n`,
      /production\.dev: production env "dev" has the name of the ad hoc base/,
    ],
    [
      'min above max',
      `${MINIMAL_YAML}production:\n  prod:\n    web: { min: 5, max: 2 }\n`,
      /production\.prod\.web\.min: min \(5\) is above max \(2\)/,
    ],
    [
      'a zone outside the region',
      `${MINIMAL_YAML}availabilityZones: [eu-west-1a, us-east-1b]\n`,
      /availabilityZones\.1: us-east-1b is not in region eu-west-1/,
    ],
    [
      'a CDN host outside the hosted zone',
      `${MINIMAL_YAML}static:\n  domain: cdn.example.org\n`,
      /static\.domain: CDN host cdn\.example\.org is not under shop\.example\.com/,
    ],
    [
      'a production CDN host that a production env serves',
      `${MINIMAL_YAML}production:\n  prod:\n    hostnames: [www.shop.example.com]\n    static: { domain: www.shop.example.com }\n`,
      /production\.prod\.static\.domain: CDN host www\.shop\.example\.com is already used by production\.prod\.hostnames/,
    ],
    [
      'a CDN certificate outside us-east-1',
      `${MINIMAL_YAML}static:\n  certificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\n`,
      /static\.certificateArn: expected an ACM certificate ARN in us-east-1/,
    ],
  ]

  it.each(cases)(
    'names the key path and what was expected for %s',
    async (_label, text, message) => {
      tree.write('djenv.yml', text)

      const error = await loadConfig({ cwd: tree.root }).catch((e: unknown) => e)

      expect(error).toMatchObject({ djenvCode: 'CONFIG_INVALID', oclif: { exit: 2 } })
      expect((error as Error).message).toMatch(/^djenv\.yml has an error:/)
      expect((error as Error).message).toMatch(message)
    },
  )

  it('lists every error at once', async () => {
    tree.write(
      'djenv.yml',
      MINIMAL_YAML.replace('region: eu-west-1', 'region: 1').replace(
        'project: shop',
        'project: 9shop',
      ),
    )

    await expect(loadConfig({ cwd: tree.root })).rejects.toMatchObject({
      message: expect.stringMatching(
        /has 2 errors:\n {2}project: must start with a letter\n {2}region: /,
      ),
    })
  })
})
