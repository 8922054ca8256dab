import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation'
import { ECSClient } from '@aws-sdk/client-ecs'
import { SSMClient } from '@aws-sdk/client-ssm'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { mockClient } from 'aws-sdk-client-mock'

/** Class-level mocks of the clients djenv builds itself, rejecting any call a test did not expect. */
export function awsMocks() {
  const mocks = {
    sts: mockClient(STSClient),
    cfn: mockClient(CloudFormationClient),
    ecs: mockClient(ECSClient),
    ssm: mockClient(SSMClient),
  }
  return {
    ...mocks,
    reset(account = '123456789012') {
      const unexpected = new Error('unexpected AWS call')
      mocks.sts.reset().onAnyCommand().rejects(unexpected)
      mocks.cfn.reset().onAnyCommand().rejects(unexpected)
      mocks.ecs.reset().onAnyCommand().rejects(unexpected)
      mocks.ssm.reset().onAnyCommand().rejects(unexpected)
      mocks.sts
        .on(GetCallerIdentityCommand)
        .resolves({ Account: account, Arn: `arn:aws:iam::${account}:user/dev` })
    },
    /** DescribeStacks answers for these stacks by name; others are missing, as AWS says it. */
    stacks(stacks: Stack[]) {
      mocks.cfn.on(DescribeStacksCommand).callsFake((input: { StackName?: string }) => {
        if (!input.StackName) return { Stacks: stacks }
        const found = stacks.find((s) => s.StackName === input.StackName)
        if (!found)
          throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), {
            name: 'ValidationError',
          })
        return { Stacks: [found] }
      })
    },
  }
}

export function stack(
  name: string,
  status: string,
  o: { outputs?: Record<string, string>; tags?: Record<string, string>; created?: string } = {},
): Stack {
  return {
    StackName: name,
    StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/0000`,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date(o.created ?? '2026-11-18T10:00:00Z'),
    Outputs: Object.entries(o.outputs ?? {}).map(([OutputKey, OutputValue]) => ({
      OutputKey,
      OutputValue,
    })),
    Tags: Object.entries(o.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  }
}
