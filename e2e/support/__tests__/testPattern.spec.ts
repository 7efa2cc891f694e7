import { describe, expect, it } from 'vitest';
import { CELL_CENTRES, PROBE_HEIGHT, PROBE_WIDTH } from '../media/mediaProbe.ts';
import { CODE_BITS, LOOP_FRAMES, readCode, referenceLuma } from '../media/testPattern.ts';

/** The code cells of a frame as the probe reads them (its half-size picture, full-range luma). */
function cellsOf(slot: number, index: number): number[][] {
  const picture = referenceLuma({ slot, index }, PROBE_WIDTH, PROBE_HEIGHT);
  const values = CELL_CENTRES.map(([x, y]) => picture[y * PROBE_WIDTH + x]!);
  return [values.slice(0, CODE_BITS), values.slice(CODE_BITS)];
}

describe('the frame code', () => {
  it('reads back the slot and index of frames across the loop', () => {
    // Every bit of the index is 0 and 1 in some of these (a frame takes a few ms to draw).
    const indices = [0, 1, 2, 4, 8, 16, 32, 64, 127, 128, 170, 85, LOOP_FRAMES - 1];
    for (const slot of [0, 3, 5]) {
      for (const index of indices) expect(readCode(cellsOf(slot, index))).toEqual({ slot, index });
    }
  });

  it('never gives a wrong code: a flipped cell, a black or a grey picture reads as nothing', () => {
    const cells = cellsOf(2, 77);
    const flipped = cells.map((row) => [...row]);
    flipped[0]![5] = 255 - flipped[0]![5]!;
    expect(readCode(flipped)).toBeNull();
    expect(readCode([Array(CODE_BITS).fill(0), Array(CODE_BITS).fill(0)])).toBeNull();
    expect(readCode([Array(CODE_BITS).fill(128), Array(CODE_BITS).fill(128)])).toBeNull();
  });
});
