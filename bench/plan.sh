#!/usr/bin/env bash
# `djenv env create pr-42 --dry-run` on the embedded example, against `cdk synth` of the same
# stacks through the CDK CLI. Targets: <= 1.5 s wall, <= 250 MiB peak RSS, >= 3x faster than
# cdk synth. Run: bash bench/plan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
node bench/measure.mjs --runs "${RUNS:-7}" --label "djenv env create pr-42 --dry-run" -- \
  node bin/run.js env create pr-42 --dry-run --config examples/shop/djenv.yml
node bench/measure.mjs --runs "${RUNS:-7}" --label "djenv env create pr-42 --dry-run --with-base" -- \
  node bin/run.js env create pr-42 --dry-run --with-base --config examples/shop/djenv.yml
cdk=(node_modules/.bin/cdk synth --app "node bench/cdk-app.mjs" --output "$out" --quiet --no-notices --no-version-reporting)
node bench/measure.mjs --runs "${RUNS:-7}" --label "cdk synth (CDK CLI, the app stack, aws-cdk-lib defaults)" -- "${cdk[@]}"
BENCH_WITH_BASE=1 node bench/measure.mjs --runs "${RUNS:-7}" --label "cdk synth (CDK CLI, base and app stacks, aws-cdk-lib defaults)" -- "${cdk[@]}"
BENCH_CDK_VALIDATION=off node bench/measure.mjs --runs "${RUNS:-7}" --label "cdk synth (CDK CLI, the app stack, validation off)" -- "${cdk[@]}"
