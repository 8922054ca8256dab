import { existsSync } from 'node:fs'

import {
  ChangeSetNotFoundException,
  CloudFormationClient,
  ContinueUpdateRollbackCommand,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  InvalidChangeSetStatusException,
  ListChangeSetsCommand,
  ListStackResourcesCommand,
  UpdateStackCommand,
  UpdateTerminationProtectionCommand,
  type CreateChangeSetCommandInput,
} from '@aws-sdk/client-cloudformation'
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail'
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2'
import {
  GetBucketLocationCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  STSClient as CredentialsSTSClient,
} from '@aws-sdk/nested-clients/sts'
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { BOOTSTRAP_VERSION_PARAMETER, fakeAws, s3Path, type FakeAws } from './fake-aws.js'
import { FakeCloudFormation, type Template } from './fake-cloudformation.js'

const NAME = 'shop-dev-pr-42'
const NO_CHANGES =
  "The submitted information didn't contain changes. Submit different information to create a change set."

const client = new CloudFormationClient({ region: 'us-east-1' })
let cfnMock: AwsClientStub<CloudFormationClient>
let fake: FakeCloudFormation

/** Two resources and outputs of every kind the fake resolves. */
const TEMPLATE: Template = {
  Parameters: { Env: { Type: 'String', Default: 'pr-42' } },
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q' } },
    Topic: { Type: 'AWS::SNS::Topic' },
  },
  Outputs: {
    Literal: { Value: 'plain' },
    QueueRef: { Value: { Ref: 'Queue' } },
    Region: { Value: { Ref: 'AWS::Region' } },
    Joined: { Value: { 'Fn::Join': ['-', [{ Ref: 'Env' }, 'web']] } },
    Subbed: { Value: { 'Fn::Sub': 'https://${Env}.example.com' } },
    Arn: { Value: { 'Fn::GetAtt': ['Topic', 'TopicArn'] }, Export: { Name: 'shop-topic' } },
  },
}

function changeSet(over: Partial<CreateChangeSetCommandInput> = {}): CreateChangeSetCommand {
  return new CreateChangeSetCommand({
    StackName: NAME,
    ChangeSetName: 'cs',
    ChangeSetType: 'UPDATE',
    TemplateBody: JSON.stringify(TEMPLATE),
    ...over,
  })
}

/** Statuses DescribeStacks reports until the stack leaves *_IN_PROGRESS (at most 20 polls). */
async function pollStatuses(nameOrId = NAME): Promise<string[]> {
  const seen: string[] = []
  for (let i = 0; i < 20; i++) {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: nameOrId }))
    const status = Stacks?.[0]?.StackStatus ?? '?'
    seen.push(status)
    if (!status.endsWith('_IN_PROGRESS')) return seen
  }
  return seen
}

async function createStack(template: Template = TEMPLATE): Promise<string> {
  const { StackId } = await client.send(
    changeSet({ ChangeSetType: 'CREATE', TemplateBody: JSON.stringify(template) }),
  )
  await client.send(new ExecuteChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }))
  await pollStatuses()
  return StackId ?? ''
}

async function events(nameOrId = NAME) {
  const { StackEvents } = await client.send(new DescribeStackEventsCommand({ StackName: nameOrId }))
  return (StackEvents ?? []).map((e) => ({
    id: e.LogicalResourceId,
    status: e.ResourceStatus,
    reason: e.ResourceStatusReason,
    operation: e.OperationId,
  }))
}

function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected a rejection, but the call succeeded')
    },
    (err: unknown) => err,
  )
}

describe('FakeCloudFormation', () => {
  beforeEach(() => {
    cfnMock = mockClient(CloudFormationClient)
    fake = new FakeCloudFormation()
    fake.attach(cfnMock)
  })

  afterEach(() => {
    cfnMock.restore()
    expect(fake.unexpected).toEqual([])
  })

  it('answers a stack nobody knows with the untyped ValidationError AWS sends', async () => {
    const arn = 'arn:aws:cloudformation:us-east-1:123456789012:stack/gone/1234'

    const answers = await Promise.all([
      rejection(client.send(new DescribeStacksCommand({ StackName: NAME }))),
      rejection(client.send(new DescribeStacksCommand({ StackName: arn }))),
      rejection(client.send(new GetTemplateCommand({ StackName: NAME }))),
      rejection(client.send(new DescribeStackResourcesCommand({ StackName: NAME }))),
      rejection(client.send(new ListStackResourcesCommand({ StackName: NAME }))),
      rejection(client.send(new DescribeStackEventsCommand({ StackName: NAME }))),
    ])

    expect(answers.map((e) => [(e as Error).name, (e as Error).message])).toEqual([
      ['ValidationError', `Stack with id ${NAME} does not exist`],
      ['ValidationError', `Stack with id ${arn} does not exist`],
      ['ValidationError', `Stack with id ${NAME} does not exist`],
      ['ValidationError', `Stack with id ${NAME} does not exist`],
      ['ValidationError', `Stack with id ${NAME} does not exist`],
      ['ValidationError', `Stack [${NAME}] does not exist`],
    ])
    expect(answers[0]).not.toBeInstanceOf(ChangeSetNotFoundException)
  })

  it('creates a stack through a CREATE change set, one step per DescribeStacks', async () => {
    const created = await client.send(changeSet({ ChangeSetType: 'CREATE' }))
    const review = fake.stack(NAME)?.status
    const described = await client.send(
      new DescribeChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }),
    )

    await client.send(new ExecuteChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }))
    const statuses = await pollStatuses()

    expect(review).toBe('REVIEW_IN_PROGRESS')
    expect(created.StackId).toMatch(
      /^arn:aws:cloudformation:us-east-1:123456789012:stack\/shop-dev-pr-42\/[0-9a-f-]{36}$/,
    )
    expect(described).toMatchObject({
      Status: 'CREATE_COMPLETE',
      ExecutionStatus: 'AVAILABLE',
      StackId: created.StackId,
      ChangeSetId: created.Id,
    })
    expect(described.Changes?.map((c) => c.ResourceChange?.Action)).toEqual(['Add', 'Add'])
    expect(statuses).toEqual(['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'])
    expect(fake.stack(NAME)?.changeSets).toEqual([])
  })

  it('computes outputs from the template when the operation completes', async () => {
    const stackId = await createStack()

    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackId }))

    const queue = fake.stack(NAME)?.resources.find((r) => r.logicalId === 'Queue')
    expect(Stacks?.[0]?.Outputs).toEqual([
      { OutputKey: 'Literal', OutputValue: 'plain' },
      { OutputKey: 'QueueRef', OutputValue: queue?.physicalId },
      { OutputKey: 'Region', OutputValue: 'us-east-1' },
      { OutputKey: 'Joined', OutputValue: 'pr-42-web' },
      { OutputKey: 'Subbed', OutputValue: 'https://pr-42.example.com' },
      { OutputKey: 'Arn', OutputValue: 'fake:Topic.TopicArn', ExportName: 'shop-topic' },
    ])
  })

  it("gives a certificate its ARN as physical id, in its stack's region", async () => {
    fake = new FakeCloudFormation({ region: 'eu-west-1', stackRegions: { [NAME]: 'us-east-1' } })
    fake.attach(cfnMock)
    const stackId = await createStack({
      Resources: { Cert: { Type: 'AWS::CertificateManager::Certificate' } },
      Outputs: {
        Arn: { Value: { Ref: 'Cert' } },
        Region: { Value: { Ref: 'AWS::Region' } },
      },
    })

    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: NAME }))

    expect(stackId).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\//)
    expect(Stacks?.[0]?.Outputs?.[0]?.OutputValue).toMatch(
      /^arn:aws:acm:us-east-1:123456789012:certificate\/[0-9a-f-]{36}$/,
    )
    expect(Stacks?.[0]?.Outputs?.[1]?.OutputValue).toBe('us-east-1')
  })

  it('leaves Outputs out of a stack that has none, as AWS does', async () => {
    fake.givenStack({ name: NAME })

    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: NAME }))

    expect(Stacks?.[0]).not.toHaveProperty('Outputs')
  })

  it('keeps events newest first: the stack, then each resource, with rising timestamps', async () => {
    const stackId = await createStack()

    const { StackEvents = [] } = await client.send(
      new DescribeStackEventsCommand({ StackName: stackId }),
    )

    expect(
      [...StackEvents].reverse().map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`),
    ).toEqual([
      `${NAME} REVIEW_IN_PROGRESS`,
      `${NAME} CREATE_IN_PROGRESS`,
      'Queue CREATE_IN_PROGRESS',
      'Queue CREATE_IN_PROGRESS',
      'Queue CREATE_COMPLETE',
      'Topic CREATE_IN_PROGRESS',
      'Topic CREATE_IN_PROGRESS',
      'Topic CREATE_COMPLETE',
      `${NAME} CREATE_COMPLETE`,
    ])
    const times = StackEvents.map((e) => e.Timestamp?.getTime() ?? 0)
    expect(times).toEqual([...times].sort((a, b) => b - a))
    expect(new Set(times).size).toBe(times.length)
    const stackEvents = StackEvents.filter((e) => e.ResourceType === 'AWS::CloudFormation::Stack')
    expect(stackEvents.every((e) => e.PhysicalResourceId === stackId)).toBe(true)
  })

  it('reports an UPDATE that changes nothing as FAILED without changes and refuses to run it', async () => {
    fake.givenStack({ name: NAME, template: TEMPLATE })
    await client.send(changeSet())

    const described = await client.send(
      new DescribeChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }),
    )
    const run = await rejection(
      client.send(new ExecuteChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' })),
    )

    expect(described).toMatchObject({
      Status: 'FAILED',
      StatusReason: NO_CHANGES,
      ExecutionStatus: 'UNAVAILABLE',
      Changes: [],
    })
    expect(run).toBeInstanceOf(InvalidChangeSetStatusException)
    expect(fake.stack(NAME)?.status).toBe('CREATE_COMPLETE')
  })

  it('applies an update: modified and added resources, cleanup, removed resources', async () => {
    fake.givenStack({ name: NAME, template: TEMPLATE })
    const next: Template = {
      ...TEMPLATE,
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q2' } },
        Bucket: { Type: 'AWS::S3::Bucket' },
      },
      Outputs: { Literal: { Value: 'plain' } },
    }
    await client.send(changeSet({ TemplateBody: JSON.stringify(next) }))
    const { Changes = [] } = await client.send(
      new DescribeChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }),
    )

    await client.send(new ExecuteChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }))
    const statuses = await pollStatuses()

    expect(Changes.map((c) => c.ResourceChange)).toEqual([
      expect.objectContaining({
        Action: 'Modify',
        LogicalResourceId: 'Queue',
        Replacement: 'False',
        Scope: ['Properties'],
        Details: [
          expect.objectContaining({ Target: expect.objectContaining({ Name: 'QueueName' }) }),
        ],
      }),
      expect.objectContaining({ Action: 'Add', LogicalResourceId: 'Bucket' }),
      expect.objectContaining({
        Action: 'Remove',
        LogicalResourceId: 'Topic',
        PolicyAction: 'Delete',
      }),
    ])
    expect(statuses).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_COMPLETE',
    ])
    expect(fake.stack(NAME)).toMatchObject({
      template: next,
      outputs: { Literal: 'plain' },
      resources: [
        expect.objectContaining({ logicalId: 'Queue', status: 'UPDATE_COMPLETE' }),
        expect.objectContaining({ logicalId: 'Bucket', status: 'CREATE_COMPLETE' }),
      ],
    })
    const { TemplateBody } = await client.send(new GetTemplateCommand({ StackName: NAME }))
    expect(JSON.parse(TemplateBody ?? '')).toEqual(next)
  })

  it('refuses CREATE for a live stack, UPDATE for a missing one, and a name used twice', async () => {
    fake.givenStack({ name: NAME })
    await client.send(changeSet({ ChangeSetName: 'taken' }))

    const answers = await Promise.all([
      rejection(client.send(changeSet({ ChangeSetType: 'CREATE' }))),
      rejection(client.send(changeSet({ StackName: 'other' }))),
      rejection(client.send(changeSet({ ChangeSetName: 'taken' }))),
    ])

    expect(answers.map((e) => [(e as Error).name, (e as Error).message])).toEqual([
      [
        'ValidationError',
        `Stack [${NAME}] already exists and cannot be created again with the changeSet [cs].`,
      ],
      ['ValidationError', 'Stack [other] does not exist'],
      ['AlreadyExistsException', 'ChangeSet [taken] already exists'],
    ])
  })

  it('keeps a stack seeded in progress stuck there, refusing updates and deletion', async () => {
    const stuck = fake.givenStack({ name: NAME, status: 'UPDATE_IN_PROGRESS' })

    const statuses = await pollStatuses()
    const update = await rejection(client.send(changeSet()))
    const deletion = await rejection(client.send(new DeleteStackCommand({ StackName: NAME })))

    expect(statuses).toEqual(Array(20).fill('UPDATE_IN_PROGRESS'))
    expect((update as Error).message).toBe(
      `Stack:${stuck.stackId} is in UPDATE_IN_PROGRESS state and can not be updated.`,
    )
    expect((deletion as Error).message).toBe(
      `Stack [${stuck.stackId}] cannot be deleted while in status UPDATE_IN_PROGRESS`,
    )
  })

  it('deletes a stack: gone by name, DELETE_COMPLETE by id, and the name free again', async () => {
    const first = fake.givenStack({ name: NAME, template: TEMPLATE })

    await client.send(new DeleteStackCommand({ StackName: NAME }))
    const statuses = await pollStatuses(first.stackId)

    expect(statuses).toEqual(['DELETE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE'])
    const byName = await rejection(client.send(new DescribeStacksCommand({ StackName: NAME })))
    expect((byName as Error).message).toBe(`Stack with id ${NAME} does not exist`)
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: first.stackId }))
    expect(Stacks?.[0]).toMatchObject({
      StackStatus: 'DELETE_COMPLETE',
      DeletionTime: expect.any(Date),
    })
    await client.send(new DeleteStackCommand({ StackName: NAME }))
    const second = await createStack()
    expect(second).not.toBe(first.stackId)
    expect(fake.liveStackNames()).toEqual([NAME])
  })

  it('refuses to delete a protected stack until protection is lifted', async () => {
    fake.givenStack({ name: NAME, terminationProtection: true })

    const refused = await rejection(client.send(new DeleteStackCommand({ StackName: NAME })))
    await client.send(
      new UpdateTerminationProtectionCommand({
        StackName: NAME,
        EnableTerminationProtection: false,
      }),
    )
    await client.send(new DeleteStackCommand({ StackName: NAME }))

    expect((refused as Error).message).toBe(
      `Stack [${NAME}] cannot be deleted while TerminationProtection is enabled`,
    )
    expect(await pollStatuses(fake.stack(NAME)?.stackId)).toContain('DELETE_COMPLETE')
  })

  it('rolls back a new stack whose resource fails, keeping the reason in a CREATE_FAILED event', async () => {
    const reason = 'Resource handler returned message: "Queue limit exceeded"'
    fake.failResource({ logicalId: 'Topic', during: 'create', reason })

    await createStack()

    const history = await events()
    expect(fake.stack(NAME)).toMatchObject({
      status: 'ROLLBACK_COMPLETE',
      resources: [],
      outputs: {},
    })
    expect(history).toContainEqual(
      expect.objectContaining({ id: 'Topic', status: 'CREATE_FAILED', reason }),
    )
    expect(history[0]).toMatchObject({ id: NAME, status: 'ROLLBACK_COMPLETE' })
    const rollbackStart = history.find((e) => e.status === 'ROLLBACK_IN_PROGRESS')
    expect(rollbackStart?.reason).toBe(
      'The following resource(s) failed to create: [Topic]. Rollback requested by user.',
    )
    const failed = history.find((e) => e.status === 'CREATE_FAILED')
    expect(rollbackStart?.operation).not.toBe(failed?.operation)
    expect(history).toContainEqual(
      expect.objectContaining({ id: 'Queue', status: 'DELETE_COMPLETE' }),
    )
  })

  it('ends in ROLLBACK_FAILED when the rollback of a new stack cannot delete what it made', async () => {
    fake.failResource({ logicalId: 'Topic', during: 'create', reason: 'Topic name taken' })
    fake.failResource({ logicalId: 'Queue', during: 'rollback', reason: 'Queue is busy' })

    await createStack()

    expect(fake.stack(NAME)).toMatchObject({
      status: 'ROLLBACK_FAILED',
      statusReason: 'The following resource(s) failed to delete: [Queue]. ',
      resources: [expect.objectContaining({ logicalId: 'Queue', status: 'DELETE_FAILED' })],
    })
  })

  it('completes an update whose cleanup cannot delete a removed resource', async () => {
    fake.givenStack({ name: NAME, template: TEMPLATE })
    fake.failResource({ logicalId: 'Topic', during: 'delete', reason: 'Topic has subscriptions' })
    const next: Template = { ...TEMPLATE, Resources: { Queue: TEMPLATE.Resources!.Queue! } }
    await client.send(changeSet({ TemplateBody: JSON.stringify(next) }))

    await client.send(new ExecuteChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }))
    const statuses = await pollStatuses()

    expect(statuses.at(-1)).toBe('UPDATE_COMPLETE')
    expect(fake.stack(NAME)?.resources.map((r) => r.logicalId)).toEqual(['Queue'])
    expect(await events()).toContainEqual(
      expect.objectContaining({
        id: 'Topic',
        status: 'DELETE_FAILED',
        reason: 'Topic has subscriptions',
      }),
    )
  })

  it('lists every live stack without a name, moving each one step', async () => {
    fake.givenStack({ name: 'a' })
    await createStack()

    await client.send(new DeleteStackCommand({ StackName: 'a' }))
    const { Stacks = [] } = await client.send(new DescribeStacksCommand({}))
    const { Stacks: after = [] } = await client.send(new DescribeStacksCommand({}))

    expect(Stacks.map((s) => [s.StackName, s.StackStatus])).toEqual([
      ['a', 'DELETE_IN_PROGRESS'],
      [NAME, 'CREATE_COMPLETE'],
    ])
    expect(after.map((s) => s.StackName)).toEqual([NAME])
  })

  it('rolls a failed update back to the old template and outputs', async () => {
    const before = fake.givenStack({ name: NAME, template: TEMPLATE, status: 'UPDATE_COMPLETE' })
    fake.failResource({ logicalId: 'Topic', during: 'update', reason: 'Topic policy invalid' })
    const next = structuredClone(TEMPLATE)
    next.Resources = {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q2' } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'new' } },
    }
    next.Outputs = { Literal: { Value: 'changed' } }
    await client.send(changeSet({ TemplateBody: JSON.stringify(next) }))

    await client.send(new ExecuteChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }))
    const statuses = await pollStatuses()

    expect(statuses.at(-1)).toBe('UPDATE_ROLLBACK_COMPLETE')
    expect(fake.stack(NAME)).toMatchObject({ template: TEMPLATE, outputs: before.outputs })
    expect(await events()).toContainEqual(
      expect.objectContaining({
        id: NAME,
        status: 'UPDATE_ROLLBACK_IN_PROGRESS',
        reason: 'The following resource(s) failed to update: [Topic]. ',
      }),
    )
  })

  it('stops in UPDATE_ROLLBACK_FAILED when the rollback fails, until the rollback is continued', async () => {
    fake.givenStack({ name: NAME, template: TEMPLATE })
    fake.failResource({ logicalId: 'Topic', during: 'update', reason: 'Topic policy invalid' })
    fake.failResource({ logicalId: 'Queue', during: 'rollback', reason: 'Queue is busy' })
    const next = structuredClone(TEMPLATE)
    next.Resources = {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q2' } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'new' } },
    }
    await client.send(changeSet({ TemplateBody: JSON.stringify(next) }))
    await client.send(new ExecuteChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }))

    const failed = await pollStatuses()
    const update = await rejection(client.send(changeSet({ ChangeSetName: 'again' })))
    await client.send(
      new ContinueUpdateRollbackCommand({ StackName: NAME, ResourcesToSkip: ['Queue'] }),
    )
    const continued = await pollStatuses()

    expect(failed.at(-1)).toBe('UPDATE_ROLLBACK_FAILED')
    expect((update as Error).message).toMatch(
      /is in UPDATE_ROLLBACK_FAILED state and can not be updated/,
    )
    expect(continued.at(-1)).toBe('UPDATE_ROLLBACK_COMPLETE')
    expect(fake.stack(NAME)?.template).toEqual(TEMPLATE)
  })

  it('fails a deletion on a blocking resource, then deletes it retaining that resource', async () => {
    const reason = 'The bucket you tried to delete is not empty'
    fake.givenStack({ name: NAME, template: TEMPLATE })
    fake.failResource({ logicalId: 'Queue', during: 'delete', reason })

    await client.send(new DeleteStackCommand({ StackName: NAME }))
    const failed = await pollStatuses()
    const held = fake.stack(NAME)
    await client.send(new DeleteStackCommand({ StackName: NAME, RetainResources: ['Queue'] }))
    const retried = await pollStatuses(held?.stackId)

    expect(failed.at(-1)).toBe('DELETE_FAILED')
    expect(held).toMatchObject({
      statusReason: 'The following resource(s) failed to delete: [Queue]. ',
      resources: [expect.objectContaining({ logicalId: 'Queue', status: 'DELETE_FAILED' })],
    })
    expect(held?.events).toContainEqual(
      expect.objectContaining({
        LogicalResourceId: 'Queue',
        ResourceStatus: 'DELETE_FAILED',
        ResourceStatusReason: reason,
      }),
    )
    expect(retried.at(-1)).toBe('DELETE_COMPLETE')
    expect(fake.liveStackNames()).toEqual([])
  })

  it('reads a TemplateURL through its S3 and resolves SSM-typed parameters', async () => {
    const template: Template = {
      Parameters: {
        BootstrapVersion: {
          Type: 'AWS::SSM::Parameter::Value<String>',
          Default: '/cdk-bootstrap/hnb659fds/version',
        },
      },
      Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
    }
    fake = new FakeCloudFormation({
      templateFromUrl: (url) => (url.endsWith('/t.json') ? JSON.stringify(template) : undefined),
      ssmParameter: (name) => (name === '/cdk-bootstrap/hnb659fds/version' ? '30' : undefined),
    })
    fake.attach(cfnMock)

    await client.send(
      changeSet({
        ChangeSetType: 'CREATE',
        TemplateBody: undefined,
        TemplateURL: 'https://b/t.json',
      }),
    )
    const missing = await rejection(
      client.send(
        changeSet({ ChangeSetName: 'x', TemplateBody: undefined, TemplateURL: 'https://b/none' }),
      ),
    )

    const { Parameters } = await client.send(
      new DescribeChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }),
    )
    expect(Parameters).toEqual([
      {
        ParameterKey: 'BootstrapVersion',
        ParameterValue: '/cdk-bootstrap/hnb659fds/version',
        ResolvedValue: '30',
      },
    ])
    expect((missing as Error).message).toBe('S3 error: The specified key does not exist.')
  })

  it('finds a change set by id, lists them, and forgets deleted ones', async () => {
    fake.givenStack({ name: NAME })
    const { Id } = await client.send(changeSet())

    const byId = await client.send(new DescribeChangeSetCommand({ ChangeSetName: Id }))
    const { Summaries } = await client.send(new ListChangeSetsCommand({ StackName: NAME }))
    await client.send(new DeleteChangeSetCommand({ ChangeSetName: Id }))
    await client.send(new DeleteChangeSetCommand({ StackName: NAME, ChangeSetName: 'never-made' }))
    const gone = await rejection(
      client.send(new DescribeChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' })),
    )

    expect(byId).toMatchObject({ ChangeSetName: 'cs', StackName: NAME })
    expect(Summaries?.map((s) => [s.ChangeSetName, s.Status])).toEqual([['cs', 'CREATE_COMPLETE']])
    expect(gone).toBeInstanceOf(ChangeSetNotFoundException)
  })

  it('answers CREATE_IN_PROGRESS for changeSetPolls describes and refuses to run meanwhile', async () => {
    fake = new FakeCloudFormation({ changeSetPolls: 1 })
    fake.attach(cfnMock)
    fake.givenStack({ name: NAME })
    await client.send(changeSet())
    const describe = () =>
      client.send(new DescribeChangeSetCommand({ StackName: NAME, ChangeSetName: 'cs' }))

    const first = await describe()
    const second = await describe()

    expect([first.Status, second.Status]).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'])
  })

  it('lists stack resources with their physical ids', async () => {
    fake.givenStack({ name: NAME, template: TEMPLATE })

    const { StackResources } = await client.send(
      new DescribeStackResourcesCommand({ StackName: NAME }),
    )
    const { StackResourceSummaries } = await client.send(
      new ListStackResourcesCommand({ StackName: NAME }),
    )

    expect(
      StackResources?.map((r) => [r.LogicalResourceId, r.ResourceType, r.ResourceStatus]),
    ).toEqual([
      ['Queue', 'AWS::SQS::Queue', 'CREATE_COMPLETE'],
      ['Topic', 'AWS::SNS::Topic', 'CREATE_COMPLETE'],
    ])
    expect(StackResourceSummaries?.map((r) => r.PhysicalResourceId)).toEqual(
      StackResources?.map((r) => r.PhysicalResourceId),
    )
  })

  it('rejects a command it does not model, naming it, and records it', async () => {
    const err = await rejection(client.send(new UpdateStackCommand({ StackName: NAME })))

    expect((err as Error).message).toBe(
      'fake CloudFormation: unexpected command UpdateStackCommand',
    )
    expect(fake.unexpected.splice(0)).toEqual(['UpdateStackCommand'])
  })
})

describe('fakeAws', () => {
  let aws: FakeAws | undefined

  afterEach(() => {
    aws?.restore()
    aws = undefined
  })

  it('gives a bootstrapped account: identity, roles, version, bucket, CDKToolkit stack', async () => {
    aws = fakeAws()
    const sts = new STSClient({ region: 'us-east-1' })
    const roles = new CredentialsSTSClient({ region: 'us-east-1' })
    const s3 = new S3Client({ region: 'us-east-1' })
    const ssm = new SSMClient({ region: 'us-east-1' })
    const bucket = aws.bootstrap.bucket

    const identity = await sts.send(new GetCallerIdentityCommand({}))
    const deployRole = await roles.send(
      new AssumeRoleCommand({ RoleArn: aws.bootstrap.deployRole, RoleSessionName: 's' }),
    )
    const webIdentity = await roles.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: aws.bootstrap.lookupRole,
        RoleSessionName: 's',
        WebIdentityToken: 't',
      }),
    )
    const otherRole = await rejection(
      roles.send(
        new AssumeRoleCommand({ RoleArn: aws.bootstrap.cfnExecRole, RoleSessionName: 's' }),
      ),
    )
    const version = await ssm.send(new GetParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER }))
    await s3.send(new GetBucketLocationCommand({ Bucket: bucket }))
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/t.json', Body: '{"x":1}' }))
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a/' }))
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a/t.json' }))

    expect(identity).toMatchObject({ Account: '123456789012' })
    expect(deployRole.Credentials?.AccessKeyId).toBe('ASIATESTONLY')
    expect(webIdentity.Credentials?.AccessKeyId).toBe('ASIATESTONLY')
    expect(otherRole).toMatchObject({ name: 'AccessDenied' })
    expect(version.Parameter?.Value).toBe('30')
    expect(listed.Contents).toEqual([{ Key: 'a/t.json', Size: 7 }])
    expect(head.ContentLength).toBe(7)
    expect(aws.objects.get(`${bucket}/a/t.json`)).toBe('{"x":1}')
    expect(aws.cfn.stack('CDKToolkit')).toMatchObject({
      terminationProtection: true,
      outputs: { BucketName: bucket, BootstrapVersion: '30' },
    })
  })

  it('points CDK_HOME at a temporary directory until restored', () => {
    const before = process.env.CDK_HOME
    aws = fakeAws()
    const during = process.env.CDK_HOME

    aws.restore()

    expect(during).toMatch(/djenv-cdk-home-/)
    expect(existsSync(during ?? '')).toBe(false)
    expect(process.env.CDK_HOME).toBe(before)
  })

  it('gives an account without bootstrap: no version, bucket, roles or CDKToolkit stack', async () => {
    aws = fakeAws({ bootstrapVersion: null })
    const roles = new CredentialsSTSClient({ region: 'us-east-1' })

    const answers = await Promise.all([
      rejection(
        new SSMClient({ region: 'us-east-1' }).send(
          new GetParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER }),
        ),
      ),
      rejection(
        new S3Client({ region: 'us-east-1' }).send(
          new GetBucketLocationCommand({ Bucket: aws.bootstrap.bucket }),
        ),
      ),
      rejection(
        roles.send(
          new AssumeRoleCommand({ RoleArn: aws.bootstrap.deployRole, RoleSessionName: 's' }),
        ),
      ),
    ])

    expect(answers[0]).toBeInstanceOf(ParameterNotFound)
    expect(answers[1]).toBeInstanceOf(NoSuchBucket)
    expect(answers[2]).toMatchObject({ name: 'AccessDenied' })
    expect(aws.cfn.liveStackNames()).toEqual([])
  })

  it('answers the lookups toolkit-lib makes and records anything else it rejects', async () => {
    aws = fakeAws({ region: 'eu-west-1' })

    const zones = await new EC2Client({ region: 'eu-west-1' }).send(
      new DescribeAvailabilityZonesCommand({}),
    )
    const trail = await new CloudTrailClient({ region: 'eu-west-1' }).send(
      new LookupEventsCommand({}),
    )
    const refused = await rejection(
      new SSMClient({ region: 'eu-west-1' }).send(new GetParameterCommand({ Name: '/x' })),
    )
    const unexpected = await rejection(
      new S3Client({ region: 'eu-west-1' }).send(
        new DeleteStackCommand({ StackName: 'x' }) as never,
      ),
    )

    expect(zones.AvailabilityZones?.map((z) => z.ZoneName)).toEqual([
      'eu-west-1a',
      'eu-west-1b',
      'eu-west-1c',
    ])
    expect(trail.Events).toEqual([])
    expect(refused).toBeInstanceOf(ParameterNotFound)
    expect((unexpected as Error).message).toBe('fake AWS: unexpected s3 command DeleteStackCommand')
    expect(aws.unexpected()).toEqual(['s3 DeleteStackCommand'])
  })

  it('finds the object of a path-style, virtual-hosted or s3:// URL', () => {
    expect(
      [
        'https://s3.us-east-1.amazonaws.com/bucket/dir/k.json',
        'https://bucket.s3.us-east-1.amazonaws.com/dir/k.json',
        's3://bucket/dir/k.json',
      ].map(s3Path),
    ).toEqual(['bucket/dir/k.json', 'bucket/dir/k.json', 'bucket/dir/k.json'])
  })
})
