import type * as cfn from '@aws-sdk/client-cloudformation'
import type * as ecr from '@aws-sdk/client-ecr'
import type * as ec2 from '@aws-sdk/client-ec2'
import type * as ecs from '@aws-sdk/client-ecs'
import type * as elbv2 from '@aws-sdk/client-elastic-load-balancing-v2'
import type * as logs from '@aws-sdk/client-cloudwatch-logs'
import type * as s3 from '@aws-sdk/client-s3'
import type * as secretsmanager from '@aws-sdk/client-secrets-manager'
import type * as ssm from '@aws-sdk/client-ssm'
import type {
  GetCallerIdentityCommandInput,
  GetCallerIdentityCommandOutput,
} from '@aws-sdk/client-sts'

import { debugFor } from '../core/debug.js'
import { mapCommonAwsError } from './errors.js'
import { customEndpoint, type AwsSettings } from './settings.js'

const log = debugFor('aws')

/** STS, as djenv uses it. */
export interface StsApi {
  getCallerIdentity(input?: GetCallerIdentityCommandInput): Promise<GetCallerIdentityCommandOutput>
}

/** Per-call options: an abort signal ends a request, or a response stream such as live tail. */
export interface CallOptions {
  abortSignal?: AbortSignal
}

type Op<I, O> = (input: I, options?: CallOptions) => Promise<O>

export interface CloudFormationApi {
  describeStacks: Op<cfn.DescribeStacksCommandInput, cfn.DescribeStacksCommandOutput>
  describeStackEvents: Op<cfn.DescribeStackEventsCommandInput, cfn.DescribeStackEventsCommandOutput>
  listStackResources: Op<cfn.ListStackResourcesCommandInput, cfn.ListStackResourcesCommandOutput>
  updateTerminationProtection: Op<
    cfn.UpdateTerminationProtectionCommandInput,
    cfn.UpdateTerminationProtectionCommandOutput
  >
}

export interface EcsApi {
  describeServices: Op<ecs.DescribeServicesCommandInput, ecs.DescribeServicesCommandOutput>
  describeTaskDefinition: Op<
    ecs.DescribeTaskDefinitionCommandInput,
    ecs.DescribeTaskDefinitionCommandOutput
  >
  runTask: Op<ecs.RunTaskCommandInput, ecs.RunTaskCommandOutput>
  describeTasks: Op<ecs.DescribeTasksCommandInput, ecs.DescribeTasksCommandOutput>
  executeCommand: Op<ecs.ExecuteCommandCommandInput, ecs.ExecuteCommandCommandOutput>
  listTasks: Op<ecs.ListTasksCommandInput, ecs.ListTasksCommandOutput>
  stopTask: Op<ecs.StopTaskCommandInput, ecs.StopTaskCommandOutput>
  updateService: Op<ecs.UpdateServiceCommandInput, ecs.UpdateServiceCommandOutput>
  registerTaskDefinition: Op<
    ecs.RegisterTaskDefinitionCommandInput,
    ecs.RegisterTaskDefinitionCommandOutput
  >
  deregisterTaskDefinition: Op<
    ecs.DeregisterTaskDefinitionCommandInput,
    ecs.DeregisterTaskDefinitionCommandOutput
  >
  listTaskDefinitions: Op<ecs.ListTaskDefinitionsCommandInput, ecs.ListTaskDefinitionsCommandOutput>
}

export interface SsmApi {
  startSession: Op<ssm.StartSessionCommandInput, ssm.StartSessionCommandOutput>
  resumeSession: Op<ssm.ResumeSessionCommandInput, ssm.ResumeSessionCommandOutput>
  terminateSession: Op<ssm.TerminateSessionCommandInput, ssm.TerminateSessionCommandOutput>
  describeInstanceInformation: Op<
    ssm.DescribeInstanceInformationCommandInput,
    ssm.DescribeInstanceInformationCommandOutput
  >
  getParameter: Op<ssm.GetParameterCommandInput, ssm.GetParameterCommandOutput>
  getParametersByPath: Op<ssm.GetParametersByPathCommandInput, ssm.GetParametersByPathCommandOutput>
  putParameter: Op<ssm.PutParameterCommandInput, ssm.PutParameterCommandOutput>
  deleteParameter: Op<ssm.DeleteParameterCommandInput, ssm.DeleteParameterCommandOutput>
  deleteParameters: Op<ssm.DeleteParametersCommandInput, ssm.DeleteParametersCommandOutput>
}

export interface Elbv2Api {
  describeRules: Op<elbv2.DescribeRulesCommandInput, elbv2.DescribeRulesCommandOutput>
  describeTargetHealth: Op<
    elbv2.DescribeTargetHealthCommandInput,
    elbv2.DescribeTargetHealthCommandOutput
  >
}

export interface EcrApi {
  describeImages: Op<ecr.DescribeImagesCommandInput, ecr.DescribeImagesCommandOutput>
}

export interface S3Api {
  listObjectsV2: Op<s3.ListObjectsV2CommandInput, s3.ListObjectsV2CommandOutput>
  deleteObjects: Op<s3.DeleteObjectsCommandInput, s3.DeleteObjectsCommandOutput>
}

export interface LogsApi {
  getLogEvents: Op<logs.GetLogEventsCommandInput, logs.GetLogEventsCommandOutput>
  filterLogEvents: Op<logs.FilterLogEventsCommandInput, logs.FilterLogEventsCommandOutput>
  /** An event stream; pass `abortSignal` to end it. */
  startLiveTail: Op<logs.StartLiveTailCommandInput, logs.StartLiveTailCommandOutput>
}

export interface SecretsManagerApi {
  getSecretValue: Op<
    secretsmanager.GetSecretValueCommandInput,
    secretsmanager.GetSecretValueCommandOutput
  >
}

export interface Ec2Api {
  describeInstances: Op<ec2.DescribeInstancesCommandInput, ec2.DescribeInstancesCommandOutput>
  startInstances: Op<ec2.StartInstancesCommandInput, ec2.StartInstancesCommandOutput>
}

/**
 * djenv's AWS clients: one SDK v3 client per service, built on first use (the SDK modules
 * load only then, so --help never pays for them), behind narrow interfaces listing only the
 * operations djenv calls. Every call maps missing, expired or denied credentials to a
 * DjenvError that says how to fix them.
 */
export interface Aws {
  settings: AwsSettings
  sts: StsApi
  cfn: CloudFormationApi
  ecs: EcsApi
  ssm: SsmApi
  elbv2: Elbv2Api
  ecr: EcrApi
  logs: LogsApi
  s3: S3Api
  secretsmanager: SecretsManagerApi
  ec2: Ec2Api
}

/** Client-config overrides, passed only by tests (a replaying requestHandler, maxAttempts). */
export type ClientOverrides = Record<string, unknown>

type SdkModule = Record<string, unknown>
interface SdkClient {
  send(command: unknown, options?: CallOptions): Promise<unknown>
}
type SdkClientClass = new (config: Record<string, unknown>) => SdkClient
type SdkCommandClass = new (input: unknown) => unknown

/** The one client factory. Honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (emulators). */
export function createAws(
  settings: AwsSettings,
  overrides: ClientOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): Aws {
  const op = operations(settings, sdkConfig(settings, overrides, env))
  const sts = service(op, 'sts', () => import('@aws-sdk/client-sts'), 'STSClient')
  const cfnOp = service(
    op,
    'cloudformation',
    () => import('@aws-sdk/client-cloudformation'),
    'CloudFormationClient',
  )
  const ecsOp = service(op, 'ecs', () => import('@aws-sdk/client-ecs'), 'ECSClient')
  const ec2Op = service(op, 'ec2', () => import('@aws-sdk/client-ec2'), 'EC2Client')
  const secretsOp = service(
    op,
    'secretsmanager',
    () => import('@aws-sdk/client-secrets-manager'),
    'SecretsManagerClient',
  )
  const ssmOp = service(op, 'ssm', () => import('@aws-sdk/client-ssm'), 'SSMClient')
  const elbOp = service(
    op,
    'elasticloadbalancing',
    () => import('@aws-sdk/client-elastic-load-balancing-v2'),
    'ElasticLoadBalancingV2Client',
  )
  const ecrOp = service(op, 'ecr', () => import('@aws-sdk/client-ecr'), 'ECRClient')
  // Emulators on a custom endpoint serve buckets by path, not by virtual host.
  const s3Op = service(
    op,
    's3',
    () => import('@aws-sdk/client-s3'),
    'S3Client',
    customEndpoint(env) ? { forcePathStyle: true } : {},
  )
  const logsOp = service(
    op,
    'logs',
    () => import('@aws-sdk/client-cloudwatch-logs'),
    'CloudWatchLogsClient',
  )
  return {
    settings,
    sts: { getCallerIdentity: sts('GetCallerIdentity') },
    cfn: {
      describeStacks: cfnOp('DescribeStacks'),
      describeStackEvents: cfnOp('DescribeStackEvents'),
      listStackResources: cfnOp('ListStackResources'),
      updateTerminationProtection: cfnOp('UpdateTerminationProtection'),
    },
    ecs: {
      describeServices: ecsOp('DescribeServices'),
      describeTaskDefinition: ecsOp('DescribeTaskDefinition'),
      runTask: ecsOp('RunTask'),
      describeTasks: ecsOp('DescribeTasks'),
      executeCommand: ecsOp('ExecuteCommand'),
      listTasks: ecsOp('ListTasks'),
      stopTask: ecsOp('StopTask'),
      updateService: ecsOp('UpdateService'),
      registerTaskDefinition: ecsOp('RegisterTaskDefinition'),
      deregisterTaskDefinition: ecsOp('DeregisterTaskDefinition'),
      listTaskDefinitions: ecsOp('ListTaskDefinitions'),
    },
    ssm: {
      startSession: ssmOp('StartSession'),
      resumeSession: ssmOp('ResumeSession'),
      terminateSession: ssmOp('TerminateSession'),
      describeInstanceInformation: ssmOp('DescribeInstanceInformation'),
      getParameter: ssmOp('GetParameter'),
      getParametersByPath: ssmOp('GetParametersByPath'),
      putParameter: ssmOp('PutParameter'),
      deleteParameter: ssmOp('DeleteParameter'),
      deleteParameters: ssmOp('DeleteParameters'),
    },
    elbv2: {
      describeRules: elbOp('DescribeRules'),
      describeTargetHealth: elbOp('DescribeTargetHealth'),
    },
    ecr: { describeImages: ecrOp('DescribeImages') },
    logs: {
      getLogEvents: logsOp('GetLogEvents'),
      filterLogEvents: logsOp('FilterLogEvents'),
      startLiveTail: logsOp('StartLiveTail'),
    },
    s3: { listObjectsV2: s3Op('ListObjectsV2'), deleteObjects: s3Op('DeleteObjects') },
    secretsmanager: { getSecretValue: secretsOp('GetSecretValue') },
    ec2: {
      describeInstances: ec2Op('DescribeInstances'),
      startInstances: ec2Op('StartInstances'),
    },
  }
}

/** Binds one service's client to its operations: `cfnOp('DescribeStacks')`. */
function service(
  op: ReturnType<typeof operations>,
  name: string,
  load: () => Promise<SdkModule>,
  clientName: string,
  extraConfig: Record<string, unknown> = {},
) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each use is typed by its interface
  return (operation: string): Op<any, any> =>
    op(name, load, clientName, `${operation}Command`, extraConfig)
}

/** The configuration every client gets. */
export function sdkConfig(
  settings: AwsSettings,
  overrides: ClientOverrides,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  return {
    region: settings.region,
    ...(settings.profile ? { profile: settings.profile } : {}),
    // A custom endpoint has no `stream-` or `data-` host prefixes (Logs StartLiveTail, …).
    ...(customEndpoint(env) ? { disableHostPrefix: true } : {}),
    ...overrides,
  }
}

function operations(settings: AwsSettings, config: Record<string, unknown>) {
  const clients = new Map<string, Promise<{ mod: SdkModule; client: SdkClient }>>()

  return function op<I, O>(
    service: string,
    load: () => Promise<SdkModule>,
    clientName: string,
    commandName: string,
    extraConfig: Record<string, unknown> = {},
  ): (input?: I, options?: CallOptions) => Promise<O> {
    const action = `${service}:${commandName.replace(/Command$/, '')}`
    return async (input, options) => {
      let entry = clients.get(service)
      if (!entry) {
        entry = load().then((mod) => {
          const Client = mod[clientName] as SdkClientClass
          return { mod, client: new Client({ ...config, ...extraConfig }) }
        })
        clients.set(service, entry)
      }
      const { mod, client } = await entry
      const Command = mod[commandName] as SdkCommandClass
      log('%s %o', action, redacted(input))
      try {
        return (await client.send(new Command(input ?? {}), options)) as O
      } catch (err) {
        throw (
          mapCommonAwsError(err, { action, region: settings.region, profile: settings.profile }) ??
          err
        )
      }
    }
  }
}

/** Debug output never shows a secret: a SecureString's value is replaced. */
function redacted(input: unknown): unknown {
  if (input === undefined || input === null) return {}
  const i = input as { Type?: unknown; Value?: unknown }
  return i.Type === 'SecureString' && i.Value !== undefined ? { ...i, Value: '<redacted>' } : input
}
