import { describe, expect, it } from 'vitest';
import { pickLeastLoaded, sumLoads } from '../WorkerPool.ts';

describe('pickLeastLoaded', () => {
  it('picks the worker with the fewest transports', () => {
    const loads = [
      { pid: 1, routers: 1, transports: 9 },
      { pid: 2, routers: 5, transports: 2 },
      { pid: 3, routers: 0, transports: 4 },
    ];
    expect(pickLeastLoaded(loads)?.pid).toBe(2);
  });

  it('breaks transport ties by router count, then by pool order', () => {
    expect(
      pickLeastLoaded([
        { pid: 1, routers: 2, transports: 0 },
        { pid: 2, routers: 1, transports: 0 },
        { pid: 3, routers: 1, transports: 0 },
      ])?.pid,
    ).toBe(2);
  });

  it('returns undefined for an empty pool', () => {
    expect(pickLeastLoaded([])).toBeUndefined();
  });
});

describe('sumLoads', () => {
  it('adds up every count per kind', () => {
    const load = (pid: number, n: number) => ({
      pid,
      slot: n - 1,
      routers: n,
      transports: 2 * n,
      producers: { audio: n, video: 3 * n },
      consumers: { audio: 4 * n, video: 5 * n },
    });
    expect(sumLoads([load(1, 1), load(2, 2)])).toEqual({
      routers: 3,
      transports: 6,
      producers: { audio: 3, video: 9 },
      consumers: { audio: 12, video: 15 },
    });
  });
});
