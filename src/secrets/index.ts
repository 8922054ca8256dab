export { secretGet, type SecretGetInput, type SecretGetResult } from './secret-get.js'
export {
  secretList,
  type SecretListEntry,
  type SecretListInput,
  type SecretListResult,
} from './secret-list.js'
export { secretSet, type SecretSetInput, type SecretSetResult } from './secret-set.js'
export { secretUnset, type SecretUnsetInput, type SecretUnsetResult } from './secret-unset.js'
export { secretsForDeploy, storedSecrets, type StoredSecret } from './store.js'
export type { SecretServiceUse } from './usage.js'
export {
  ADVANCED_TIER_BYTES,
  STANDARD_TIER_BYTES,
  readStream,
  type ValueInput,
  type ValueSource,
} from './value.js'
