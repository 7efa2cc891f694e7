#!/usr/bin/env bash
# `npm test`: every test of the lab — type checks, unit and integration tests of each package (real
# mediasoup worker, PostgreSQL), then the browser e2e suite (real Chromium, fake media).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/measure-env.sh

# The integration tests need the real server; say so plainly instead of failing deep inside a test.
node -e '
const net = require("node:net");
const targets = [["PostgreSQL", process.env.DATABASE_URL]];
let pending = targets.length, failed = false;
for (const [name, url] of targets) {
  const { hostname, port: explicitPort } = new URL(url);
  // No port in the URL means the PostgreSQL default, 5432 (new URL() then leaves `port` empty).
  const port = Number(explicitPort || 5432);
  const socket = net.connect(port, hostname);
  socket.setTimeout(2000);
  const done = (ok) => { socket.destroy(); if (!ok) { failed = true; console.error(`[test] ${name} is not reachable at ${hostname}:${port} (${url})`); } if (--pending === 0) process.exit(failed ? 1 : 0); };
  socket.once("connect", () => done(true)).once("error", () => done(false)).once("timeout", () => done(false));
}'

# Every step runs even if an earlier one failed, so one run shows everything that is wrong; the
# exit status is non-zero if any failed. Each runner also writes a JSON report, summed at the end.
rm -f .lab/eslint.json proto/.lab/vitest.json services/*/.lab/vitest.json client/.lab/vitest.json dashboards/.lab/vitest.json \
  e2e/.lab/vitest.json e2e/.lab/playwright.json
status=0
echo "[test] type checks and module boundaries" >&2
npm run typecheck --silent || status=1
echo "[test] lint (ESLint)" >&2
npm run lint --silent -- --format json --output-file .lab/eslint.json || status=1
echo "[test] unit + integration tests" >&2
npm test --workspaces --if-present --silent -- \
  --reporter=default --reporter=json --outputFile.json=.lab/vitest.json \
  --reporter=junit --outputFile.junit=.lab/junit.xml || status=1
echo "[test] browser e2e (Playwright, Chromium)" >&2
npx playwright test -c e2e/playwright.config.ts || status=1
node scripts/test-summary.mjs .lab/eslint.json proto/.lab/vitest.json services/sfu/.lab/vitest.json \
  services/signaling/.lab/vitest.json client/.lab/vitest.json dashboards/.lab/vitest.json \
  e2e/.lab/vitest.json e2e/.lab/playwright.json || status=1
exit "$status"
