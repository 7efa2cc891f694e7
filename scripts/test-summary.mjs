// Sums the JSON reports of `npm test` (ESLint, vitest per package, Playwright for e2e) into one closing line,
// `N passed, N failed[, N skipped]`, preceded by one line per report. A missing report (its runner
// crashed before writing it) is a failure: a suite that did not report did not pass.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lab.mjs';

let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
for (const file of process.argv.slice(2)) {
  const name = path.relative(repoRoot, path.resolve(file));
  if (!existsSync(file)) {
    console.log(`[test] ${name}: no report (the runner did not finish)`);
    missing += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const counts = Array.isArray(report)
    ? // ESLint: one entry per file linted; a file with any error or warning fails.
      {
        passed: report.filter((file) => file.errorCount + file.warningCount === 0).length,
        failed: report.filter((file) => file.errorCount + file.warningCount > 0).length,
        skipped: 0,
      }
    : report.stats
    ? // Playwright: `expected` passed, `unexpected` failed, `flaky` passed only on a retry.
      { passed: report.stats.expected, failed: report.stats.unexpected + report.stats.flaky, skipped: report.stats.skipped }
    : // vitest (Jest-compatible JSON)
      { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
  console.log(`[test] ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || missing > 0 ? 1 : 0);
