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

/**
 * djenv's AWS clients: one SDK v3 client per service, built on first use (the SDK modules
 * load only then, so --help never pays for them), behind narrow interfaces listing only the
 * operations djenv calls. Every call maps missing, expired or denied credentials to a
 * DjenvError that says how to fix them.
 */
export interface Aws {
  settings: AwsSettings
  sts: StsApi
}

/** Client-config overrides, passed only by tests (a replaying requestHandler, maxAttempts). */
export type ClientOverrides = Record<string, unknown>

type SdkModule = Record<string, unknown>
interface SdkClient {
  send(command: unknown): Promise<unknown>
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
  return {
    settings,
    sts: {
      getCallerIdentity: op(
        'sts',
        () => import('@aws-sdk/client-sts'),
        'STSClient',
        'GetCallerIdentityCommand',
      ),
    },
  }
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
  ): (input?: I) => Promise<O> {
    const action = `${service}:${commandName.replace(/Command$/, '')}`
    return async (input) => {
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
      log('%s %o', action, input ?? {})
      try {
        return (await client.send(new Command(input ?? {}))) as O
      } catch (err) {
        throw (
          mapCommonAwsError(err, { action, region: settings.region, profile: settings.profile }) ??
          err
        )
      }
    }
  }
}
