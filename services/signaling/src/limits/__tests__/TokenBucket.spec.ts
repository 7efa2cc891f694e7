import { describe, expect, test } from 'vitest';
import { TokenBucket } from '../TokenBucket.ts';

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TokenBucket', () => {
  test('a full bucket allows a burst of `capacity`, then refuses', () => {
    const time = clock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 1, now: time.now });
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  test('refills continuously at the sustained rate, never above capacity', () => {
    const time = clock();
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 10, now: time.now });
    bucket.take();
    bucket.take();
    time.advance(50);
    expect(bucket.take()).toBe(false); // half a token
    time.advance(50);
    expect(bucket.take()).toBe(true);
    time.advance(60_000);
    expect(bucket.full).toBe(true);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });

  test('a refused take costs nothing', () => {
    const time = clock();
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1, now: time.now });
    bucket.take();
    for (let attempt = 0; attempt < 100; attempt++) expect(bucket.take()).toBe(false);
    time.advance(1000);
    expect(bucket.take()).toBe(true);
  });
});
