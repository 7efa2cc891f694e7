#!/usr/bin/env bash
# Makes a fresh Debian 12 + Node 20 clone ready to run and test the lab. Idempotent: each step checks
# first and is skipped when already done, so `npm start` / `npm test` can call it every time.
#   1. Debian packages: with --test-tools, Chromium (tests and benchmarks drive it), iproute2 +
#      nftables (the packet-loss suite puts a browser in a network namespace and drops its packets),
#      iptables + libnetfilter-queue-dev (the e2e delay helper, e2e/support/impairment/nfdelay, is
#      fed by an NFQUEUE rule and built against the library) and prometheus (its promtool checks dashboards/prometheus: config, rules, rule unit tests);
#      running the lab needs none of them. The mediasoup worker's build deps come with step 3.
#   2. npm dependencies from the lockfile (npm ci), re-run when package-lock.json or a mediasoup
#      JavaScript patch changes, then those patches (scripts/mediasoup-node)
#   3. the mediasoup worker, built from the installed package's sources, cached per machine
#   4. generated gRPC types and the built call page
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[setup] $*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 20 ]; then
  say "Node 20 is required (uWebSockets.js ships a Node 20 binary only); found $(node --version)"
  exit 1
fi

# 1. Debian packages (the worker's own build deps are ensured by its build script).
if [ "${1:-}" = --test-tools ]; then
  bash scripts/ensure-apt.sh chromium iproute2 nftables iptables libnetfilter-queue-dev prometheus
fi

# 2. npm dependencies. npm 11 runs no dependency install scripts unless allowed; npm 10 (Node 20's
#    own) does, and mediasoup's would try to download or build a worker: MEDIASOUP_WORKER_BIN makes
#    it skip that, since step 3 builds the worker. Then the JavaScript half of the worker recipe's
#    patches (scripts/mediasoup-node). The stamp covers both, so a changed patch reinstalls from
#    the lockfile before it is applied.
lock_hash=$(cat package-lock.json scripts/mediasoup-node/patches/*.patch | sha256sum | cut -c1-16)
stamp=node_modules/.lab-lock-hash
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  say "installing npm dependencies (npm ci) …"
  MEDIASOUP_WORKER_BIN=/dev/null npm ci --no-audit --no-fund --loglevel=error
  bash scripts/mediasoup-node/apply-patches.sh
  echo "$lock_hash" > "$stamp"
else
  say "npm dependencies up to date"
fi

# 3. mediasoup worker (prints the cached binary's path; builds it first, ~10 min, when missing).
worker=$(bash scripts/mediasoup-worker/build.sh)
say "mediasoup worker: $worker"

# 4. Generated types + call page. Both are cheap next to the steps above, and rebuilding every time
#    means a changed .proto or client source can never be served stale.
say "building proto types and the call page …"
npm run build --silent >/dev/null
say "ready"
