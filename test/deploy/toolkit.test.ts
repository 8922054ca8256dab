import {
  CreateChangeSetCommand,
  DeleteStackCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation'
import { AssumeRoleCommand } from '@aws-sdk/nested-clients/sts'
import type { CachedCloudAssembly } from '@aws-cdk/toolkit-lib'
import { CfnOutput, Stack, type App } from 'aws-cdk-lib'
import { StringParameter } from 'aws-cdk-lib/aws-ssm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import type { Decisions } from '../../src/deploy/io-host.js'
import { hashedPriority } from '../../src/deploy/priority.js'
import {
  deployOptions,
  one,
  openToolkit,
  synthesize,
  templateOf,
  toolkitError,
  type ToolkitHandle,
} from '../../src/deploy/toolkit.js'
import {
  addAdhocAppStack,
  APP_OUTPUTS,
  availabilityZonesContext,
  DJENV_FEATURE_FLAGS,
  placeholderBaseAttributes,
} from '../../src/infra/index.js'
import { createAsker } from '../../src/ui/ask.js'
import { shopConfig } from '../infra/helpers.js'
import { fakeAws, type FakeAws } from '../support/fake-aws.js'
import type { Template } from '../support/fake-cloudformation.js'
import { scriptedAsker } from '../support/scripted-asker.js'

const ACCOUNT = '123456789012'
const REGION = 'us-east-1'
const STACK = 'djenv-toolkit-test'
/**
 * The fake moves a stack one step per DescribeStacks; between two polls toolkit-lib would
 * otherwise wait its default 2–5 s. Only the waiting changes, not what is asked.
 */
const FAST = { stackEventPollingInterval: 5 }

let aws: FakeAws | undefined
let synthHandle: ToolkitHandle
let hello: CachedCloudAssembly
let helloAgain: CachedCloudAssembly

/** A stack with one SSM parameter holding `value`, and two outputs. */
function greetingStack(value: string) {
  return (app: App) => {
    const stack = new Stack(app, STACK, { env: { account: ACCOUNT, region: REGION } })
    const parameter = new StringParameter(stack, 'Greeting', { stringValue: value })
    new CfnOutput(stack, 'ParameterName', { value: parameter.parameterName })
    new CfnOutput(stack, 'Value', { value })
  }
}

async function open(decisions: Partial<Decisions> = {}) {
  const details: string[] = []
  const h = await openToolkit({
    offline: false,
    region: REGION,
    color: false,
    sink: { detail: (text) => details.push(text) },
    decisions: {
      yes: false,
      destroyConfirmed: true,
      approval: 'never',
      ask: scriptedAsker({}),
      ...decisions,
    },
  })
  return { h, details }
}

/** The error `work` rejects with; the test fails if it resolves. */
function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected a failure, but the operation succeeded')
    },
    (err: unknown) => err,
  )
}

async function template(asm: CachedCloudAssembly, stack = STACK): Promise<Template> {
  return (await templateOf(asm, stack)) as Template
}

async function logicalIdOf(asm: CachedCloudAssembly, type: string): Promise<string> {
  const resources = (await template(asm)).Resources ?? {}
  const id = Object.keys(resources).find((k) => resources[k]?.Type === type)
  if (!id) throw new Error(`no ${type} in ${STACK}`)
  return id
}

function deleteStackInputs(fake: FakeAws): unknown[] {
  return fake.mocks.cloudFormation.commandCalls(DeleteStackCommand).map((c) => c.args[0].input)
}

beforeAll(async () => {
  synthHandle = (await open()).h
  const options = { context: { ...DJENV_FEATURE_FLAGS }, validate: false, lookups: false }
  hello = await synthesize(synthHandle, greetingStack('hello'), options)
  helloAgain = await synthesize(synthHandle, greetingStack('hello again'), options)
})

afterAll(async () => {
  await hello?.dispose()
  await helloAgain?.dispose()
})

afterEach(() => {
  const unexpected = aws?.unexpected()
  aws?.restore()
  aws = undefined
  expect(unexpected ?? []).toEqual([])
})

describe('templateOf', () => {
  it('returns the template as synthesized and uploaded, bootstrap version rule included', async () => {
    const synthesized = await template(hello)

    expect(synthesized.Rules).toHaveProperty('CheckBootstrapVersion')
    expect(synthesized.Parameters).toHaveProperty('BootstrapVersion')
  })
})

describe('toolkit deploy', () => {
  it('creates the stack from the uploaded template and reports its outputs', async () => {
    aws = fakeAws()
    const { h } = await open()
    const parameterId = await logicalIdOf(hello, 'AWS::SSM::Parameter')

    const result = await h.toolkit.deploy(hello, deployOptions(h, STACK, FAST))

    const stack = aws.cfn.stack(STACK)
    const parameter = stack?.resources.find((r) => r.logicalId === parameterId)
    expect(stack).toMatchObject({ status: 'CREATE_COMPLETE', template: await template(hello) })
    expect([...aws.objects.values()].map((body) => JSON.parse(body) as unknown)).toEqual([
      await template(hello),
    ])
    expect(h.host.lastDeploy).toEqual({
      noOp: false,
      outputs: { Value: 'hello', ParameterName: parameter?.physicalId },
      stackArn: stack?.stackId,
    })
    expect(result.stacks[0]?.outputs).toEqual(h.host.lastDeploy?.outputs)
  })

  it('treats a second identical deploy as a no-op: asks nothing, leaves no change set', async () => {
    aws = fakeAws()
    const first = await open()
    await first.h.toolkit.deploy(hello, deployOptions(first.h, STACK, FAST))
    const { h } = await open({ approval: 'any-change', ask: createAsker({ interactive: false }) })

    await h.toolkit.deploy(hello, deployOptions(h, STACK, FAST))

    expect(h.host.pending).toBeUndefined()
    expect(h.host.lastDeploy).toMatchObject({ noOp: true, outputs: { Value: 'hello' } })
    expect(aws.mocks.cloudFormation).toHaveReceivedCommandTimes(CreateChangeSetCommand, 2)
    expect(aws.mocks.cloudFormation).toHaveReceivedCommandTimes(ExecuteChangeSetCommand, 1)
    expect(aws.cfn.stack(STACK)).toMatchObject({ status: 'CREATE_COMPLETE', changeSets: [] })
  })

  it('reports each resource event as a detail line of the current step', async () => {
    aws = fakeAws()
    const { h, details } = await open()
    const parameterId = await logicalIdOf(hello, 'AWS::SSM::Parameter')

    await h.toolkit.deploy(hello, deployOptions(h, STACK, FAST))

    const parameterLines = details.filter((d) => d.endsWith(` AWS::SSM::Parameter ${parameterId}`))
    expect(parameterLines.map((d) => d.split(' ')[1])).toEqual([
      'CREATE_IN_PROGRESS',
      'CREATE_IN_PROGRESS',
      'CREATE_COMPLETE',
    ])
    expect(details).toContain(`${STACK}: deploying... [1/1]`)
    expect(details.at(-1)).toMatch(
      new RegExp(`^(\\d+)/\\1 CREATE_COMPLETE AWS::CloudFormation::Stack ${STACK}$`),
    )
  })

  it("maps a resource that fails to create to DEPLOY_FAILED carrying CloudFormation's reason", async () => {
    aws = fakeAws()
    const { h } = await open()
    const parameterId = await logicalIdOf(hello, 'AWS::SSM::Parameter')
    const reason =
      'Resource handler returned message: "User is not authorized to perform: ssm:PutParameter" (HandlerErrorCode: AccessDenied)'
    aws.cfn.failResource({ logicalId: parameterId, during: 'create', reason })

    const err = await rejection(h.toolkit.deploy(hello, deployOptions(h, STACK, FAST)))

    const mapped = toolkitError(h, err, STACK)
    expect(mapped).toMatchObject({ djenvCode: 'DEPLOY_FAILED', exitCode: 1 })
    expect(mapped.message).toBe(
      `Deployment of ${STACK} failed: ${parameterId} (AWS::SSM::Parameter) CREATE_FAILED: ${reason}`,
    )
    expect(aws.cfn.stack(STACK)?.status).toBe('ROLLBACK_COMPLETE')
  })

  it('deletes a stack whose creation had failed and creates it again', async () => {
    aws = fakeAws()
    const { h } = await open()
    const failed = aws.cfn.givenStack({
      name: STACK,
      status: 'ROLLBACK_COMPLETE',
      statusReason: 'The following resource(s) failed to create: [Greeting]. ',
      template: await template(hello),
    })

    await h.toolkit.deploy(hello, deployOptions(h, STACK, FAST))

    expect(deleteStackInputs(aws)).toEqual([
      { StackName: failed.stackId, ClientRequestToken: expect.any(String) },
    ])
    expect(aws.cfn.stack(failed.stackId)?.status).toBe('DELETE_COMPLETE')
    const recreated = aws.cfn.stack(STACK)
    expect(recreated).toMatchObject({ status: 'CREATE_COMPLETE' })
    expect(recreated?.stackId).not.toBe(failed.stackId)
    expect(h.host.lastDeploy).toMatchObject({ noOp: false, stackArn: recreated?.stackId })
  })

  it('maps a missing bootstrap to BOOTSTRAP_REQUIRED and creates nothing', async () => {
    aws = fakeAws({ bootstrapVersion: null })
    const { h } = await open()

    const err = await rejection(h.toolkit.deploy(hello, deployOptions(h, STACK, FAST)))

    expect(toolkitError(h, err, STACK)).toMatchObject({
      djenvCode: 'BOOTSTRAP_REQUIRED',
      message: `The AWS environment aws://${ACCOUNT}/${REGION} is not bootstrapped for CDK (or its bootstrap is too old).`,
    })
    expect(aws.mocks.cloudFormation).not.toHaveReceivedCommand(CreateChangeSetCommand)
    expect(aws.cfn.liveStackNames()).toEqual([])
  })

  it('declines a change nobody can approve: deletes the change set, executes nothing, keeps INPUT_REQUIRED', async () => {
    aws = fakeAws()
    const before = aws.cfn.givenStack({ name: STACK, template: await template(helloAgain) })
    const { h } = await open({ approval: 'any-change', ask: createAsker({ interactive: false }) })

    const err = await rejection(h.toolkit.deploy(hello, deployOptions(h, STACK, FAST)))

    const mapped = toolkitError(h, err, STACK)
    expect(mapped).toBe(h.host.pending)
    expect(mapped).toMatchObject({ djenvCode: 'INPUT_REQUIRED', hint: 'Pass --yes.', exitCode: 2 })
    expect(aws.mocks.cloudFormation).not.toHaveReceivedCommand(ExecuteChangeSetCommand)
    expect(aws.cfn.stack(STACK)).toMatchObject({
      stackId: before.stackId,
      status: 'CREATE_COMPLETE',
      template: await template(helloAgain),
      changeSets: [],
    })
  })
})

describe('toolkit destroy', () => {
  it('deletes the stack by its ARN with the bootstrap execution role', async () => {
    aws = fakeAws()
    const { h } = await open()
    const existing = aws.cfn.givenStack({ name: STACK, template: await template(hello) })

    const result = await h.toolkit.destroy(hello, { stacks: one(h, STACK), ...FAST })

    expect(result.stacks).toEqual([
      expect.objectContaining({ stackName: STACK, stackArn: existing.stackId, stackExisted: true }),
    ])
    expect(deleteStackInputs(aws)).toEqual([
      {
        StackName: existing.stackId,
        RoleARN: aws.bootstrap.cfnExecRole,
        ClientRequestToken: expect.any(String),
        DeploymentConfig: { Mode: 'STANDARD' },
      },
    ])
    expect(aws.mocks.credentialsSts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: aws.bootstrap.deployRole,
    })
    expect(aws.cfn.stack(STACK)).toBeUndefined()
    expect(aws.cfn.stack(existing.stackId)?.status).toBe('DELETE_COMPLETE')
  })

  it('maps a resource that blocks the deletion to DESTROY_FAILED carrying its reason', async () => {
    aws = fakeAws()
    const { h } = await open()
    const parameterId = await logicalIdOf(hello, 'AWS::SSM::Parameter')
    aws.cfn.givenStack({ name: STACK, template: await template(hello) })
    const reason =
      'Resource handler returned message: "Access denied" (HandlerErrorCode: AccessDenied)'
    aws.cfn.failResource({ logicalId: parameterId, during: 'delete', reason })

    const err = await rejection(h.toolkit.destroy(hello, { stacks: one(h, STACK), ...FAST }))

    expect(toolkitError(h, err, STACK)).toMatchObject({
      djenvCode: 'DESTROY_FAILED',
      exitCode: 1,
      message: `Deletion of ${STACK} failed: ${parameterId} (AWS::SSM::Parameter) DELETE_FAILED: ${reason}`,
    })
    expect(aws.cfn.stack(STACK)).toMatchObject({
      status: 'DELETE_FAILED',
      resources: [expect.objectContaining({ logicalId: parameterId, status: 'DELETE_FAILED' })],
    })
  })

  it('reports a stack that does not exist as never having existed and deletes nothing', async () => {
    aws = fakeAws()
    const { h } = await open()

    const result = await h.toolkit.destroy(hello, { stacks: one(h, STACK), ...FAST })

    expect(result.stacks).toEqual([
      expect.objectContaining({ stackName: STACK, stackExisted: false }),
    ])
    expect(aws.mocks.cloudFormation).not.toHaveReceivedCommand(DeleteStackCommand)
  })
})

describe('toolkit deploy of the real ad hoc app stack', () => {
  const config = shopConfig()
  const name = 'shop-dev-pr-42'
  let asm: CachedCloudAssembly

  beforeAll(async () => {
    const zones = [`${config.region}a`, `${config.region}b`]
    asm = await synthesize(
      synthHandle,
      (app) =>
        addAdhocAppStack(app, {
          config,
          account: ACCOUNT,
          base: placeholderBaseAttributes(config, { kind: 'adhoc' }, ACCOUNT),
          imageTags: { web: '3f2c1d0', worker: '3f2c1d0', beat: '3f2c1d0', migrate: '3f2c1d0' },
          desiredCounts: { web: 0, worker: 0, beat: 0 },
          secrets: [],
          env: 'pr-42',
          listenerPriority: hashedPriority('pr-42'),
        }),
      {
        context: {
          ...DJENV_FEATURE_FLAGS,
          ...availabilityZonesContext(ACCOUNT, config.region, zones),
        },
        validate: false,
        lookups: false,
      },
    )
  })

  afterAll(async () => {
    await asm?.dispose()
  })

  it('creates it and returns every output the runtime reads', async () => {
    aws = fakeAws({ region: config.region })
    const { h } = await open()

    await h.toolkit.deploy(asm, deployOptions(h, name, FAST))

    expect(aws.cfn.stack(name)?.status).toBe('CREATE_COMPLETE')
    expect(Object.keys(h.host.lastDeploy?.outputs ?? {}).sort()).toEqual(
      Object.keys(APP_OUTPUTS).sort(),
    )
    expect(h.host.lastDeploy?.outputs).toMatchObject({
      Url: 'https://pr-42.shop.example.com',
      DatabaseName: 'pr_42',
      ListenerRulePriority: String(hashedPriority('pr-42')),
    })
  })
})
