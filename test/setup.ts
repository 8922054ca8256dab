import 'aws-sdk-client-mock-vitest/extend'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

const e2e = process.env.DJENV_E2E === '1' && Boolean(process.env.AWS_ENDPOINT_URL)

if (!e2e) {
  // Hermetic by default: no developer profile, endpoint or credentials leak in.
  for (const name of ['AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_SESSION_TOKEN', 'DJENV_ENV']) {
    Reflect.deleteProperty(process.env, name)
  }
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTESTONLY',
    AWS_SECRET_ACCESS_KEY: 'test-only',
    AWS_CONFIG_FILE: join(tmpdir(), 'djenv-test-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'djenv-test-no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  })
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true' // the SDK's Node 20 warning
process.env.NO_COLOR = '1'
// toolkit-lib caches account lookups under ~/.cdk: keep tests from sharing (or writing) one.
process.env.CDK_HOME = join(tmpdir(), `djenv-test-cdk-home-${process.pid}`)
delete process.env.GITHUB_STEP_SUMMARY

afterEach(() => {
  process.exitCode = undefined // exec and migrate set it on purpose
})
