/** The retry queue of session ends, over a writer that fails as scripted. */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { UnavailableError } from '../../errors.ts';
import { PendingSessionEnds, type SessionEnd } from '../PendingSessionEnds.ts';
import type { LeaveReason } from '../SessionRepository.ts';

/** A writer that fails its first `failures` calls (Infinity: always), recording when each call came. */
function flakyWriter(failures: number) {
  const calls: Array<{ sessionId: string; reason: LeaveReason; endedAt: Date; at: number }> = [];
  const written: SessionEnd[] = [];
  return {
    calls,
    written,
    sessionEnded: vi.fn(async (sessionId: string, reason: LeaveReason, endedAt: Date) => {
      calls.push({ sessionId, reason, endedAt, at: performance.now() });
      if (calls.length <= failures) throw new UnavailableError('database unavailable: no answer within 2000 ms');
      written.push({ sessionId, reason, endedAt });
      return true;
    }),
  };
}

function recordingMetrics() {
  const pending: number[] = [];
  const retries: string[] = [];
  return { pending, retries, sessionEndsPending: (count: number) => pending.push(count), sessionEndRetried: (result: string) => retries.push(result) };
}

const BACKOFF = { initialMs: 20, maxMs: 80 };
const queues: PendingSessionEnds[] = [];
function queue(writer: ReturnType<typeof flakyWriter>, metrics = recordingMetrics()) {
  const ends = new PendingSessionEnds({ writer, metrics, backoff: BACKOFF });
  queues.push(ends);
  return ends;
}
afterEach(() => {
  for (const ends of queues.splice(0)) ends.stop();
});

const end = (sessionId: string, endedAt = new Date('2026-01-02T03:04:05.678Z')): SessionEnd => ({ sessionId, reason: 'disconnected', endedAt });

describe('PendingSessionEnds', () => {
  test('an end the database takes is written at once and nothing stays pending', async () => {
    const writer = flakyWriter(0);
    const metrics = recordingMetrics();
    const ends = queue(writer, metrics);
    await ends.record(end('s1'));
    expect(writer.written).toEqual([end('s1')]);
    expect(ends.size).toBe(0);
    expect(metrics.pending).toEqual([]);
  });

  test('an end that cannot be written is kept without failing the caller, retried with doubling backoff, and written with its own end time', async () => {
    const writer = flakyWriter(4);
    const metrics = recordingMetrics();
    const ends = queue(writer, metrics);
    await expect(ends.record(end('s1'))).resolves.toBeUndefined();
    expect(ends.size).toBe(1);
    expect(metrics.pending).toEqual([1]);

    await vi.waitFor(() => expect(writer.written).toHaveLength(1), { timeout: 2000 });
    // The end time is the session's, not the time of the successful retry.
    expect(writer.written[0]).toEqual(end('s1'));
    expect(ends.size).toBe(0);
    expect(metrics.pending).toEqual([1, 0]);
    expect(metrics.retries).toEqual(['failed', 'failed', 'failed', 'written']);
    // Gaps between attempts: 20, 40, 80 (doubling), then 80 (capped) ms; timers fire late, never early.
    const gaps = writer.calls.slice(1).map((call, i) => call.at - writer.calls[i]!.at);
    const expected = [20, 40, 80, 80];
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(expected[i]! - 2));
    expect(gaps[3]!).toBeLessThan(160 + 50);
  });

  test('a second end of a session already pending is ignored: the first end wins, as in the database', async () => {
    const writer = flakyWriter(1);
    const ends = queue(writer);
    await ends.record(end('s1'));
    await ends.record({ sessionId: 's1', reason: 'shutdown', endedAt: new Date() });
    await vi.waitFor(() => expect(writer.written).toHaveLength(1), { timeout: 2000 });
    expect(writer.written[0]!.reason).toBe('disconnected');
    expect(writer.sessionEnded).toHaveBeenCalledTimes(2);
  });

  test('flush writes what is pending as soon as the database answers', async () => {
    const writer = flakyWriter(2);
    const ends = queue(writer);
    await ends.record(end('s1'));
    await ends.record(end('s2'));
    expect(ends.size).toBe(2);
    expect(await ends.flush(2000)).toBe(0);
    expect(writer.written.map((written) => written.sessionId).sort()).toEqual(['s1', 's2']);
  });

  test('flush gives up after its bound and says how many are still pending', async () => {
    const writer = flakyWriter(Infinity);
    const ends = queue(writer);
    await ends.record(end('s1'));
    const started = performance.now();
    expect(await ends.flush(150)).toBe(1);
    expect(performance.now() - started).toBeLessThan(400);
    expect(ends.stop()).toEqual([end('s1')]);
  });

  test('a retry that hangs does not hold flush past its bound', async () => {
    let calls = 0;
    const writer = {
      sessionEnded: vi.fn(() => (++calls === 1 ? Promise.reject(new UnavailableError('database unavailable')) : new Promise<never>(() => {}))),
    };
    const ends = new PendingSessionEnds({ writer, backoff: BACKOFF });
    queues.push(ends);
    await ends.record(end('s1'));
    const started = performance.now();
    expect(await ends.flush(100)).toBe(1);
    expect(performance.now() - started).toBeLessThan(300);
  });

  test('after stop() nothing is retried any more', async () => {
    const writer = flakyWriter(Infinity);
    const ends = queue(writer);
    await ends.record(end('s1'));
    ends.stop();
    const calls = writer.calls.length;
    await sleep(200);
    expect(writer.calls.length).toBe(calls);
  });
});
