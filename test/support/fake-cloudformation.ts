/**
 * A fake CloudFormation for hermetic toolkit-lib tests (testing.md §1.5). It is wired to
 * `mockClient(CloudFormationClient)` with `attach`, so every client toolkit-lib builds reaches it.
 *
 * SPECIFICATION (what the fake promises; its own tests are test/support/fake-cloudformation.test.ts)
 *
 * Identity
 * - A stack has a name and an id, `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`.
 *   Every call taking `StackName` accepts the name or the id.
 * - By name, only the live stack answers. A deleted stack answers by id only, as
 *   `DELETE_COMPLETE`; after deletion the name may be reused by a new stack with a new id.
 * - A stack nobody knows: DescribeStacks, DescribeStackResources, ListStackResources and
 *   GetTemplate reject with the untyped `ValidationError` "Stack with id <X> does not exist",
 *   DescribeStackEvents with "Stack [<X>] does not exist", CreateChangeSet (UPDATE),
 *   DescribeChangeSet, DeleteChangeSet, ListChangeSets, UpdateTerminationProtection and
 *   ContinueUpdateRollback with "Stack [<X>] does not exist". `<X>` is exactly what was asked for.
 *   DeleteStack of an unknown or deleted stack succeeds and changes nothing, as on AWS.
 *
 * Time
 * - Operations run one step per DescribeStacks that returns the stack (by name, id, or a listing);
 *   nothing else moves them. A step is one resource (its IN_PROGRESS and final events) or one
 *   stack status change, so creating N resources takes N + 1 DescribeStacks after
 *   ExecuteChangeSet: CREATE_IN_PROGRESS ... CREATE_COMPLETE.
 * - Timestamps come from a clock that never goes backwards and never repeats.
 *
 * Change sets
 * - CreateChangeSet takes TemplateBody (JSON or YAML) or TemplateURL (read through the
 *   `templateFromUrl` option: the fake S3 of fake-aws.ts). CREATE on an unknown name creates the
 *   stack in REVIEW_IN_PROGRESS; CREATE on a live stack other than REVIEW_IN_PROGRESS is refused
 *   ("Stack [<name>] already exists and cannot be created again with the changeSet [<cs>].");
 *   UPDATE (the default type) needs a live stack in CREATE_COMPLETE, UPDATE_COMPLETE,
 *   UPDATE_ROLLBACK_COMPLETE, IMPORT_COMPLETE or IMPORT_ROLLBACK_COMPLETE, else
 *   "Stack:<id> is in <STATUS> state and can not be updated." A name already used on the
 *   stack: AlreadyExistsException.
 * - Parameters: a given value, else `UsePreviousValue`, else the template default, else
 *   "Parameters: [<keys>] must have values"; unknown keys are refused. `AWS::SSM::Parameter::Value<…>`
 *   parameters get a `ResolvedValue` from the `ssmParameter` option. Tags: the given list, or the
 *   stack's current tags when none is given. Capabilities and RoleARN are recorded, not checked.
 * - Changes compare the old template's Resources with the new one's: Add, Remove (PolicyAction
 *   Delete), Modify (Replacement True when the type changes, else False; Scope lists the changed
 *   top-level attributes). An UPDATE that changes no resource, output, parameter value or tag is
 *   FAILED with "The submitted information didn't contain changes. Submit different information
 *   to create a change set." and ExecutionStatus UNAVAILABLE, as AWS does; otherwise the change
 *   set is CREATE_COMPLETE / AVAILABLE. With `changeSetPolls: n` it first answers
 *   CREATE_IN_PROGRESS to n DescribeChangeSet calls (toolkit-lib then waits 5 s each).
 * - DescribeChangeSet and DeleteChangeSet take a name (with StackName) or the change set id.
 *   An unknown change set: ChangeSetNotFoundException; DeleteChangeSet of one succeeds.
 * - ExecuteChangeSet needs CREATE_COMPLETE / AVAILABLE (else InvalidChangeSetStatusException),
 *   starts the operation, and deletes every change set of the stack. `DisableRollback` is not
 *   modelled: the fake throws rather than pretend.
 *
 * Operations (events go to DescribeStackEvents, newest first; every operation and every
 * rollback gets its own OperationId; the stack's own events have LogicalResourceId = name,
 * PhysicalResourceId = id, type AWS::CloudFormation::Stack, and the first says "User Initiated")
 * - Create: CREATE_IN_PROGRESS, each resource in template order, CREATE_COMPLETE.
 * - Update: UPDATE_IN_PROGRESS, added and modified resources in template order,
 *   UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, removed resources (reverse order), UPDATE_COMPLETE.
 *   GetTemplate returns the new template from the start, the old one again after a rollback.
 * - Delete: DELETE_IN_PROGRESS, each resource in reverse order, DELETE_COMPLETE.
 * - DescribeStacks without StackName lists the live stacks, advancing each. GetTemplate of a
 *   stack with nothing deployed yet (REVIEW_IN_PROGRESS) answers "{}".
 * - Outputs are computed when an operation completes (or a stack is seeded), from the template's Outputs: literals,
 *   Ref (parameters, resources' physical ids, pseudo parameters), Fn::Join, Fn::Sub, Fn::Select
 *   and Fn::GetAZs resolve; Fn::GetAtt becomes "fake:<LogicalId>.<Attribute>", anything else
 *   "fake:unresolved". A stack without outputs has no `Outputs` member at all.
 * - Physical ids are `<stack>-<LogicalId>-<n>`, except an AWS::CertificateManager::Certificate's,
 *   which is its ARN (as Ref returns on AWS). A stack named in `stackRegions` lives in that
 *   region: its id, `AWS::Region` and certificate ARNs say so.
 *
 * Failure injection (`failResource`; it holds until `clearFailures`)
 * - during 'create': `<id> CREATE_FAILED <reason>`; a new stack rolls back (ROLLBACK_IN_PROGRESS
 *   "The following resource(s) failed to create: [<id>]. Rollback requested by user.", deletes
 *   what it made, ROLLBACK_COMPLETE); an update rolls back as below.
 * - during 'update': `<id> UPDATE_FAILED <reason>`, UPDATE_ROLLBACK_IN_PROGRESS, modified
 *   resources reverted, added ones deleted, UPDATE_ROLLBACK_COMPLETE with the old template.
 * - during 'rollback': a new stack's rollback fails deleting `<id>`: ROLLBACK_FAILED; an update's
 *   rollback fails reverting `<id>`: UPDATE_ROLLBACK_FAILED, which ContinueUpdateRollback (with
 *   ResourcesToSkip) resumes.
 * - during 'delete': `<id> DELETE_FAILED <reason>`, the others are deleted, the stack ends in
 *   DELETE_FAILED "The following resource(s) failed to delete: [<id>]. " holding <id>. DeleteStack
 *   again (optionally with RetainResources) retries. In an update's cleanup the failure is only
 *   an event: the update completes and `<id>` leaves the stack.
 * - A stack seeded (`givenStack`) in a *_IN_PROGRESS status is stuck there: no step moves it.
 *
 * Guards
 * - DeleteStack with termination protection on: "Stack [<name>] cannot be deleted while
 *   TerminationProtection is enabled". During another operation (except REVIEW_IN_PROGRESS and
 *   DELETE_IN_PROGRESS, where it is accepted): "Stack [<id>] cannot be deleted while in status <S>".
 */
import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'

import {
  AlreadyExistsException,
  ChangeSetNotFoundException,
  CloudFormationServiceException,
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
  UpdateTerminationProtectionCommand,
  type Capability,
  type Change,
  type CloudFormationClient,
  type ContinueUpdateRollbackCommandInput,
  type CreateChangeSetCommandInput,
  type CreateChangeSetCommandOutput,
  type DeleteChangeSetCommandInput,
  type DeleteStackCommandInput,
  type DescribeChangeSetCommandInput,
  type DescribeChangeSetCommandOutput,
  type DescribeStackEventsCommandInput,
  type DescribeStackEventsCommandOutput,
  type DescribeStackResourcesCommandInput,
  type DescribeStackResourcesCommandOutput,
  type DescribeStacksCommandInput,
  type DescribeStacksCommandOutput,
  type ExecuteChangeSetCommandInput,
  type GetTemplateCommandInput,
  type GetTemplateCommandOutput,
  type ListChangeSetsCommandInput,
  type ListChangeSetsCommandOutput,
  type ListStackResourcesCommandInput,
  type ListStackResourcesCommandOutput,
  type Output,
  type Parameter,
  type Stack,
  type StackEvent,
  type Tag,
  type UpdateTerminationProtectionCommandInput,
} from '@aws-sdk/client-cloudformation'
import type { AwsClientStub } from 'aws-sdk-client-mock'
import { parse as parseYaml } from 'yaml'

export interface TemplateResource {
  Type: string
  Properties?: Record<string, unknown>
  [attribute: string]: unknown
}

export interface Template {
  Description?: string
  Parameters?: Record<string, { Type: string; Default?: string; Description?: string }>
  Resources?: Record<string, TemplateResource>
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: { Name: unknown } }>
  [section: string]: unknown
}

export type FailurePhase = 'create' | 'update' | 'delete' | 'rollback'

export interface ResourceFailure {
  logicalId: string
  during: FailurePhase
  reason: string
  /** Only in this stack (name); default: any stack with that logical id. */
  stack?: string
}

export interface StackSeed {
  name: string
  /** Default CREATE_COMPLETE; a *_IN_PROGRESS status is stuck (nothing moves it). */
  status?: string
  statusReason?: string
  /** Default: one AWS::CloudFormation::WaitConditionHandle named Placeholder. */
  template?: Template
  tags?: Record<string, string>
  parameters?: Record<string, string>
  terminationProtection?: boolean
}

/** What the fake holds about one stack, for assertions (never advances an operation). */
export interface StackView {
  stackId: string
  name: string
  status: string
  statusReason?: string
  template: Template | undefined
  outputs: Record<string, string>
  tags: Record<string, string>
  parameters: Record<string, string>
  terminationProtection: boolean
  resources: { logicalId: string; type: string; physicalId: string; status: string }[]
  changeSets: string[]
  /** Newest first, like DescribeStackEvents. */
  events: StackEvent[]
}

export interface FakeCloudFormationOptions {
  account?: string
  region?: string
  /** Reads a TemplateURL (the fake S3); undefined when there is no such object. */
  templateFromUrl?: (url: string) => string | undefined
  /** Resolves AWS::SSM::Parameter::Value parameters; undefined when the parameter is missing. */
  ssmParameter?: (name: string) => string | undefined
  /** DescribeChangeSet answers CREATE_IN_PROGRESS this many times first (default 0). */
  changeSetPolls?: number
  /**
   * Stacks living in another region than `region`, by name (one fake answers every client,
   * whatever its region): their ids, `AWS::Region` and certificate ARNs name that region.
   */
  stackRegions?: Record<string, string>
}

interface Revision {
  template: Template
  body: string
  parameters: Parameter[]
  tags: Tag[]
  capabilities: Capability[]
  roleArn?: string
}

interface Resource {
  logicalId: string
  type: string
  physicalId: string
  status: string
  updated: Date
}

interface ChangeSetRecord {
  id: string
  name: string
  type: 'CREATE' | 'UPDATE'
  status: 'CREATE_IN_PROGRESS' | 'CREATE_COMPLETE' | 'FAILED'
  statusReason?: string
  created: Date
  description?: string
  revision: Revision
  changes: Change[]
  pollsLeft: number
}

interface RollbackPlan {
  previous: Revision | undefined
  previousOutputs: Output[]
  /** Resources changed by the update, with their state before it (reverted last-first). */
  toRevert: Resource[]
  /** Resources the update added (deleted last-first). */
  toDelete: string[]
  /** What is rolled back: a new stack's creation or an update. */
  kind: 'create' | 'update'
}

interface StackRecord {
  stackId: string
  name: string
  status: string
  statusReason?: string
  created: Date
  updated?: Date
  deleted?: Date
  revision: Revision | undefined
  outputs: Output[]
  resources: Map<string, Resource>
  events: StackEvent[]
  changeSets: Map<string, ChangeSetRecord>
  terminationProtection: boolean
  queue: (() => void)[]
  operationId: string
  token?: string
  rollback?: RollbackPlan
  failedDeletes: string[]
}

const NO_CHANGES =
  "The submitted information didn't contain changes. Submit different information to create a change set."

const UPDATABLE = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
])

const DEFAULT_TEMPLATE: Template = {
  Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
}

/** CloudFormation's untyped error, as the SDK builds it from a 400 `ValidationError`. */
export function validationError(message: string): CloudFormationServiceException {
  return new CloudFormationServiceException({
    name: 'ValidationError',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message,
  })
}

export class FakeCloudFormation {
  readonly account: string
  readonly region: string
  /** Commands the fake does not model that were sent anyway (each was rejected). */
  readonly unexpected: string[] = []
  private readonly stacks: StackRecord[] = []
  private readonly failures: ResourceFailure[] = []
  private lastTime = 0
  private physicalIds = 0

  constructor(private readonly options: FakeCloudFormationOptions = {}) {
    this.account = options.account ?? '123456789012'
    this.region = options.region ?? 'us-east-1'
  }

  // ---- test controls -------------------------------------------------------------------------

  /** Wires the fake to a CloudFormation mock; any other command is rejected, naming it. */
  attach(mock: AwsClientStub<CloudFormationClient>): void {
    mock.send.callsFake((command: object) => {
      this.unexpected.push(command.constructor.name)
      return Promise.reject(
        new Error(`fake CloudFormation: unexpected command ${command.constructor.name}`),
      )
    })
    const on = <I, O>(command: new (input: I) => { input: I }, handler: (input: I) => O): void => {
      // Each answer is a fresh copy, as from the wire: callers may mutate what they get.
      mock.on(command as never).callsFake(async (input: I) => structuredClone(handler(input)))
    }
    on(DescribeStacksCommand, (i) => this.describeStacks(i))
    on(CreateChangeSetCommand, (i) => this.createChangeSet(i))
    on(DescribeChangeSetCommand, (i) => this.describeChangeSet(i))
    on(ExecuteChangeSetCommand, (i) => this.executeChangeSet(i))
    on(DeleteChangeSetCommand, (i) => this.deleteChangeSet(i))
    on(ListChangeSetsCommand, (i) => this.listChangeSets(i))
    on(GetTemplateCommand, (i) => this.getTemplate(i))
    on(DescribeStackEventsCommand, (i) => this.describeStackEvents(i))
    on(DescribeStackResourcesCommand, (i) => this.describeStackResources(i))
    on(ListStackResourcesCommand, (i) => this.listStackResources(i))
    on(DeleteStackCommand, (i) => this.deleteStack(i))
    on(UpdateTerminationProtectionCommand, (i) => this.updateTerminationProtection(i))
    on(ContinueUpdateRollbackCommand, (i) => this.continueUpdateRollback(i))
  }

  /** Puts a stack in place as if it had been deployed earlier. */
  givenStack(seed: StackSeed): StackView {
    if (this.live(seed.name)) throw new Error(`fake CloudFormation: ${seed.name} exists already`)
    const template = seed.template ?? DEFAULT_TEMPLATE
    const status = seed.status ?? 'CREATE_COMPLETE'
    const stack = this.newStack(seed.name)
    stack.status = status
    stack.statusReason = seed.statusReason
    stack.terminationProtection = seed.terminationProtection ?? false
    stack.revision = {
      template,
      body: JSON.stringify(template),
      parameters: this.parameterValues(template, toParameters(seed.parameters), undefined),
      tags: toTags(seed.tags),
      capabilities: [],
    }
    const holdsResources = !/^(ROLLBACK_COMPLETE|REVIEW_IN_PROGRESS|DELETE_COMPLETE)$/.test(status)
    if (holdsResources) {
      for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
        stack.resources.set(logicalId, {
          logicalId,
          type: r.Type,
          physicalId: this.physicalId(stack, logicalId, r.Type),
          status: 'CREATE_COMPLETE',
          updated: this.now(),
        })
      }
      stack.outputs = this.outputsOf(stack)
    }
    this.stackEvent(stack, status, seed.statusReason)
    if (status === 'DELETE_COMPLETE') stack.deleted = this.now()
    return this.view(stack)
  }

  failResource(failure: ResourceFailure): void {
    this.failures.push(failure)
  }

  clearFailures(): void {
    this.failures.length = 0
  }

  /** The stack as the fake holds it, by name (live only) or id; undefined if unknown. */
  stack(nameOrId: string): StackView | undefined {
    const s = this.find(nameOrId)
    return s && this.view(s)
  }

  /** Names of the stacks that exist (not deleted), oldest first. */
  liveStackNames(): string[] {
    return this.stacks.filter((s) => s.status !== 'DELETE_COMPLETE').map((s) => s.name)
  }

  // ---- API -----------------------------------------------------------------------------------

  describeStacks(input: DescribeStacksCommandInput): DescribeStacksCommandOutput {
    if (input.StackName === undefined) {
      const live = this.stacks.filter((s) => s.status !== 'DELETE_COMPLETE')
      for (const s of live) this.advance(s)
      return meta({ Stacks: live.filter((s) => s.status !== 'DELETE_COMPLETE').map(describe) })
    }
    const stack = this.mustFind(input.StackName, `Stack with id ${input.StackName} does not exist`)
    this.advance(stack)
    if (stack.status === 'DELETE_COMPLETE' && !isStackId(input.StackName)) {
      throw validationError(`Stack with id ${input.StackName} does not exist`)
    }
    return meta({ Stacks: [describe(stack)] })
  }

  createChangeSet(input: CreateChangeSetCommandInput): CreateChangeSetCommandOutput {
    const name = required(input.StackName, 'StackName')
    const csName = required(input.ChangeSetName, 'ChangeSetName')
    const type = input.ChangeSetType ?? 'UPDATE'
    if (type !== 'CREATE' && type !== 'UPDATE') {
      throw new Error(`fake CloudFormation: ChangeSetType ${type} is not modelled`)
    }
    const body = this.templateBody(input)
    const template = parseTemplate(body)
    let stack = this.find(name)
    if (type === 'CREATE') {
      if (stack && stack.status !== 'REVIEW_IN_PROGRESS' && stack.status !== 'DELETE_COMPLETE') {
        throw validationError(
          `Stack [${stack.name}] already exists and cannot be created again with the changeSet [${csName}].`,
        )
      }
      if (!stack || stack.status === 'DELETE_COMPLETE') {
        if (isStackId(name)) throw validationError(`Stack [${name}] does not exist`)
        stack = this.newStack(name)
        stack.status = 'REVIEW_IN_PROGRESS'
        stack.statusReason = 'User Initiated'
        this.stackEvent(stack, 'REVIEW_IN_PROGRESS', 'User Initiated')
      }
    } else {
      if (!stack || stack.status === 'DELETE_COMPLETE') {
        throw validationError(`Stack [${name}] does not exist`)
      }
      if (!UPDATABLE.has(stack.status)) {
        throw validationError(
          `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`,
        )
      }
    }
    if (stack.changeSets.has(csName)) {
      throw new AlreadyExistsException({
        message: `ChangeSet [${csName}] already exists`,
        $metadata: {},
      })
    }
    const previous = type === 'UPDATE' ? stack.revision : undefined
    const revision: Revision = {
      template,
      body,
      parameters: this.parameterValues(template, input.Parameters ?? [], previous),
      tags: input.Tags ?? previous?.tags ?? [],
      capabilities: input.Capabilities ?? [],
      roleArn: input.RoleARN,
    }
    const changes = resourceChanges(previous?.template, template, stack.resources)
    const unchanged =
      type === 'UPDATE' &&
      previous !== undefined &&
      changes.length === 0 &&
      isDeepStrictEqual(template.Outputs ?? {}, previous.template.Outputs ?? {}) &&
      isDeepStrictEqual(valuesOf(revision.parameters), valuesOf(previous.parameters)) &&
      isDeepStrictEqual(tagMap(revision.tags), tagMap(previous.tags))
    const cs: ChangeSetRecord = {
      id: `arn:aws:cloudformation:${this.region}:${this.account}:changeSet/${csName}/${randomUUID()}`,
      name: csName,
      type,
      status: unchanged ? 'FAILED' : 'CREATE_COMPLETE',
      statusReason: unchanged ? NO_CHANGES : undefined,
      created: this.now(),
      description: input.Description,
      revision,
      changes,
      pollsLeft: this.options.changeSetPolls ?? 0,
    }
    stack.changeSets.set(csName, cs)
    return meta({ Id: cs.id, StackId: stack.stackId })
  }

  describeChangeSet(input: DescribeChangeSetCommandInput): DescribeChangeSetCommandOutput {
    const { stack, cs } = this.changeSet(
      input.StackName,
      required(input.ChangeSetName, 'ChangeSetName'),
    )
    const settling = cs.pollsLeft > 0
    if (settling) cs.pollsLeft--
    const executable = cs.status === 'CREATE_COMPLETE' && !settling
    return meta({
      ChangeSetName: cs.name,
      ChangeSetId: cs.id,
      StackId: stack.stackId,
      StackName: stack.name,
      Description: cs.description,
      Parameters: cs.revision.parameters,
      CreationTime: cs.created,
      ExecutionStatus: executable ? 'AVAILABLE' : 'UNAVAILABLE',
      Status: settling ? 'CREATE_IN_PROGRESS' : cs.status,
      StatusReason: settling ? undefined : cs.statusReason,
      NotificationARNs: [],
      Capabilities: cs.revision.capabilities,
      Tags: cs.revision.tags,
      Changes: settling ? [] : cs.changes,
      IncludeNestedStacks: false,
    })
  }

  executeChangeSet(input: ExecuteChangeSetCommandInput) {
    if (input.DisableRollback)
      throw new Error('fake CloudFormation: DisableRollback is not modelled')
    const { stack, cs } = this.changeSet(
      input.StackName,
      required(input.ChangeSetName, 'ChangeSetName'),
    )
    if (cs.status !== 'CREATE_COMPLETE' || cs.pollsLeft > 0) {
      throw new InvalidChangeSetStatusException({
        message: `ChangeSet [${cs.id}] cannot be executed in its current status of [${cs.pollsLeft > 0 ? 'CREATE_IN_PROGRESS' : cs.status}]`,
        $metadata: {},
      })
    }
    stack.changeSets.clear()
    stack.token = input.ClientRequestToken
    if (cs.type === 'CREATE') this.startCreate(stack, cs)
    else this.startUpdate(stack, cs)
    return meta({})
  }

  deleteChangeSet(input: DeleteChangeSetCommandInput) {
    const csName = required(input.ChangeSetName, 'ChangeSetName')
    const stack = this.stackOfChangeSet(input.StackName, csName)
    for (const [name, cs] of stack.changeSets) {
      if (name === csName || cs.id === csName) stack.changeSets.delete(name)
    }
    return meta({})
  }

  listChangeSets(input: ListChangeSetsCommandInput): ListChangeSetsCommandOutput {
    const name = required(input.StackName, 'StackName')
    const stack = this.mustFind(name, `Stack [${name}] does not exist`)
    return meta({
      Summaries: [...stack.changeSets.values()].map((cs) => ({
        StackId: stack.stackId,
        StackName: stack.name,
        ChangeSetId: cs.id,
        ChangeSetName: cs.name,
        ExecutionStatus: cs.status === 'CREATE_COMPLETE' ? 'AVAILABLE' : 'UNAVAILABLE',
        Status: cs.status,
        StatusReason: cs.statusReason,
        CreationTime: cs.created,
        Description: cs.description,
      })),
    })
  }

  getTemplate(input: GetTemplateCommandInput): GetTemplateCommandOutput {
    const name = required(input.StackName, 'StackName')
    const stack = this.mustFind(name, `Stack with id ${name} does not exist`)
    return meta({
      TemplateBody: stack.revision?.body ?? '{}',
      StagesAvailable: ['Original', 'Processed'],
    })
  }

  describeStackEvents(input: DescribeStackEventsCommandInput): DescribeStackEventsCommandOutput {
    const name = required(input.StackName, 'StackName')
    const stack = this.mustFind(name, `Stack [${name}] does not exist`)
    const start = input.NextToken ? Number(input.NextToken) : 0
    const page = stack.events.slice(start, start + 100)
    const next = start + 100 < stack.events.length ? String(start + 100) : undefined
    return meta({ StackEvents: page, NextToken: next })
  }

  describeStackResources(
    input: DescribeStackResourcesCommandInput,
  ): DescribeStackResourcesCommandOutput {
    const name = required(input.StackName, 'StackName')
    const stack = this.mustFind(name, `Stack with id ${name} does not exist`)
    const resources = [...stack.resources.values()].filter(
      (r) => input.LogicalResourceId === undefined || r.logicalId === input.LogicalResourceId,
    )
    return meta({
      StackResources: resources.map((r) => ({
        StackName: stack.name,
        StackId: stack.stackId,
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        ResourceStatus: r.status as never,
        Timestamp: r.updated,
      })),
    })
  }

  listStackResources(input: ListStackResourcesCommandInput): ListStackResourcesCommandOutput {
    const name = required(input.StackName, 'StackName')
    const stack = this.mustFind(name, `Stack with id ${name} does not exist`)
    return meta({
      StackResourceSummaries: [...stack.resources.values()].map((r) => ({
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        ResourceStatus: r.status as never,
        LastUpdatedTimestamp: r.updated,
      })),
    })
  }

  deleteStack(input: DeleteStackCommandInput) {
    const name = required(input.StackName, 'StackName')
    const stack = this.find(name)
    if (!stack || stack.status === 'DELETE_COMPLETE') return meta({})
    if (stack.terminationProtection) {
      throw validationError(
        `Stack [${stack.name}] cannot be deleted while TerminationProtection is enabled`,
      )
    }
    if (stack.status === 'DELETE_IN_PROGRESS') return meta({})
    if (stack.status.endsWith('_IN_PROGRESS') && stack.status !== 'REVIEW_IN_PROGRESS') {
      throw validationError(
        `Stack [${stack.stackId}] cannot be deleted while in status ${stack.status}`,
      )
    }
    if (input.RetainResources?.length && stack.status !== 'DELETE_FAILED') {
      throw validationError(
        `Invalid operation on stack [${stack.stackId}]. RetainResources can only be specified when the stack is in the DELETE_FAILED state`,
      )
    }
    stack.token = input.ClientRequestToken
    this.startDelete(stack, new Set(input.RetainResources ?? []))
    return meta({})
  }

  updateTerminationProtection(input: UpdateTerminationProtectionCommandInput) {
    const name = required(input.StackName, 'StackName')
    const stack = this.mustFind(name, `Stack [${name}] does not exist`)
    if (stack.status === 'DELETE_COMPLETE') throw validationError(`Stack [${name}] does not exist`)
    stack.terminationProtection = required(
      input.EnableTerminationProtection,
      'EnableTerminationProtection',
    )
    return meta({ StackId: stack.stackId })
  }

  continueUpdateRollback(input: ContinueUpdateRollbackCommandInput) {
    const name = required(input.StackName, 'StackName')
    const stack = this.mustFind(name, `Stack [${name}] does not exist`)
    const plan = stack.rollback
    if (stack.status !== 'UPDATE_ROLLBACK_FAILED' || !plan) {
      throw validationError(
        `Stack [${stack.stackId}] is in ${stack.status} state and cannot continue update rollback`,
      )
    }
    const skip = new Set(input.ResourcesToSkip ?? [])
    plan.toRevert = plan.toRevert.filter((r) => !skip.has(r.logicalId))
    stack.token = input.ClientRequestToken
    stack.operationId = randomUUID()
    this.setStatus(stack, 'UPDATE_ROLLBACK_IN_PROGRESS', 'User Initiated')
    stack.queue = this.updateRollbackSteps(stack, plan)
    return meta({})
  }

  // ---- operations ----------------------------------------------------------------------------

  private startCreate(stack: StackRecord, cs: ChangeSetRecord): void {
    stack.operationId = randomUUID()
    stack.revision = cs.revision
    stack.rollback = {
      previous: undefined,
      previousOutputs: [],
      toRevert: [],
      toDelete: [],
      kind: 'create',
    }
    this.setStatus(stack, 'CREATE_IN_PROGRESS', 'User Initiated')
    const resources = Object.entries(cs.revision.template.Resources ?? {})
    stack.queue = [
      ...resources.map(
        ([id, r]) =>
          () =>
            this.addResource(stack, id, r.Type),
      ),
      () => this.complete(stack, 'CREATE_COMPLETE'),
    ]
  }

  private startUpdate(stack: StackRecord, cs: ChangeSetRecord): void {
    stack.operationId = randomUUID()
    const previous = stack.revision
    stack.rollback = {
      previous,
      previousOutputs: stack.outputs,
      toRevert: [],
      toDelete: [],
      kind: 'update',
    }
    stack.revision = cs.revision
    this.setStatus(stack, 'UPDATE_IN_PROGRESS', 'User Initiated')
    const steps: (() => void)[] = []
    const removed: string[] = []
    for (const change of cs.changes) {
      const rc = change.ResourceChange
      const id = rc?.LogicalResourceId ?? ''
      if (rc?.Action === 'Add') steps.push(() => this.addResource(stack, id, rc.ResourceType ?? ''))
      if (rc?.Action === 'Modify') {
        steps.push(() => this.modifyResource(stack, id, rc.ResourceType ?? ''))
      }
      if (rc?.Action === 'Remove') removed.unshift(id)
    }
    stack.queue = [
      ...steps,
      () => this.setStatus(stack, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'),
      ...removed.map((id) => () => this.deleteResource(stack, id, 'cleanup')),
      () => this.complete(stack, 'UPDATE_COMPLETE'),
    ]
  }

  private startDelete(stack: StackRecord, retain: Set<string>): void {
    stack.operationId = randomUUID()
    stack.failedDeletes = []
    this.setStatus(stack, 'DELETE_IN_PROGRESS', 'User Initiated')
    const ids = [...stack.resources.keys()].reverse()
    stack.queue = [
      ...ids.map(
        (id) => () => this.deleteResource(stack, id, retain.has(id) ? 'retain' : 'delete'),
      ),
      () => this.finishDelete(stack),
    ]
  }

  private addResource(stack: StackRecord, logicalId: string, type: string): void {
    this.resourceEvent(stack, logicalId, type, '', 'CREATE_IN_PROGRESS')
    const failure = this.failure(stack, logicalId, 'create')
    const plan = stack.rollback
    if (failure) {
      this.resourceEvent(stack, logicalId, type, '', 'CREATE_FAILED', failure.reason)
      this.beginRollback(stack, logicalId, 'create')
      return
    }
    const resource: Resource = {
      logicalId,
      type,
      physicalId: this.physicalId(stack, logicalId, type),
      status: 'CREATE_COMPLETE',
      updated: this.now(),
    }
    stack.resources.set(logicalId, resource)
    plan?.toDelete.push(logicalId)
    this.resourceEvent(
      stack,
      logicalId,
      type,
      resource.physicalId,
      'CREATE_IN_PROGRESS',
      'Resource creation Initiated',
    )
    this.resourceEvent(stack, logicalId, type, resource.physicalId, 'CREATE_COMPLETE')
  }

  private modifyResource(stack: StackRecord, logicalId: string, type: string): void {
    const resource = stack.resources.get(logicalId)
    if (!resource) throw new Error(`fake CloudFormation: ${logicalId} is not in ${stack.name}`)
    this.resourceEvent(stack, logicalId, type, resource.physicalId, 'UPDATE_IN_PROGRESS')
    const failure = this.failure(stack, logicalId, 'update')
    if (failure) {
      this.resourceEvent(
        stack,
        logicalId,
        type,
        resource.physicalId,
        'UPDATE_FAILED',
        failure.reason,
      )
      this.beginRollback(stack, logicalId, 'update')
      return
    }
    stack.rollback?.toRevert.push({ ...resource })
    Object.assign(resource, { type, status: 'UPDATE_COMPLETE', updated: this.now() })
    this.resourceEvent(stack, logicalId, type, resource.physicalId, 'UPDATE_COMPLETE')
  }

  /**
   * Deletes one resource. `delete` (stack deletion) and `cleanup` (after an update) may fail by
   * injection; `rollback` fails the rollback; `retain` skips the resource.
   */
  private deleteResource(
    stack: StackRecord,
    logicalId: string,
    mode: 'delete' | 'cleanup' | 'rollback' | 'retain',
  ): boolean {
    const resource = stack.resources.get(logicalId)
    if (!resource) return true
    const { type, physicalId } = resource
    if (mode === 'retain') {
      stack.resources.delete(logicalId)
      this.resourceEvent(stack, logicalId, type, physicalId, 'DELETE_SKIPPED')
      return true
    }
    this.resourceEvent(stack, logicalId, type, physicalId, 'DELETE_IN_PROGRESS')
    const failure = this.failure(stack, logicalId, mode === 'rollback' ? 'rollback' : 'delete')
    if (failure) {
      resource.status = 'DELETE_FAILED'
      this.resourceEvent(stack, logicalId, type, physicalId, 'DELETE_FAILED', failure.reason)
      if (mode === 'delete') stack.failedDeletes.push(logicalId)
      if (mode === 'cleanup') stack.resources.delete(logicalId)
      return false
    }
    stack.resources.delete(logicalId)
    this.resourceEvent(stack, logicalId, type, physicalId, 'DELETE_COMPLETE')
    return true
  }

  private beginRollback(stack: StackRecord, failedId: string, verb: 'create' | 'update'): void {
    const plan = stack.rollback
    if (!plan) throw new Error(`fake CloudFormation: ${stack.name} has nothing to roll back`)
    stack.operationId = randomUUID()
    if (plan.kind === 'create') {
      this.setStatus(
        stack,
        'ROLLBACK_IN_PROGRESS',
        `The following resource(s) failed to create: [${failedId}]. Rollback requested by user.`,
      )
      const made = [...stack.resources.keys()].reverse()
      stack.queue = [
        ...made.map((id) => () => {
          if (!this.deleteResource(stack, id, 'rollback')) {
            stack.queue = []
            this.setStatus(
              stack,
              'ROLLBACK_FAILED',
              `The following resource(s) failed to delete: [${id}]. `,
            )
          }
        }),
        () => {
          stack.outputs = []
          stack.rollback = undefined
          this.setStatus(stack, 'ROLLBACK_COMPLETE')
        },
      ]
      return
    }
    this.setStatus(
      stack,
      'UPDATE_ROLLBACK_IN_PROGRESS',
      `The following resource(s) failed to ${verb}: [${failedId}]. `,
    )
    stack.queue = this.updateRollbackSteps(stack, plan)
  }

  private updateRollbackSteps(stack: StackRecord, plan: RollbackPlan): (() => void)[] {
    stack.revision = plan.previous
    const revert = [...plan.toRevert].reverse()
    return [
      ...revert.map((before) => () => {
        const resource = stack.resources.get(before.logicalId)
        if (!resource) return
        this.resourceEvent(
          stack,
          before.logicalId,
          before.type,
          before.physicalId,
          'UPDATE_IN_PROGRESS',
        )
        const failure = this.failure(stack, before.logicalId, 'rollback')
        if (failure) {
          this.resourceEvent(
            stack,
            before.logicalId,
            before.type,
            before.physicalId,
            'UPDATE_FAILED',
            failure.reason,
          )
          stack.queue = []
          this.setStatus(
            stack,
            'UPDATE_ROLLBACK_FAILED',
            `The following resource(s) failed to update: [${before.logicalId}]. `,
          )
          return
        }
        Object.assign(resource, { ...before, status: 'UPDATE_COMPLETE', updated: this.now() })
        plan.toRevert = plan.toRevert.filter((r) => r.logicalId !== before.logicalId)
        this.resourceEvent(
          stack,
          before.logicalId,
          before.type,
          before.physicalId,
          'UPDATE_COMPLETE',
        )
      }),
      () => this.setStatus(stack, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'),
      ...[...plan.toDelete]
        .reverse()
        .map((id) => () => void this.deleteResource(stack, id, 'cleanup')),
      () => {
        stack.outputs = plan.previousOutputs
        stack.rollback = undefined
        this.setStatus(stack, 'UPDATE_ROLLBACK_COMPLETE')
      },
    ]
  }

  private complete(stack: StackRecord, status: string): void {
    stack.outputs = this.outputsOf(stack)
    stack.rollback = undefined
    if (status !== 'CREATE_COMPLETE') stack.updated = this.now()
    this.setStatus(stack, status)
  }

  private finishDelete(stack: StackRecord): void {
    if (stack.failedDeletes.length > 0) {
      this.setStatus(
        stack,
        'DELETE_FAILED',
        `The following resource(s) failed to delete: [${stack.failedDeletes.join(', ')}]. `,
      )
      return
    }
    stack.deleted = this.now()
    stack.outputs = []
    stack.changeSets.clear()
    this.setStatus(stack, 'DELETE_COMPLETE')
  }

  // ---- helpers -------------------------------------------------------------------------------

  private advance(stack: StackRecord): void {
    stack.queue.shift()?.()
  }

  private setStatus(stack: StackRecord, status: string, reason?: string): void {
    stack.status = status
    stack.statusReason = reason
    this.stackEvent(stack, status, reason)
  }

  private stackEvent(stack: StackRecord, status: string, reason?: string): void {
    this.pushEvent(stack, {
      LogicalResourceId: stack.name,
      PhysicalResourceId: stack.stackId,
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatus: status as never,
      ResourceStatusReason: reason,
    })
  }

  private resourceEvent(
    stack: StackRecord,
    logicalId: string,
    type: string,
    physicalId: string,
    status: string,
    reason?: string,
  ): void {
    this.pushEvent(stack, {
      LogicalResourceId: logicalId,
      PhysicalResourceId: physicalId,
      ResourceType: type,
      ResourceStatus: status as never,
      ResourceStatusReason: reason,
    })
  }

  private pushEvent(stack: StackRecord, e: Partial<StackEvent>): void {
    stack.events.unshift({
      ...e,
      StackId: stack.stackId,
      StackName: stack.name,
      EventId: randomUUID(),
      Timestamp: this.now(),
      ClientRequestToken: stack.token,
      OperationId: stack.operationId,
    } as StackEvent)
  }

  private failure(stack: StackRecord, logicalId: string, phase: FailurePhase) {
    return this.failures.find(
      (f) =>
        f.logicalId === logicalId &&
        f.during === phase &&
        (f.stack === undefined || f.stack === stack.name),
    )
  }

  private newStack(name: string): StackRecord {
    const stack: StackRecord = {
      stackId: `arn:aws:cloudformation:${this.regionOf(name)}:${this.account}:stack/${name}/${randomUUID()}`,
      name,
      status: 'REVIEW_IN_PROGRESS',
      created: this.now(),
      revision: undefined,
      outputs: [],
      resources: new Map(),
      events: [],
      changeSets: new Map(),
      terminationProtection: false,
      queue: [],
      operationId: randomUUID(),
      failedDeletes: [],
    }
    this.stacks.push(stack)
    return stack
  }

  private physicalId(stack: StackRecord, logicalId: string, type?: string): string {
    this.physicalIds += 1
    const n = this.physicalIds.toString(16).padStart(6, '0')
    // Ref of a certificate is its ARN, which callers parse (CloudFront checks the region).
    if (type === 'AWS::CertificateManager::Certificate') {
      return `arn:aws:acm:${this.regionOf(stack.name)}:${this.account}:certificate/00000000-0000-4000-8000-000000${n}`
    }
    return `${stack.name}-${logicalId}-${n}`
  }

  private regionOf(stackName: string): string {
    return this.options.stackRegions?.[stackName] ?? this.region
  }

  private now(): Date {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1)
    return new Date(this.lastTime)
  }

  /** The live stack with this name, or the stack (live or deleted) with this id. */
  private find(nameOrId: string): StackRecord | undefined {
    if (isStackId(nameOrId)) return this.stacks.find((s) => s.stackId === nameOrId)
    return this.live(nameOrId)
  }

  private live(name: string): StackRecord | undefined {
    return this.stacks.find((s) => s.name === name && s.status !== 'DELETE_COMPLETE')
  }

  private mustFind(nameOrId: string, message: string): StackRecord {
    const stack = this.find(nameOrId)
    if (!stack) throw validationError(message)
    return stack
  }

  private stackOfChangeSet(stackName: string | undefined, csNameOrId: string): StackRecord {
    if (isChangeSetId(csNameOrId)) {
      const owner = this.stacks.find((s) =>
        [...s.changeSets.values()].some((cs) => cs.id === csNameOrId),
      )
      if (owner) return owner
      if (stackName === undefined) {
        throw new ChangeSetNotFoundException({
          message: `ChangeSet [${csNameOrId}] does not exist`,
          $metadata: {},
        })
      }
    }
    const name = required(stackName, 'StackName')
    const stack = this.find(name)
    if (!stack || stack.status === 'DELETE_COMPLETE') {
      throw validationError(`Stack [${name}] does not exist`)
    }
    return stack
  }

  private changeSet(
    stackName: string | undefined,
    csNameOrId: string,
  ): { stack: StackRecord; cs: ChangeSetRecord } {
    const stack = this.stackOfChangeSet(stackName, csNameOrId)
    const cs = [...stack.changeSets.values()].find(
      (c) => c.name === csNameOrId || c.id === csNameOrId,
    )
    if (!cs) {
      throw new ChangeSetNotFoundException({
        message: `ChangeSet [${csNameOrId}] does not exist`,
        $metadata: {},
      })
    }
    return { stack, cs }
  }

  private templateBody(input: CreateChangeSetCommandInput): string {
    if (input.TemplateBody !== undefined) return input.TemplateBody
    if (input.TemplateURL !== undefined) {
      const body = this.options.templateFromUrl?.(input.TemplateURL)
      if (body === undefined) throw validationError('S3 error: The specified key does not exist.')
      return body
    }
    throw validationError('Either Template URL or Template Body must be specified.')
  }

  private parameterValues(
    template: Template,
    given: Parameter[],
    previous: Revision | undefined,
  ): Parameter[] {
    const declared = template.Parameters ?? {}
    const unknown = given.map((p) => p.ParameterKey ?? '').filter((k) => !(k in declared))
    if (unknown.length > 0) {
      throw validationError(`Parameters: [${unknown.join(', ')}] do not exist in the template`)
    }
    const missing: string[] = []
    const values: Parameter[] = []
    for (const [key, decl] of Object.entries(declared)) {
      const input = given.find((p) => p.ParameterKey === key)
      const before = previous?.parameters.find((p) => p.ParameterKey === key)?.ParameterValue
      const value = input?.UsePreviousValue ? before : (input?.ParameterValue ?? decl.Default)
      if (value === undefined) {
        missing.push(key)
        continue
      }
      const ssm = /^AWS::SSM::Parameter::Value</.test(decl.Type)
      values.push({
        ParameterKey: key,
        ParameterValue: value,
        ...(ssm ? { ResolvedValue: this.resolveSsm(value) } : {}),
      })
    }
    if (missing.length > 0) {
      throw validationError(`Parameters: [${missing.join(', ')}] must have values`)
    }
    return values
  }

  private resolveSsm(name: string): string {
    const value = this.options.ssmParameter?.(name)
    if (value === undefined) {
      throw validationError(
        `Unable to fetch parameters [${name}] from parameter store for this account.`,
      )
    }
    return value
  }

  private outputsOf(stack: StackRecord): Output[] {
    const template = stack.revision?.template
    return Object.entries(template?.Outputs ?? {}).map(([key, o]) => ({
      OutputKey: key,
      OutputValue: this.resolve(stack, o.Value),
      ...(o.Description !== undefined ? { Description: o.Description } : {}),
      ...(o.Export ? { ExportName: this.resolve(stack, o.Export.Name) } : {}),
    }))
  }

  /** Resolves an output value as far as the fake can (see the specification). */
  private resolve(stack: StackRecord, value: unknown): string {
    const list = (v: unknown): string[] =>
      Array.isArray(v) ? v.map((x) => this.resolve(stack, x)) : this.resolve(stack, v).split(',')
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return String(value)
    }
    if (value === null || typeof value !== 'object') return 'fake:unresolved'
    const [fn, arg] = Object.entries(value)[0] ?? []
    switch (fn) {
      case 'Ref':
        return this.ref(stack, String(arg))
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.')
        return `fake:${String(id)}.${String(attr)}`
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown]
        return list(parts).join(sep)
      }
      case 'Fn::Select': {
        const [index, items] = arg as [unknown, unknown]
        return list(items)[Number(this.resolve(stack, index))] ?? 'fake:unresolved'
      }
      case 'Fn::GetAZs':
        return [`${this.region}a`, `${this.region}b`].join(',')
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? arg : [arg, {}]
        return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          const bound = (vars as Record<string, unknown>)[name]
          if (bound !== undefined) return this.resolve(stack, bound)
          const [id, attr] = name.split('.')
          return attr ? `fake:${id}.${attr}` : this.ref(stack, name)
        })
      }
      default:
        return 'fake:unresolved'
    }
  }

  private ref(stack: StackRecord, name: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Region': this.regionOf(stack.name),
      'AWS::AccountId': this.account,
      'AWS::StackName': stack.name,
      'AWS::StackId': stack.stackId,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    }
    if (name in pseudo) return pseudo[name] as string
    const parameter = stack.revision?.parameters.find((p) => p.ParameterKey === name)
    if (parameter) return parameter.ResolvedValue ?? parameter.ParameterValue ?? ''
    return stack.resources.get(name)?.physicalId ?? 'fake:unresolved'
  }

  private view(stack: StackRecord): StackView {
    return structuredClone({
      stackId: stack.stackId,
      name: stack.name,
      status: stack.status,
      statusReason: stack.statusReason,
      template: stack.revision?.template,
      outputs: Object.fromEntries(stack.outputs.map((o) => [o.OutputKey, o.OutputValue])),
      tags: tagMap(stack.revision?.tags ?? []),
      parameters: valuesOf(stack.revision?.parameters ?? []),
      terminationProtection: stack.terminationProtection,
      resources: [...stack.resources.values()].map((r) => ({
        logicalId: r.logicalId,
        type: r.type,
        physicalId: r.physicalId,
        status: r.status,
      })),
      changeSets: [...stack.changeSets.keys()],
      events: stack.events,
    })
  }
}

function describe(stack: StackRecord): Stack {
  const revision = stack.revision
  return {
    StackId: stack.stackId,
    StackName: stack.name,
    Description: revision?.template.Description,
    Parameters: revision?.parameters,
    CreationTime: stack.created,
    LastUpdatedTime: stack.updated,
    DeletionTime: stack.deleted,
    StackStatus: stack.status as never,
    StackStatusReason: stack.statusReason,
    DisableRollback: false,
    NotificationARNs: [],
    Capabilities: revision?.capabilities,
    ...(stack.outputs.length > 0 ? { Outputs: stack.outputs } : {}),
    RoleARN: revision?.roleArn,
    Tags: revision?.tags ?? [],
    EnableTerminationProtection: stack.terminationProtection,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  }
}

function resourceChanges(
  before: Template | undefined,
  after: Template,
  deployed: Map<string, Resource>,
): Change[] {
  const old = before?.Resources ?? {}
  const now = after.Resources ?? {}
  const changes: Change[] = []
  for (const [id, r] of Object.entries(now)) {
    const prior = old[id]
    if (!prior) {
      changes.push(resourceChange({ Action: 'Add', LogicalResourceId: id, ResourceType: r.Type }))
    } else if (!isDeepStrictEqual(prior, r)) {
      const keys = new Set([...Object.keys(prior), ...Object.keys(r)])
      const scope = [...keys].filter((k) => k !== 'Type' && !isDeepStrictEqual(prior[k], r[k]))
      const props = new Set([
        ...Object.keys(prior.Properties ?? {}),
        ...Object.keys(r.Properties ?? {}),
      ])
      changes.push(
        resourceChange({
          Action: 'Modify',
          LogicalResourceId: id,
          PhysicalResourceId: deployed.get(id)?.physicalId,
          ResourceType: r.Type,
          Replacement: prior.Type === r.Type ? 'False' : 'True',
          Scope: scope as never,
          Details: [...props]
            .filter((p) => !isDeepStrictEqual(prior.Properties?.[p], r.Properties?.[p]))
            .map((p) => ({
              Target: { Attribute: 'Properties', Name: p, RequiresRecreation: 'Never' },
              Evaluation: 'Static',
              ChangeSource: 'DirectModification',
            })),
        }),
      )
    }
  }
  for (const [id, r] of Object.entries(old)) {
    if (!(id in now)) {
      changes.push(
        resourceChange({
          Action: 'Remove',
          LogicalResourceId: id,
          PhysicalResourceId: deployed.get(id)?.physicalId,
          ResourceType: r.Type,
          PolicyAction: 'Delete',
        }),
      )
    }
  }
  return changes
}

function resourceChange(rc: Record<string, unknown>): Change {
  return {
    Type: 'Resource',
    ResourceChange: { Scope: [], Details: [], ...rc },
  } as Change
}

function parseTemplate(body: string): Template {
  let parsed: unknown
  try {
    parsed = parseYaml(body)
  } catch {
    throw validationError('Template format error: unsupported structure.')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw validationError('Template format error: unsupported structure.')
  }
  const template = parsed as Template
  if (!template.Resources || Object.keys(template.Resources).length === 0) {
    throw validationError('Template format error: At least one Resources member must be defined.')
  }
  return template
}

function isStackId(nameOrId: string): boolean {
  return nameOrId.startsWith('arn:') && nameOrId.includes(':stack/')
}

function isChangeSetId(nameOrId: string): boolean {
  return nameOrId.startsWith('arn:') && nameOrId.includes(':changeSet/')
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) {
    throw validationError(
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    )
  }
  return value
}

function meta<T extends object>(output: T): T & { $metadata: { httpStatusCode: number } } {
  return { ...output, $metadata: { httpStatusCode: 200 } }
}

function toTags(tags: Record<string, string> | undefined): Tag[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }))
}

function toParameters(values: Record<string, string> | undefined): Parameter[] {
  return Object.entries(values ?? {}).map(([ParameterKey, ParameterValue]) => ({
    ParameterKey,
    ParameterValue,
  }))
}

function tagMap(tags: Tag[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? '']))
}

function valuesOf(parameters: Parameter[]): Record<string, string> {
  return Object.fromEntries(
    parameters.map((p) => [p.ParameterKey ?? '', p.ResolvedValue ?? p.ParameterValue ?? '']),
  )
}
