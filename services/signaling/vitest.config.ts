import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env: { SIGNALING_LOG_LEVEL: 'silent' },
          include: ['src/**/__tests__/*.spec.ts'],
          // PGlite (WASM PostgreSQL) takes a few seconds to boot on a busy 2-core machine.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/*.test.ts'],
          // Each file starts a real SFU (mediasoup workers) and a signaling process; running the files one
          // after another keeps the shared 2-core machine responsive for the other engineers' tests.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
