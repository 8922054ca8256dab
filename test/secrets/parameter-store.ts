import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  type GetParametersByPathCommandInput,
  type Parameter,
  type PutParameterCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm'
import type { AwsClientStub } from 'aws-sdk-client-mock'

/** A stored parameter, with what PutParameter was given. */
export interface StoredParameter {
  value: string
  type: string
  version: number
  keyId?: string
  tier?: string
  modified: Date
}

/**
 * Parameter Store as the SSM API behaves for djenv's calls, over a class-level mock:
 * PutParameter (Overwrite, versions), GetParameter and GetParametersByPath (one level unless
 * Recursive; a SecureString read without WithDecryption returns ciphertext, as SSM does),
 * DeleteParameter (ParameterNotFound) and DeleteParameters.
 */
export function parameterStore(
  ssm: AwsClientStub<SSMClient>,
  now = new Date('2026-11-20T09:00:00Z'),
) {
  const store = new Map<string, StoredParameter>()
  const view = (name: string, p: StoredParameter, decrypt: boolean): Parameter => ({
    Name: name,
    Type: p.type as Parameter['Type'],
    Value: p.type === 'SecureString' && !decrypt ? `AQICAHciphertextOf${name}` : p.value,
    Version: p.version,
    LastModifiedDate: p.modified,
  })

  ssm.on(PutParameterCommand).callsFake((input: PutParameterCommandInput) => {
    const name = input.Name ?? ''
    const old = store.get(name)
    if (old && !input.Overwrite) {
      throw new ParameterAlreadyExists({ message: 'The parameter already exists.', $metadata: {} })
    }
    const version = (old?.version ?? 0) + 1
    store.set(name, {
      value: input.Value ?? '',
      type: input.Type ?? old?.type ?? 'String',
      version,
      ...(input.KeyId === undefined ? {} : { keyId: input.KeyId }),
      ...(input.Tier === undefined ? {} : { tier: input.Tier }),
      modified: now,
    })
    return { Version: version, Tier: input.Tier ?? 'Standard' }
  })
  ssm.on(GetParameterCommand).callsFake((input: { Name?: string; WithDecryption?: boolean }) => {
    const p = store.get(input.Name ?? '')
    if (!p) throw new ParameterNotFound({ message: 'Parameter not found', $metadata: {} })
    return { Parameter: view(input.Name ?? '', p, Boolean(input.WithDecryption)) }
  })
  ssm.on(GetParametersByPathCommand).callsFake((input: GetParametersByPathCommandInput) => {
    const prefix = `${input.Path ?? ''}/`
    return {
      Parameters: [...store]
        .filter(([name]) => name.startsWith(prefix))
        .filter(([name]) => input.Recursive || !name.slice(prefix.length).includes('/'))
        .map(([name, p]) => view(name, p, Boolean(input.WithDecryption))),
    }
  })
  ssm.on(DeleteParameterCommand).callsFake((input: { Name?: string }) => {
    if (!store.delete(input.Name ?? ''))
      throw new ParameterNotFound({ message: 'Parameter not found', $metadata: {} })
    return {}
  })
  ssm.on(DeleteParametersCommand).callsFake((input: { Names?: string[] }) => {
    const names = input.Names ?? []
    const deleted = names.filter((n) => store.delete(n))
    return {
      DeletedParameters: deleted,
      InvalidParameters: names.filter((n) => !deleted.includes(n)),
    }
  })

  return {
    store,
    /** Seeds a SecureString. */
    secret(name: string, value: string, version = 1): void {
      store.set(name, { value, type: 'SecureString', version, modified: now })
    },
  }
}
