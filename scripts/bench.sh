#!/usr/bin/env bash
# `npm run bench`: performance figures (not tests): join → first remote frame on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MEDIASOUP_WORKER_BIN
MEDIASOUP_WORKER_BIN=$(bash scripts/mediasoup-worker/build.sh)
npm run bench --workspace e2e
