import { describe, expect, test } from 'vitest';
import { AddressLimits } from '../AddressLimits.ts';

describe('AddressLimits', () => {
  test('connections: an address may hold the maximum, each close frees a place; addresses are counted apart', () => {
    const limits = new AddressLimits({ maxConnectionsPerAddress: 2, roomCreationsPerMinute: 1 });
    limits.connected('10.0.0.1');
    expect(limits.mayConnect('10.0.0.1')).toBe(true);
    limits.connected('10.0.0.1');
    expect(limits.mayConnect('10.0.0.1')).toBe(false);
    expect(limits.mayConnect('10.0.0.2')).toBe(true);
    limits.disconnected('10.0.0.1');
    expect(limits.mayConnect('10.0.0.1')).toBe(true);
  });

  test('room creations: the per-minute allowance, refilled over the minute, per address', () => {
    let now = 0;
    const limits = new AddressLimits({ maxConnectionsPerAddress: 1, roomCreationsPerMinute: 2, now: () => now });
    expect([limits.tryCreateRoom('a'), limits.tryCreateRoom('a'), limits.tryCreateRoom('a')]).toEqual([true, true, false]);
    expect(limits.tryCreateRoom('b')).toBe(true);
    now += 30_000;
    expect([limits.tryCreateRoom('a'), limits.tryCreateRoom('a')]).toEqual([true, false]);
  });
});
