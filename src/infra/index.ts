import type { App } from 'aws-cdk-lib'

import type { SecretRef } from '../config/environment.js'
import type { EnvKind } from '../config/names.js'
import type { BaseRef } from '../config/naming.js'
import type { ConfigData } from '../config/schema.js'
import { AppStack } from './app-stack.js'
import { BaseStack } from './base-stack.js'
import { CdnCertificateStack } from './cdn-certificate-stack.js'
import type { BaseAttributes } from './outputs.js'
import {
  resolveAdhocAppSettings,
  resolveBaseSettings,
  resolveCdnCertificateSettings,
  resolveProdAppSettings,
  type DesiredCounts,
  type ImageTags,
} from './settings.js'

/**
 * djenv's embedded infrastructure: pure constructs, no AWS calls, no clock. Callers build an
 * `App` with `DJENV_FEATURE_FLAGS` in its context and add the stack they deploy; every stack
 * pins account and region, and its construct id is its stack name.
 */

export interface BaseStackProps {
  config: ConfigData
  /** Account the stacks deploy to: the configured one, STS's answer, or a placeholder offline. */
  account: string
  /**
   * The `CertificateArn` output of the base's CDN certificate stack, when
   * `resolveCdnCertificateSettings` says it has one (offline: `placeholderCdnCertificateArn`).
   */
  cdnCertificateArn?: string
}

export interface CdnCertificateStackProps {
  config: ConfigData
  account: string
  ref: BaseRef
}

export interface ProdBaseStackProps extends BaseStackProps {
  /** A key of `production` in the configuration. */
  prodEnv: string
}

export interface AppStackProps {
  config: ConfigData
  account: string
  /** The base's published values: `baseAttributesFromOutputs`, or placeholders offline. */
  base: BaseAttributes
  /** Image tag per configured service and `migrate` (§4.5); `latest` is refused. */
  imageTags: ImageTags
  /**
   * Desired task count per configured service: 0 on an env's first deploy, then the recorded
   * counts. Production web and worker autoscale: leave them out after the first deploy.
   */
  desiredCounts: DesiredCounts
  /**
   * The secrets the env's containers get besides SECRET_KEY (always injected), and which SSM
   * path holds each (§8). A template names every secret, so djenv lists them before
   * synthesis: from SSM for a deploy, from `secrets.names` offline. Values never enter.
   */
  secrets: readonly SecretRef[]
}

export interface AdhocAppStackProps extends AppStackProps {
  /** The ad hoc env, e.g. `pr-42`. */
  env: string
  /** The env's listener-rule priority, claimed before synthesis (§4.4). */
  listenerPriority: number
}

export interface ProdAppStackProps extends AppStackProps {
  prodEnv: string
}

/** Adds the project's ad hoc base stack, `<project>-<base>`. */
export function addAdhocBaseStack(app: App, props: BaseStackProps): BaseStack {
  return addBaseStack(app, { kind: 'adhoc' }, props)
}

/** Adds a production env's base stack, `<project>-<prodEnv>`. */
export function addProdBaseStack(app: App, props: ProdBaseStackProps): BaseStack {
  return addBaseStack(app, { kind: 'prod', name: props.prodEnv }, props)
}

/** The base stack `ref` names, ad hoc or production: the one switch every workflow shares. */
export function addBaseStack(app: App, ref: BaseRef, props: BaseStackProps): BaseStack {
  const settings = resolveBaseSettings(props.config, ref, props.account, props.cdnCertificateArn)
  return acknowledged(new BaseStack(app, settings))
}

/**
 * Adds the us-east-1 stack holding a base's CDN certificate, `<project>-<base>-static`, or
 * nothing when the base needs none (CDN off, a configured certificate, or a base in us-east-1
 * whose own certificate covers the host). Deploy it before the base, whose `cdnCertificateArn`
 * is its `CDN_CERTIFICATE_OUTPUT`.
 */
export function addCdnCertificateStack(
  app: App,
  props: CdnCertificateStackProps,
): CdnCertificateStack | undefined {
  const settings = resolveCdnCertificateSettings(props.config, props.ref, props.account)
  return settings ? new CdnCertificateStack(app, settings) : undefined
}

/** Adds an ad hoc env's app stack, `<project>-<base>-<env>`. */
export function addAdhocAppStack(app: App, props: AdhocAppStackProps): AppStack {
  return acknowledged(new AppStack(app, resolveAdhocAppSettings(props)))
}

/** Adds a production env's app stack, `<project>-<prodEnv>-app`. */
export function addProdAppStack(app: App, props: ProdAppStackProps): AppStack {
  return acknowledged(new AppStack(app, resolveProdAppSettings(props)))
}

/**
 * The app stack of an env, ad hoc or production: the one switch every workflow shares.
 * `listenerPriority` is the ad hoc env's claimed block; a production app's is fixed.
 */
export function addEnvAppStack(
  app: App,
  env: { name: string; kind: EnvKind },
  props: AppStackProps & { listenerPriority: number },
): AppStack {
  return env.kind === 'prod'
    ? addProdAppStack(app, { ...props, prodEnv: env.name })
    : addAdhocAppStack(app, { ...props, env: env.name })
}

function acknowledged<T extends BaseStack | AppStack>(stack: T): T {
  stack.acknowledgements.apply()
  return stack
}

export type { AppStack } from './app-stack.js'
export type { BaseStack } from './base-stack.js'
export { CDN_CERTIFICATE_OUTPUT, type CdnCertificateStack } from './cdn-certificate-stack.js'
export {
  DJENV_FEATURE_FLAGS,
  availabilityZonesContext,
  availabilityZonesContextKey,
  djenvContext,
} from './flags.js'
export {
  APP_OUTPUTS,
  BASE_OUTPUTS,
  BASE_SCHEMA_VERSION,
  baseAttributesFromOutputs,
  type AppOutputKey,
  type BaseAttributes,
  type BaseOutputKey,
  type OutputSpec,
} from './outputs.js'
export { placeholderBaseAttributes, placeholderCdnCertificateArn } from './placeholders.js'
export {
  CLOUDFRONT_CERTIFICATE_REGION,
  PROD_LISTENER_PRIORITY,
  resolveCdnCertificateSettings,
  type CdnCertificateSettings,
  type DesiredCounts,
  type ImageTags,
  type InjectedSecret,
} from './settings.js'
export type { SecretRef } from '../config/environment.js'
