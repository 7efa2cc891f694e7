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
  ],
  use: {
    browserName: 'chromium',
    launchOptions,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
