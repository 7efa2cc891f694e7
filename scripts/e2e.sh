#!/usr/bin/env bash
# `npm run e2e [-- <playwright args>]`: the full browser set — every e2e test plus every call
# scenario of e2e/scenarios/ci and e2e/scenarios/full, each scenario as many times as its `runs`
# says (the negative controls 10 times). `npm test` runs the same suite with the CI-sized set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/measure-env.sh
LAB_SCENARIOS=full npx playwright test -c e2e/playwright.config.ts "$@"
