import { z } from 'zod'

import { parseDuration } from './duration.js'
import {
  DJENV_VARIABLES,
  ENV_VAR_NAME_MAX,
  RESERVED_PREFIX,
  ENV_VAR_NAME_PATTERN,
  envVarNameProblem,
  reservedBy,
} from './environment.js'
import { NAME_LIMITS, nameProblem } from './names.js'

/** CPU units → allowed memory (MiB) for a Fargate task, from the Fargate task-size table. */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = []
  for (let v = from; v <= to; v += step) out.push(v)
  return out
}

const label = (kind: keyof typeof NAME_LIMITS) =>
  z
    .string()
    .superRefine((value, ctx) => {
      const problem = nameProblem(value, NAME_LIMITS[kind])
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })
    // The same rules for editors: zod cannot translate a refinement into JSON Schema.
    .meta({ pattern: '^[a-z](?!.*--)([a-z0-9-]*[a-z0-9])?$', maxLength: NAME_LIMITS[kind] })

const command = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .describe('A command: a string (split like a shell would, without expansion) or a list of words.')

const cpu = z
  .number()
  .int()
  .refine((v) => v in FARGATE_SIZES, {
    message: `expected one of ${Object.keys(FARGATE_SIZES).join(', ')} (CPU units: 1024 = 1 vCPU)`,
  })
  .describe('CPU units (1024 = 1 vCPU).')
  .meta({ enum: Object.keys(FARGATE_SIZES).map(Number) })

const memory = z.number().int().positive().describe('Memory in MiB.')

function sized<T extends z.ZodRawShape>(shape: T) {
  return z
    .strictObject({ cpu: cpu.optional(), memory: memory.optional(), ...shape })
    .superRefine((value, ctx) => {
      const { cpu: c, memory: m } = value as { cpu?: number; memory?: number }
      if (c === undefined || m === undefined) return
      const allowed = FARGATE_SIZES[c]
      if (allowed && !allowed.includes(m)) {
        ctx.addIssue({
          code: 'custom',
          path: ['memory'],
          message: `Fargate does not offer ${m} MiB with ${c} CPU units; allowed: ${allowed.join(', ')}`,
        })
      }
    })
}

const scaling = {
  min: z.number().int().min(1).max(100).optional().describe('Fewest tasks (autoscaling).'),
  max: z.number().int().min(1).max(100).optional().describe('Most tasks (autoscaling).'),
}

const webService = sized({
  command,
  port: z.number().int().min(1).max(65535).default(8000).describe('Port gunicorn listens on.'),
  desiredCount: z.number().int().min(0).max(10).default(1).describe('Tasks in ad hoc envs.'),
})

const workerService = sized({
  command,
  desiredCount: z.number().int().min(0).max(10).default(1).describe('Tasks in ad hoc envs.'),
})

const beatService = sized({ command })

const duration = z
  .string()
  .superRefine((value, ctx) => {
    if (parseDuration(value) === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a duration such as 30m, 12h, 7d or 2w' })
    }
  })
  .describe('A duration: a number followed by m, h, d or w (7d = seven days).')

const envVarName = z
  .string()
  .superRefine((value, ctx) => {
    const problem = envVarNameProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: `"${value}" ${problem}` })
  })
  .meta({ pattern: ENV_VAR_NAME_PATTERN, maxLength: ENV_VAR_NAME_MAX })

/**
 * Plain settings: container environment variables (never secrets: see `djenv secret set`).
 * Names are checked in checkEnvironmentNames, whose messages name the key; the JSON Schema
 * gets the same rule for editors.
 */
const environment = z
  .record(z.string(), z.string().describe('A string: quote numbers and booleans ("1", "true").'))
  .meta({
    propertyNames: {
      pattern: ENV_VAR_NAME_PATTERN,
      maxLength: ENV_VAR_NAME_MAX,
      not: {
        anyOf: [{ enum: Object.keys(DJENV_VARIABLES) }, { pattern: `^${RESERVED_PREFIX}` }],
      },
    },
  })
  .default({})

const kmsKey = z
  .string()
  .regex(
    /^((mrk-[0-9a-f]{32})|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})))$/,
    'expected a KMS key id or key ARN (an alias cannot be granted to the tasks)',
  )

const secrets = z.strictObject({
  names: z
    .array(envVarName)
    .default([])
    .describe(
      'Secrets the app expects (set with `djenv secret set`): listed by offline plans, and reported when an env has no value.',
    ),
  kmsKey: kmsKey
    .optional()
    .describe('KMS key (id or ARN) that encrypts secrets; default: the AWS managed key aws/ssm.'),
})

const database = z.strictObject({
  instanceClass: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an RDS instance class such as db.t4g.micro')
    .optional(),
  engineVersion: z
    .string()
    .regex(/^1[4-9]$/, 'expected a PostgreSQL major version from 14 to 19 (minor versions move)')
    .default('17'),
  allocatedStorage: z.number().int().min(20).max(16384).default(20),
  multiAz: z.boolean().optional().describe('Production only: a standby in a second AZ.'),
  backupRetentionDays: z.number().int().min(1).max(35).optional(),
})

const cidr = z
  .string()
  .regex(
    /^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-4])$/,
    'expected an IPv4 CIDR from /16 to /24, e.g. 10.0.0.0/16',
  )

const network = {
  vpcCidr: cidr
    .optional()
    .describe('VPC address range; pick one you will never need to peer over.'),
  nat: z
    .enum(['instance', 'gateway'])
    .optional()
    .describe('Egress: a t4g.nano NAT instance or a managed NAT gateway.'),
  redis: z.boolean().default(false).describe('A Redis (ElastiCache) node for Celery.'),
  bastion: z.boolean().default(true).describe('An SSM-managed bastion for port forwarding.'),
  database: database.prefault({}),
  environment: environment.describe(
    'Plain settings for these envs, over the top-level `environment`.',
  ),
}

const adhoc = z.strictObject({
  base: label('base').default('dev').describe('Name of the shared base all ad hoc envs run on.'),
  spot: z.boolean().default(true).describe('Run ad hoc services on Fargate Spot.'),
  ttl: duration
    .default('7d')
    .describe('Ad hoc envs not deployed for this long are removed by `env gc`.'),
  ...network,
})

const hostname = z
  .string()
  .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'expected a hostname such as www.example.com')

/** CloudFront takes certificates from us-east-1 only, whatever the stacks' region. */
const cdnCertificateArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/,
    'expected an ACM certificate ARN in us-east-1 (CloudFront uses certificates from there only)',
  )

/** Static and media files (infrastructure.md §7). */
const staticFiles = z.strictObject({
  cdn: z
    .boolean()
    .default(true)
    .describe(
      'Serve static and media files from the assets bucket through CloudFront. false: no distribution and no collectstatic task; the app serves its static files itself (e.g. whitenoise).',
    ),
  domain: hostname
    .optional()
    .describe("CDN host of the ad hoc base (default static.<domain>), in the domain's zone."),
  certificateArn: cdnCertificateArn
    .optional()
    .describe(
      'Certificate in us-east-1 for the CDN hosts (a wildcard *.<domain> covers them all); when absent, djenv creates a DNS-validated one in a small us-east-1 stack per base.',
    ),
  media: z
    .enum(['cdn', 'signed'])
    .default('cdn')
    .describe(
      'cdn: media files are served through the distribution (short caching; anyone with a URL can read them). signed: the distribution may not read media, and the app links them with pre-signed S3 URLs.',
    ),
  collectstatic: command
    .default('python manage.py collectstatic --noinput')
    .describe('Runs as a one-off task after migrations in every deploy (with the CDN on).'),
})

const production = z.strictObject({
  hostnames: z
    .array(hostname)
    .min(1)
    .optional()
    .describe('Hostnames served (default: the domain itself).'),
  static: z
    .strictObject({
      domain: hostname
        .optional()
        .describe("This env's CDN host (default static-<env>.<domain>), in the domain's zone."),
      certificateArn: cdnCertificateArn
        .optional()
        .describe('Certificate in us-east-1 for the CDN host (default: static.certificateArn).'),
    })
    .prefault({})
    .describe("This env's own distribution (with static.cdn on)."),
  web: sized({ ...scaling }).prefault({}),
  worker: sized({ ...scaling }).prefault({}),
  ...network,
})

const image = z.strictObject({
  repository: z
    .string()
    .regex(
      /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
      'expected an ECR repository name such as shop or team/shop',
    )
    .describe('ECR repository name in the project account and region.'),
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'expected an image tag')
    .refine(
      (t) => t !== 'latest',
      'the mutable tag `latest` is refused: use an immutable tag such as the git SHA',
    )
    .optional()
    .describe('Tag used when an env has no deployed image yet.'),
})

/** The shape of `djenv.yml`, `djenv.json` or `[tool.djenv]` in `pyproject.toml`. */
export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    djenvVersion: z
      .string()
      .optional()
      .describe('Range of djenv versions this project works with, e.g. ">=0.1 <1".'),
    project: label('project').describe('Project name: prefixes every stack and resource name.'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1')
      .describe('AWS region of every stack.'),
    profile: z
      .string()
      .min(1)
      .optional()
      .describe('AWS profile (ignored when credentials come from the environment).'),
    account: z
      .string()
      .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
      .optional()
      .describe('AWS account id; djenv refuses to run against another account.'),
    availabilityZones: z
      .array(
        z
          .string()
          .regex(
            /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/,
            'expected an availability zone such as eu-west-1a',
          ),
      )
      .min(2)
      .max(3)
      .optional()
      .describe('Availability zones (default: the region\'s "a" and "b").'),
    domain: z
      .string()
      .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'expected a domain name such as example.com')
      .describe('Envs are served at <env>.<domain>.'),
    hostedZoneId: z
      .string()
      .regex(
        /^Z[A-Z0-9]{4,32}$/,
        'expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ',
      )
      .describe('Route 53 hosted zone of the domain.'),
    certificateArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/,
        'expected an ACM certificate ARN',
      )
      .optional()
      .describe('Certificate for *.<domain> in the region; created and DNS-validated when absent.'),
    image,
    defaultEnv: label('env')
      .optional()
      .describe(
        'Env that exec, port-forward, migrate, run and logs use when none is named (after DJENV_ENV).',
      ),
    django: z
      .strictObject({
        settingsModule: z
          .string()
          .regex(
            /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
            'expected a dotted module path',
          )
          .describe('DJANGO_SETTINGS_MODULE.'),
        healthCheckPath: z
          .string()
          .regex(/^\/\S*$/, 'expected a path starting with /')
          .default('/health/')
          .describe('Path the load balancer checks; must answer 200-399 without a database write.'),
      })
      .describe('Django settings.'),
    services: z.strictObject({
      web: webService,
      worker: workerService.optional(),
      beat: beatService.optional(),
    }),
    migrate: z
      .strictObject({ command: command.default('python manage.py migrate --noinput') })
      .prefault({}),
    static: staticFiles
      .prefault({})
      .describe('Static and media files: CloudFront over the private assets bucket.'),
    environment: environment.describe(
      'Plain settings (container environment variables) of every env.',
    ),
    secrets: secrets
      .prefault({})
      .describe('Secrets: SSM SecureString parameters written by `djenv secret set`.'),
    adhoc: adhoc.prefault({}),
    production: z
      .record(label('env'), production)
      .default({})
      .describe('Production environments by name.'),
  })
  .superRefine((config, ctx) => {
    for (const name of Object.keys(config.production)) {
      if (name === config.adhoc.base) {
        ctx.addIssue({
          code: 'custom',
          path: ['production', name],
          message: `production env "${name}" has the name of the ad hoc base; their stacks would collide`,
        })
      }
      const { web, worker } = config.production[name] ?? {}
      for (const [svc, s] of [
        ['web', web],
        ['worker', worker],
      ] as const) {
        if (s?.min !== undefined && s.max !== undefined && s.min > s.max) {
          ctx.addIssue({
            code: 'custom',
            path: ['production', name, svc, 'min'],
            message: `min (${s.min}) is above max (${s.max})`,
          })
        }
      }
    }
    checkEnvironmentNames(config, ctx)
    checkCdnDomains(config, ctx)
    if (config.availabilityZones) {
      for (const [i, az] of config.availabilityZones.entries()) {
        if (!az.startsWith(config.region)) {
          ctx.addIssue({
            code: 'custom',
            path: ['availabilityZones', i],
            message: `${az} is not in region ${config.region}`,
          })
        }
      }
    }
  })

/**
 * Extras cannot shadow djenv's names (infrastructure.md §8), and a name is either a plain
 * setting or a secret, never both.
 */
function checkEnvironmentNames(
  config: {
    environment: Record<string, string>
    adhoc: { environment: Record<string, string> }
    production: Record<string, { environment: Record<string, string> }>
    secrets: { names: string[] }
  },
  ctx: z.RefinementCtx,
): void {
  const blocks: [(string | number)[], Record<string, string>][] = [
    [['environment'], config.environment],
    [['adhoc', 'environment'], config.adhoc.environment],
    ...Object.entries(config.production).map(
      ([name, prod]): [(string | number)[], Record<string, string>] => [
        ['production', name, 'environment'],
        prod.environment,
      ],
    ),
  ]
  const secretNames = new Set(config.secrets.names)
  for (const [path, block] of blocks) {
    for (const name of Object.keys(block)) {
      const problem = envVarNameProblem(name)
      const reserved = reservedBy(name)
      if (problem) {
        ctx.addIssue({ code: 'custom', path: [...path, name], message: `"${name}" ${problem}` })
      } else if (reserved) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, name],
          message: `clashes with ${reserved}; extras cannot shadow djenv's names`,
        })
      } else if (secretNames.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, name],
          message: `${name} is also listed in secrets.names; a name is either a plain setting or a secret`,
        })
      }
    }
  }
  for (const [i, name] of config.secrets.names.entries()) {
    const reserved = reservedBy(name, { secret: true })
    if (reserved) {
      ctx.addIssue({
        code: 'custom',
        path: ['secrets', 'names', i],
        message: `${name} clashes with ${reserved}`,
      })
    }
  }
}

/**
 * Each CDN host is in the domain's hosted zone (its alias record goes there), and no two
 * distributions or app hosts share one: CloudFront refuses a host another distribution has.
 */
function checkCdnDomains(
  config: {
    domain: string
    static: { cdn: boolean; domain?: string | undefined }
    production: Record<string, { hostnames?: string[] | undefined; static: { domain?: string | undefined } }>
  },
  ctx: z.RefinementCtx,
): void {
  if (!config.static.cdn) return
  const seen = new Map<string, string>()
  const hosts: [(string | number)[], string][] = [
    [['static', 'domain'], config.static.domain ?? `static.${config.domain}`],
    ...Object.entries(config.production).map(([name, prod]): [(string | number)[], string] => [
      ['production', name, 'static', 'domain'],
      prod.static.domain ?? `static-${name}.${config.domain}`,
    ]),
  ]
  for (const [name, prod] of Object.entries(config.production)) {
    for (const host of prod.hostnames ?? [config.domain]) seen.set(host, `production.${name}.hostnames`)
  }
  for (const [path, host] of hosts) {
    if (!host.endsWith(`.${config.domain}`)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `CDN host ${host} is not under ${config.domain}, the hosted zone djenv writes its record to`,
      })
    }
    const other = seen.get(host)
    if (other) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `CDN host ${host} is already used by ${other}; each distribution needs its own host`,
      })
    }
    seen.set(host, path.join('.'))
  }
}

/** The validated configuration with defaults applied. */
export type ConfigData = z.output<typeof configSchema>
/** What a user may write. */
export type ConfigInput = z.input<typeof configSchema>
export type ProductionConfig = ConfigData['production'][string]
export type ServiceName = 'web' | 'worker' | 'beat'

/** The services the configuration defines, in deploy order: web always, worker and beat if set. */
export function configuredServices(config: Pick<ConfigData, 'services'>): ServiceName[] {
  return (['web', 'worker', 'beat'] as const).filter((name) => config.services[name] !== undefined)
}
