// Sums the JSON reports of `npm test` (ESLint, vitest per package, Playwright for e2e) into one closing line,
// `N passed, N failed[, N skipped]`, preceded by one line per report. A missing report (its runner
// crashed before writing it) and anything that could not run are failures (see countsOf).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lab.mjs';

let passed = 0;
let failed = 0;
let skipped = 0;

/** Every test of a Playwright JSON report (suites nest). */
function* playwrightTests(suites) {
  for (const suite of suites ?? []) {
    for (const spec of suite.specs ?? []) yield* spec.tests;
    yield* playwrightTests(suite.suites);
  }
}

/**
 * Counts of one report. Whatever could not run counts as failed: a Playwright test that did not run
 * because a hook or an earlier step failed (only an explicit `test.skip` is skipped), an error
 * outside any test (a file that failed to import, a failed global setup), a vitest file that failed
 * before any of its tests (import error, failed `beforeAll`).
 */
function countsOf(report) {
  if (Array.isArray(report)) {
    // ESLint: one entry per file linted; a file with any error or warning fails.
    const bad = report.filter((file) => file.errorCount + file.warningCount > 0).length;
    return { passed: report.length - bad, failed: bad, skipped: 0 };
  }
  if (report.stats) {
    // Playwright: `expected` passed, `unexpected` failed, `flaky` passed only on a retry.
    const counts = { passed: 0, failed: report.errors?.length ?? 0, skipped: 0 };
    for (const test of playwrightTests(report.suites)) {
      if (test.status === 'expected') counts.passed += 1;
      else if (test.status === 'skipped' && test.annotations?.some((annotation) => annotation.type === 'skip')) counts.skipped += 1;
      else counts.failed += 1;
    }
    return counts;
  }
  // vitest (Jest-compatible JSON): per file, since a file that failed outside its tests (an import
  // error, a failed beforeAll) reports its tests as skipped, or none at all.
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const file of report.testResults ?? []) {
    const fileBroken = file.status === 'failed';
    let failedHere = 0;
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'passed') counts.passed += 1;
      else if (test.status === 'failed' || fileBroken) failedHere += 1;
      else counts.skipped += 1;
    }
    counts.failed += fileBroken ? Math.max(1, failedHere) : failedHere;
  }
  return counts;
}

for (const file of process.argv.slice(2)) {
  const name = path.relative(repoRoot, path.resolve(file));
  if (!existsSync(file)) {
    // A suite that did not report did not pass: it counts as one failure in the total.
    console.log(`[test] ${name}: no report (the runner did not finish): counted as 1 failed`);
    failed += 1;
    continue;
  }
  const counts = countsOf(JSON.parse(readFileSync(file, 'utf8')));
  console.log(`[test] ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
