// The stacks `djenv env create pr-42 --dry-run` synthesizes, as a CDK app for the CDK CLI
// (`cdk synth --app "node bench/cdk-app.mjs"`): the comparison bench/plan.sh measures.
// Needs `npm run build` first.
import { App } from 'aws-cdk-lib'

import { loadConfig } from '../dist/config/load.js'
import { hashedPriority } from '../dist/deploy/priority.js'
import {
  addAdhocAppStack,
  addAdhocBaseStack,
  addCdnCertificateStack,
  availabilityZonesContext,
  DJENV_FEATURE_FLAGS,
  placeholderBaseAttributes,
  placeholderCdnCertificateArn,
} from '../dist/infra/index.js'

const { data: config } = await loadConfig({
  cwd: new URL('../examples/shop', import.meta.url).pathname,
})
const account = config.account
const zones = config.availabilityZones
// BENCH_CDK_VALIDATION=off compares against cdk synth without aws-cdk-lib's default validation.
const app = new App({
  context: { ...DJENV_FEATURE_FLAGS, ...availabilityZonesContext(account, config.region, zones) },
  builtinCloudFormationValidation: process.env.BENCH_CDK_VALIDATION !== 'off',
})
const base = placeholderBaseAttributes(config, { kind: 'adhoc' }, account)
const tag = config.image.tag
// BENCH_WITH_BASE=1 adds the base stack and its CDN certificate stack, as
// `djenv env create pr-42 --dry-run --with-base` does.
if (process.env.BENCH_WITH_BASE === '1') {
  const ref = { kind: 'adhoc' }
  const certificate = addCdnCertificateStack(app, { config, account, ref })
  const cdnCertificateArn = certificate && placeholderCdnCertificateArn(config, ref, account)
  addAdhocBaseStack(app, { config, account, cdnCertificateArn })
}
addAdhocAppStack(app, {
  config,
  account,
  base,
  env: 'pr-42',
  listenerPriority: hashedPriority('pr-42'),
  imageTags: { web: tag, worker: tag, beat: tag, migrate: tag },
  desiredCounts: { web: 0, worker: 0, beat: 0 },
  secrets: [],
})
app.synth()
