#!/usr/bin/env bash
# `npm run bench [-- name …]`: performance figures (not tests), each benchmark in its own process,
# one after another (default: all of them); exits non-zero if any failed.
#   join-latency     join click → first remote frame, against a loopback baseline     (e2e/bench)
#   packet-loss      video under real packet loss on one link, via the SFU vs direct   (e2e/bench; root)
#   recovery         time from each fault (worker kill, SFU and signaling restart, socket cut) to
#                    media flowing again in every page: p50 / max over 5 runs            (e2e/bench)
#   page-cost        the call page's main-thread time per second in a 6-party call with a tile's
#                    connection details panel open vs closed (alternating windows)     (e2e/bench)
#   telemetry-cost   worker CPU with the SFU's stats collector on vs off (two workers, same load,
#                    same time), event-loop lag, /metrics render time with 1,000 consumer series
#                                                                                       (services/sfu/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A WHERE=([join-latency]=e2e [packet-loss]=e2e [recovery]=e2e [page-cost]=e2e [telemetry-cost]=services/sfu)
ORDER=(join-latency packet-loss recovery page-cost telemetry-cost)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ORDER[@]}")
for name in "${names[@]}"; do
  [ -n "${WHERE[$name]:-}" ] || { echo "[bench] unknown benchmark '$name'; known: ${ORDER[*]}" >&2; exit 2; }
done

source scripts/measure-env.sh
# Measured as deployed: signaling on a real PostgreSQL server (PGlite runs inside the signaling
# process and would measure the embedded default instead).
export DATABASE_URL="${BENCH_DATABASE_URL:-$DATABASE_URL}"
failed=()
for name in "${names[@]}"; do
  echo -e "\n=== benchmark $name ===" >&2
  (cd "${WHERE[$name]}" && node --import tsx "bench/$name.ts") || failed+=("$name")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "[bench] failed: ${failed[*]}" >&2
  exit 1
fi
