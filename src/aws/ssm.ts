import type { Parameter } from '@aws-sdk/client-ssm'

import type { SsmApi } from './clients.js'
import { mapAwsError, mapCommonAwsError } from './errors.js'

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

/** One parameter with its version and modification time, or undefined when it does not exist. */
export async function parameterInfo(
  ssm: SsmApi,
  name: string,
  region: string,
): Promise<ParameterInfo | undefined> {
  try {
    const p = (await ssm.getParameter({ Name: name })).Parameter
    return p ? toInfo(p) : undefined
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound') return undefined
    throw mapAwsError(err, { action: 'ssm:GetParameter', region })
  }
}

/** One parameter's value, or undefined when it does not exist. */
export async function parameterValue(
  ssm: SsmApi,
  name: string,
  region: string,
): Promise<string | undefined> {
  return (await parameterInfo(ssm, name, region))?.value
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
  if (await createString(ssm, name, value, region)) return value
  return (await parameterValue(ssm, name, region)) ?? ''
}

/**
 * Creates the String parameter `name` = `value` unless it exists (PutParameter with
 * `Overwrite: false`, atomic in SSM): true when this call created it.
 */
export async function createString(
  ssm: SsmApi,
  name: string,
  value: string,
  region: string,
): Promise<boolean> {
  try {
    await ssm.putParameter({ Name: name, Value: value, Type: 'String', Overwrite: false })
    return true
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterAlreadyExists') return false
    throw mapAwsError(err, { action: 'ssm:PutParameter', region })
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
  keyId?: string,
): Promise<boolean> {
  try {
    await ssm.putParameter({
      Name: name,
      Value: value(),
      Type: 'SecureString',
      Overwrite: false,
      ...(keyId === undefined ? {} : { KeyId: keyId }),
    })
    return true
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterAlreadyExists') return false
    throw mapAwsError(err, { action: 'ssm:PutParameter', region })
  }
}

/** A parameter without its value: what djenv may show of a secret. */
export interface ParameterMeta {
  name: string
  type: string
  version: number
  lastModified: string | null
}

/**
 * The parameters directly below `path` (one level), without values: SecureStrings are not
 * decrypted, and the (encrypted) value SSM sends anyway is dropped here.
 */
export async function parameterMetadataByPath(
  ssm: SsmApi,
  path: string,
  region: string,
): Promise<ParameterMeta[]> {
  const found: ParameterMeta[] = []
  let token: string | undefined
  do {
    const out = await ssm
      .getParametersByPath({
        Path: path,
        Recursive: false,
        WithDecryption: false,
        NextToken: token,
        MaxResults: 10,
      })
      .catch((err: unknown) => {
        throw mapAwsError(err, { action: 'ssm:GetParametersByPath', region })
      })
    for (const p of out.Parameters ?? []) {
      found.push({
        name: p.Name ?? '',
        type: p.Type ?? 'String',
        version: p.Version ?? 0,
        lastModified: p.LastModifiedDate ? p.LastModifiedDate.toISOString() : null,
      })
    }
    token = out.NextToken
  } while (token)
  return found.sort((a, b) => a.name.localeCompare(b.name))
}

/** A SecureString's decrypted value with its version, or undefined when it does not exist. */
export async function secureStringValue(
  ssm: SsmApi,
  name: string,
  region: string,
): Promise<{ value: string; version: number; lastModified: string | null } | undefined> {
  try {
    const p = (await ssm.getParameter({ Name: name, WithDecryption: true })).Parameter
    if (!p) return undefined
    return {
      value: p.Value ?? '',
      version: p.Version ?? 0,
      lastModified: p.LastModifiedDate ? p.LastModifiedDate.toISOString() : null,
    }
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound') return undefined
    throw mapAwsError(err, { action: 'ssm:GetParameter', region })
  }
}

/**
 * Writes a standard-tier SecureString, replacing any value (a new version), encrypted with
 * `keyId` or the AWS managed key aws/ssm. SSM errors are left to the caller to explain,
 * except the common ones (credentials, access, network). `value` is never logged.
 */
export async function putSecureString(
  ssm: SsmApi,
  name: string,
  value: string,
  region: string,
  keyId?: string,
): Promise<{ version: number }> {
  const out = await ssm
    .putParameter({
      Name: name,
      Value: value,
      Type: 'SecureString',
      Tier: 'Standard',
      Overwrite: true,
      ...(keyId === undefined ? {} : { KeyId: keyId }),
    })
    .catch((err: unknown) => {
      throw mapCommonAwsError(err, { action: 'ssm:PutParameter', region }) ?? err
    })
  return { version: out.Version ?? 0 }
}

/** Deletes one parameter: false when there was none. */
export async function deleteParameter(ssm: SsmApi, name: string, region: string): Promise<boolean> {
  try {
    await ssm.deleteParameter({ Name: name })
    return true
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound') return false
    throw mapAwsError(err, { action: 'ssm:DeleteParameter', region })
  }
}
