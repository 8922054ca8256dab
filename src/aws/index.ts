export { createAws, sdkConfig, type Aws, type StsApi, type ClientOverrides } from './clients.js'
export { resolveAwsSettings, customEndpoint, type AwsSettings } from './settings.js'
export { mapAwsError, mapCommonAwsError, type AwsErrorContext } from './errors.js'
export { callerIdentity, type CallerIdentity } from './identity.js'
