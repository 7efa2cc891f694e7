import { defineConfig } from 'vitest/config';

// Unit tests of the suites' own logic (pattern codes, media analysis, verdicts, MOS); the browser
// suites in tests/ are Playwright's.
export default defineConfig({
  test: {
    include: ['support/**/__tests__/*.spec.ts'],
  },
});
