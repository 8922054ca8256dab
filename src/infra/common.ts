import { CfnOutput, Fn, Tags, Token, type Stack } from 'aws-cdk-lib'
import * as ssm from 'aws-cdk-lib/aws-ssm'

import type { EnvKind } from '../config/names.js'
import type { OutputSpec } from './outputs.js'

/** Tags every djenv resource carries (infrastructure.md §1.6). */
export function djenvTags(t: {
  project: string
  base: string
  kind: EnvKind
  env?: string
}): Record<string, string> {
  return {
    'djenv:project': t.project,
    'djenv:base': t.base,
    ...(t.env === undefined ? {} : { 'djenv:env': t.env }),
    'djenv:kind': t.kind,
  }
}

/** Tags the stack's resources in the template (stack tags come from the stack's `tags`). */
export function tagResources(stack: Stack, tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) Tags.of(stack).add(key, value)
}

/**
 * Declares an output at stack scope (a fixed logical id, no export) and its SSM copy under
 * `root`: a String, or a StringList for lists, which the output holds comma-joined.
 */
export function publish(
  stack: Stack,
  root: string,
  key: string,
  spec: OutputSpec,
  value: string | string[],
): void {
  const parameterName = `${root}/${spec.ssm}`
  const description = `djenv: ${key} of ${stack.stackName}`
  if (Array.isArray(value)) {
    const joined = value.some((v) => Token.isUnresolved(v)) ? Fn.join(',', value) : value.join(',')
    new CfnOutput(stack, key, { value: joined, description })
    new ssm.StringListParameter(stack, `${key}Parameter`, {
      parameterName,
      stringListValue: value,
      description,
    })
  } else {
    new CfnOutput(stack, key, { value, description })
    new ssm.StringParameter(stack, `${key}Parameter`, {
      parameterName,
      stringValue: value,
      description,
    })
  }
}
