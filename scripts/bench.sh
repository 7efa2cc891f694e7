#!/usr/bin/env bash
# `npm run bench`: performance figures (not tests): join → first remote frame on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browsers
export MEDIASOUP_WORKER_BIN
MEDIASOUP_WORKER_BIN=$(bash scripts/mediasoup-worker/build.sh)
# Measured as deployed: signaling on a real PostgreSQL server (PGlite runs inside the signaling
# process and would measure the embedded default instead).
export DATABASE_URL="${BENCH_DATABASE_URL:-${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}}"
npm run bench --workspace e2e
