#!/usr/bin/env bash
# Cold start of the built CLI: `djenv --help`, `djenv --version`, `djenv env create --help`.
# Target: at most 0.25 s wall on 2 cores. Run: bash bench/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
for args in "--help" "--version" "env create --help" "exec --help"; do
  # shellcheck disable=SC2086
  node bench/measure.mjs --runs "${RUNS:-15}" --label "djenv $args" -- node bin/run.js $args
done
