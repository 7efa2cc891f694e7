/** Readiness checks: every failure named, and a hanging dependency answered within the bound. */
import { performance } from 'node:perf_hooks';
import { describe, expect, test } from 'vitest';
import { DatabaseTimeoutError } from '../../errors.ts';
import { checkReadiness } from '../readiness.ts';

describe('checkReadiness', () => {
  test('ready when every check passes', async () => {
    expect(await checkReadiness([{ name: 'database', run: async () => {} }], 100)).toEqual({ ready: true, reasons: [] });
  });

  test('each failing check is a reason; a hanging one is a timeout, answered within the bound', async () => {
    const started = performance.now();
    const report = await checkReadiness(
      [
        { name: 'database', run: () => new Promise<void>(() => {}) },
        { name: 'sfu', run: async () => Promise.reject(new Error('not serving')) },
        { name: 'cache', run: async () => Promise.reject(new DatabaseTimeoutError('database unavailable: no answer within 100 ms')) },
        { name: 'sfu events', run: async () => {} },
      ],
      100,
    );
    const elapsed = performance.now() - started;
    expect(report).toEqual({ ready: false, reasons: ['database: timeout after 100 ms', 'sfu: not serving', 'cache: timeout after 100 ms'] });
    expect(elapsed).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(400);
  });
});
