import type { Parameter } from '@aws-sdk/client-ssm'

import type { SsmApi } from './clients.js'
import { mapAwsError } from './errors.js'

/** A parameter as djenv reads it. */
export interface ParameterInfo {
  name: string
  value: string
  version: number
  lastModified: string | null
}

function toInfo(p: Parameter): ParameterInfo {
  return {
    name: p.Name ?? '',
    value: p.Value ?? '',
    version: p.Version ?? 0,
    lastModified: p.LastModifiedDate ? p.LastModifiedDate.toISOString() : null,
  }
}

/** Every parameter below `path`, recursively, in as few calls as SSM allows (pages of 10). */
export async function parametersByPath(
  ssm: SsmApi,
  path: string,
  region: string,
): Promise<ParameterInfo[]> {
  const found: ParameterInfo[] = []
  let token: string | undefined
  do {
    const out = await ssm
      .getParametersByPath({ Path: path, Recursive: true, NextToken: token, MaxResults: 10 })
      .catch((err: unknown) => {
        throw mapAwsError(err, { action: 'ssm:GetParametersByPath', region })
      })
    found.push(...(out.Parameters ?? []).map(toInfo))
    token = out.NextToken
  } while (token)
  return found.sort((a, b) => a.name.localeCompare(b.name))
}

/** One parameter's value, or undefined when it does not exist. */
export async function parameterValue(
  ssm: SsmApi,
  name: string,
  region: string,
): Promise<string | undefined> {
  try {
    return (await ssm.getParameter({ Name: name })).Parameter?.Value
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound') return undefined
    throw mapAwsError(err, { action: 'ssm:GetParameter', region })
  }
}

export async function putString(
  ssm: SsmApi,
  name: string,
  value: string,
  region: string,
): Promise<void> {
  await ssm
    .putParameter({ Name: name, Value: value, Type: 'String', Overwrite: true })
    .catch((err: unknown) => {
      throw mapAwsError(err, { action: 'ssm:PutParameter', region })
    })
}

/**
 * Creates `name` = `value` only if it does not exist: an atomic claim. Returns who holds it
 * afterwards: `value` when this call (or an earlier one with the same value) won.
 */
export async function claimParameter(
  ssm: SsmApi,
  name: string,
  value: string,
  region: string,
): Promise<string> {
  try {
    await ssm.putParameter({ Name: name, Value: value, Type: 'String', Overwrite: false })
    return value
  } catch (err) {
    if ((err as { name?: string }).name !== 'ParameterAlreadyExists') {
      throw mapAwsError(err, { action: 'ssm:PutParameter', region })
    }
    return (await parameterValue(ssm, name, region)) ?? ''
  }
}

/** Deletes parameters by name, ten at a time; missing ones are fine. */
export async function deleteParameters(
  ssm: SsmApi,
  names: readonly string[],
  region: string,
): Promise<void> {
  for (let i = 0; i < names.length; i += 10) {
    await ssm.deleteParameters({ Names: names.slice(i, i + 10) }).catch((err: unknown) => {
      throw mapAwsError(err, { action: 'ssm:DeleteParameters', region })
    })
  }
}

/**
 * Stores a SecureString only if none exists (never overwrites): true when this call wrote it.
 * `value` is never logged or returned.
 */
export async function putSecretIfAbsent(
  ssm: SsmApi,
  name: string,
  value: () => string,
  region: string,
): Promise<boolean> {
  try {
    await ssm.putParameter({ Name: name, Value: value(), Type: 'SecureString', Overwrite: false })
    return true
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterAlreadyExists') return false
    throw mapAwsError(err, { action: 'ssm:PutParameter', region })
  }
}
