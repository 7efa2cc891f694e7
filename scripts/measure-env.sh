# Sourced by test.sh and bench.sh: everything a run that drives the real lab needs — the setup with
# its test tools (Chromium, network namespaces), the cached mediasoup worker, and the real PostgreSQL
# server the runs use.
bash scripts/setup.sh --test-tools
export MEDIASOUP_WORKER_BIN
MEDIASOUP_WORKER_BIN=$(bash scripts/mediasoup-worker/build.sh)
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
