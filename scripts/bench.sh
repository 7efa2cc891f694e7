#!/usr/bin/env bash
# `npm run bench`: performance figures (not tests): join → first remote frame on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/measure-env.sh
# Measured as deployed: signaling on a real PostgreSQL server (PGlite runs inside the signaling
# process and would measure the embedded default instead).
export DATABASE_URL="${BENCH_DATABASE_URL:-$DATABASE_URL}"
npm run bench --workspace e2e
