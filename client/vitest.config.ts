import { defineConfig } from 'vitest/config';

// Unit tests cover the page's plain TypeScript modules (signaling client, stats, URL handling);
// the rendered page is covered by the Playwright suite in e2e/ against the real services.
export default defineConfig({
  test: {
    include: ['src/**/__tests__/*.spec.ts'],
    environment: 'node',
  },
});
