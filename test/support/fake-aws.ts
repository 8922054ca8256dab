/**
 * One call that makes toolkit-lib deploy and destroy hermetically (testing.md §1.5): class-level
 * mocks of every client it reaches on those paths, each rejecting any command it does not model
 * (the rejection names the command), over one consistent fake account:
 *
 * - STS (`@aws-sdk/client-sts`): GetCallerIdentity answers the account, user `djenv-test`.
 * - STS of the credential providers (`@aws-sdk/nested-clients/sts`): AssumeRole and
 *   AssumeRoleWithWebIdentity hand out temporary credentials for the bootstrap roles
 *   (`cdk-hnb659fds-{deploy,lookup,file-publishing,image-publishing}-role-<account>-<region>`);
 *   any other role, or any role when the environment is not bootstrapped: AccessDenied.
 * - SSM: GetParameter of `/cdk-bootstrap/hnb659fds/version` (when bootstrapped) and of the
 *   `parameters` option; anything else ParameterNotFound. PutParameter (Overwrite: false fails
 *   on an existing name), GetParametersByPath, DeleteParameter and DeleteParameters over them.
 * - S3: the bootstrap bucket `cdk-hnb659fds-assets-<account>-<region>` (when bootstrapped):
 *   GetBucketLocation, GetBucketEncryption (AES256), ListObjectsV2, PutObject (kept in
 *   `objects`, so CloudFormation can read a TemplateURL), HeadObject. Other buckets: NoSuchBucket.
 * - EC2: DescribeAvailabilityZones (`<region>a`, `b`, `c`) for context lookups.
 * - CloudTrail: LookupEvents finds nothing (toolkit-lib searches it when a deployment fails).
 * - CloudFormation: the fake in fake-cloudformation.ts, holding the `CDKToolkit` stack (version
 *   and bucket in its outputs) when bootstrapped.
 *
 * Credentials, region and the absence of config files come from test/setup.ts. toolkit-lib
 * caches "access key → account" under $CDK_HOME (default ~/.cdk), so each call points CDK_HOME
 * at a fresh temporary directory: nothing leaks between fakes or into the home directory.
 * Each call restores the previous fake first; `restore()` puts the real clients and CDK_HOME back.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'

import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail'
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2'
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NotFound,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandInput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3'
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  STSClient as CredentialsSTSClient,
  STSServiceException,
  type AssumeRoleCommandInput,
} from '@aws-sdk/nested-clients/sts'
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock'

import { FakeCloudFormation } from './fake-cloudformation.js'

export const QUALIFIER = 'hnb659fds'
export const BOOTSTRAP_VERSION_PARAMETER = `/cdk-bootstrap/${QUALIFIER}/version`

export interface FakeAwsOptions {
  /** Default 123456789012. */
  account?: string
  /** Default us-east-1, the region test/setup.ts sets. */
  region?: string
  /**
   * The CDK bootstrap version in SSM (default 30). `null`: the environment is not bootstrapped
   * (no parameter, no CDKToolkit stack, no bucket, no roles to assume).
   */
  bootstrapVersion?: number | null
  /** More SSM parameters, name → value. */
  parameters?: Record<string, string>
  /** Passed to the fake CloudFormation. */
  changeSetPolls?: number
  /** Passed to the fake CloudFormation: stacks in another region, by name. */
  stackRegions?: Record<string, string>
}

export interface BootstrapNames {
  bucket: string
  deployRole: string
  lookupRole: string
  filePublishingRole: string
  imagePublishingRole: string
  cfnExecRole: string
}

export interface FakeAws {
  account: string
  region: string
  cfn: FakeCloudFormation
  mocks: {
    cloudFormation: AwsClientStub<CloudFormationClient>
    sts: AwsClientStub<STSClient>
    credentialsSts: AwsClientStub<CredentialsSTSClient>
    s3: AwsClientStub<S3Client>
    ssm: AwsClientStub<SSMClient>
    ec2: AwsClientStub<EC2Client>
    cloudTrail: AwsClientStub<CloudTrailClient>
  }
  /** S3 objects by `<bucket>/<key>`, as text. */
  objects: Map<string, string>
  /** SSM parameters by name. */
  parameters: Map<string, string>
  /**
   * Every command no fake models, as `<service> <Command>`: each was rejected, but toolkit-lib
   * swallows some failures, so tests assert this stays empty.
   */
  unexpected(): string[]
  /** Names and role ARNs of the bootstrap resources (present only when bootstrapped). */
  bootstrap: BootstrapNames
  restore(): void
}

export function bootstrapNames(account: string, region: string): BootstrapNames {
  const role = (kind: string) =>
    `arn:aws:iam::${account}:role/cdk-${QUALIFIER}-${kind}-role-${account}-${region}`
  return {
    bucket: `cdk-${QUALIFIER}-assets-${account}-${region}`,
    deployRole: role('deploy'),
    lookupRole: role('lookup'),
    filePublishingRole: role('file-publishing'),
    imagePublishingRole: role('image-publishing'),
    cfnExecRole: role('cfn-exec'),
  }
}

let active: FakeAws | undefined

export function fakeAws(options: FakeAwsOptions = {}): FakeAws {
  active?.restore()
  const account = options.account ?? '123456789012'
  const region = options.region ?? 'us-east-1'
  const version = options.bootstrapVersion === undefined ? 30 : options.bootstrapVersion
  const names = bootstrapNames(account, region)
  const parameters = new Map(Object.entries(options.parameters ?? {}))
  if (version !== null) parameters.set(BOOTSTRAP_VERSION_PARAMETER, String(version))
  const buckets = new Set(version === null ? [] : [names.bucket])
  const objects = new Map<string, string>()
  const user = `arn:aws:iam::${account}:user/djenv-test`

  const cfn = new FakeCloudFormation({
    account,
    region,
    changeSetPolls: options.changeSetPolls,
    stackRegions: options.stackRegions,
    templateFromUrl: (url) => objects.get(s3Path(url)),
    ssmParameter: (name) => parameters.get(name),
  })
  const mocks: FakeAws['mocks'] = {
    cloudFormation: mockClient(CloudFormationClient),
    sts: mockClient(STSClient),
    credentialsSts: mockClient(CredentialsSTSClient),
    s3: mockClient(S3Client),
    ssm: mockClient(SSMClient),
    ec2: mockClient(EC2Client),
    cloudTrail: mockClient(CloudTrailClient),
  }
  cfn.attach(mocks.cloudFormation)
  const unexpected: string[] = []
  for (const [service, mock] of Object.entries(mocks)) {
    if (service === 'cloudFormation') continue
    ;(mock as AwsClientStub<S3Client>).send.callsFake((command: object) => {
      unexpected.push(`${service} ${command.constructor.name}`)
      return Promise.reject(
        new Error(`fake AWS: unexpected ${service} command ${command.constructor.name}`),
      )
    })
  }

  mocks.sts.on(GetCallerIdentityCommand).resolves({
    Account: account,
    Arn: user,
    UserId: 'AIDATESTONLY',
  })

  const assumable = new Set(
    version === null
      ? []
      : [names.deployRole, names.lookupRole, names.filePublishingRole, names.imagePublishingRole],
  )
  const assume = async (input: AssumeRoleCommandInput) => {
    const roleArn = input.RoleArn ?? ''
    if (!assumable.has(roleArn)) {
      throw new STSServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: `User: ${user} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      })
    }
    const roleName = roleArn.split('/').pop() ?? ''
    return {
      Credentials: {
        AccessKeyId: 'ASIATESTONLY',
        SecretAccessKey: 'test-only-assumed',
        SessionToken: 'test-only-session',
        Expiration: new Date(Date.now() + 3_600_000),
      },
      AssumedRoleUser: {
        Arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${input.RoleSessionName ?? 'session'}`,
        AssumedRoleId: `AROATESTONLY:${input.RoleSessionName ?? 'session'}`,
      },
    }
  }
  mocks.credentialsSts.on(AssumeRoleCommand).callsFake(assume)
  mocks.credentialsSts.on(AssumeRoleWithWebIdentityCommand).callsFake(assume)

  mocks.ssm.on(GetParameterCommand).callsFake(async (input: { Name?: string }) => {
    const value = parameters.get(input.Name ?? '')
    if (value === undefined) {
      throw new ParameterNotFound({ message: 'Parameter not found', $metadata: {} })
    }
    return { Parameter: { Name: input.Name, Type: 'String', Value: value, Version: 1 } }
  })
  // Parameter Store as djenv uses it: conditional puts (a claim exists once), reads by path
  // (one page, recursive), DeleteParameter (ParameterNotFound) and DeleteParameters (ignores
  // missing names).
  mocks.ssm.on(PutParameterCommand).callsFake(async (input: PutParameterCommandInput) => {
    const name = input.Name ?? ''
    if (parameters.has(name) && !input.Overwrite) {
      throw new ParameterAlreadyExists({ message: 'The parameter already exists.', $metadata: {} })
    }
    parameters.set(name, input.Value ?? '')
    return { Version: 1, Tier: 'Standard' }
  })
  mocks.ssm.on(GetParametersByPathCommand).callsFake(async (input: { Path?: string }) => ({
    Parameters: [...parameters]
      .filter(([name]) => name.startsWith(`${input.Path ?? ''}/`))
      .map(([Name, Value]) => ({ Name, Value, Type: 'String', Version: 1 })),
  }))
  mocks.ssm.on(DeleteParameterCommand).callsFake(async (input: { Name?: string }) => {
    if (!parameters.delete(input.Name ?? '')) {
      throw new ParameterNotFound({ message: 'Parameter not found', $metadata: {} })
    }
    return {}
  })
  mocks.ssm.on(DeleteParametersCommand).callsFake(async (input: { Names?: string[] }) => {
    const names = input.Names ?? []
    for (const name of names) parameters.delete(name)
    return { DeletedParameters: names, InvalidParameters: [] }
  })

  const bucket = (name: string | undefined): string => {
    if (name === undefined || !buckets.has(name)) {
      throw new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} })
    }
    return name
  }
  mocks.s3.on(GetBucketLocationCommand).callsFake(async (input: { Bucket?: string }) => {
    bucket(input.Bucket)
    return { LocationConstraint: region === 'us-east-1' ? undefined : region }
  })
  mocks.s3.on(GetBucketEncryptionCommand).callsFake(async (input: { Bucket?: string }) => {
    bucket(input.Bucket)
    return {
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    }
  })
  mocks.s3.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => {
    const name = bucket(input.Bucket)
    const keys = [...objects.keys()]
      .filter((k) => k.startsWith(`${name}/${input.Prefix ?? ''}`))
      .map((k) => k.slice(name.length + 1))
      .sort()
      .slice(0, input.MaxKeys ?? 1000)
    return {
      Contents: keys.map((Key) => ({ Key, Size: objects.get(`${name}/${Key}`)?.length ?? 0 })),
      KeyCount: keys.length,
    }
  })
  mocks.s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    const name = bucket(input.Bucket)
    objects.set(`${name}/${input.Key ?? ''}`, await text(input.Body))
    return { ETag: '"fake-etag"' }
  })
  mocks.s3.on(HeadObjectCommand).callsFake(async (input: { Bucket?: string; Key?: string }) => {
    const body = objects.get(`${bucket(input.Bucket)}/${input.Key ?? ''}`)
    if (body === undefined) throw new NotFound({ message: 'Not Found', $metadata: {} })
    return { ContentLength: body.length }
  })

  mocks.ec2.on(DescribeAvailabilityZonesCommand).resolves({
    AvailabilityZones: ['a', 'b', 'c'].map((z) => ({
      ZoneName: `${region}${z}`,
      State: 'available',
      RegionName: region,
      ZoneType: 'availability-zone',
    })),
  })
  mocks.cloudTrail.on(LookupEventsCommand).resolves({ Events: [] })

  if (version !== null) {
    cfn.givenStack({
      name: 'CDKToolkit',
      terminationProtection: true,
      template: {
        Resources: {
          StagingBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: names.bucket } },
          CdkBootstrapVersion: {
            Type: 'AWS::SSM::Parameter',
            Properties: { Name: BOOTSTRAP_VERSION_PARAMETER, Type: 'String', Value: version },
          },
        },
        Outputs: {
          BucketName: { Value: names.bucket },
          BucketDomainName: { Value: `${names.bucket}.s3.${region}.amazonaws.com` },
          BootstrapVersion: { Value: String(version) },
        },
      },
    })
  }

  const previousCdkHome = process.env.CDK_HOME
  const cdkHome = mkdtempSync(join(tmpdir(), 'djenv-cdk-home-'))
  process.env.CDK_HOME = cdkHome
  let restored = false

  const fake: FakeAws = {
    account,
    region,
    cfn,
    mocks,
    objects,
    parameters,
    unexpected: () => [...cfn.unexpected.map((c) => `cloudFormation ${c}`), ...unexpected],
    bootstrap: names,
    restore() {
      if (restored) return
      restored = true
      for (const mock of Object.values(mocks)) mock.restore()
      if (previousCdkHome === undefined) delete process.env.CDK_HOME
      else process.env.CDK_HOME = previousCdkHome
      rmSync(cdkHome, { recursive: true, force: true })
      if (active === fake) active = undefined
    },
  }
  active = fake
  return fake
}

/** `<bucket>/<key>` of an S3 URL, path-style or virtual-hosted. */
export function s3Path(url: string): string {
  const u = new URL(url)
  const path = decodeURIComponent(u.pathname.replace(/^\//, ''))
  if (u.protocol === 's3:') return `${u.hostname}/${path}`
  const virtual = /^(.+)\.s3[.-]/.exec(u.hostname)
  return virtual ? `${virtual[1]}/${path}` : path
}

async function text(body: unknown): Promise<string> {
  if (typeof body === 'string') return body
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8')
  if (body instanceof Readable || isAsyncIterable(body)) {
    const chunks: Buffer[] = []
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk))
    }
    return Buffer.concat(chunks).toString('utf8')
  }
  throw new Error(`fake S3: cannot read a body of type ${typeof body}`)
}

function isAsyncIterable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value
}
