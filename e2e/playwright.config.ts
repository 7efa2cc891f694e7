/**
 * The call verdicts: real Chromium (fake camera + mic) against the real lab (SFU + signaling as
 * child processes, PostgreSQL), started once by globalSetup.
 *   npm run build -w client && npx playwright test -c e2e/playwright.config.ts
 */
import { defineConfig } from '@playwright/test';
import { launchOptions } from './support/browser.ts';

export default defineConfig({
  testDir: './tests',
  globalSetup: './support/globalSetup.ts',
  // One test at a time: a three-party call already keeps both cores busy encoding and decoding.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 15_000 },
  outputDir: './test-results',
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: './playwright-report' }],
    ['./support/verdictReporter.ts'],
    // Counted into `npm test`'s closing line by scripts/test-summary.mjs.
    ['json', { outputFile: './.lab/playwright.json' }],
    // For CI systems that read test results (one <testcase> per test, failures with their message).
    ['junit', { outputFile: './.lab/playwright-junit.xml' }],
  ],
  use: {
    browserName: 'chromium',
    launchOptions,
    // No screencast in traces: recording every page's frames costs the browsers so much CPU on 2
    // cores that the calls' jitter and RTT rose tenfold (1-3 ms → 10-45 ms) and the measurements
    // measured the recorder. DOM snapshots of each action are kept for failures.
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: true, sources: true },
    screenshot: 'only-on-failure',
  },
});
