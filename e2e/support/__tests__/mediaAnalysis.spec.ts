import { describe, expect, it } from 'vitest';
import { analyzeVideo, samplePsnr } from '../media/mediaAnalysis.ts';
import { CELL_CENTRES, PROBE_HEIGHT, PROBE_WIDTH, type ProbedFrame } from '../media/mediaProbe.ts';
import { referenceLuma } from '../media/testPattern.ts';

/** A probe record of frame `index` of `slot`, read at `at` with the compositor at `presented`. */
function frame(slot: number, index: number, at: number, presented: number): ProbedFrame {
  const picture = referenceLuma({ slot, index }, PROBE_WIDTH, PROBE_HEIGHT);
  return { at, presented, cells: CELL_CENTRES.map(([x, y]) => Math.round(picture[y * PROBE_WIDTH + x]!)) };
}

describe('analyzeVideo', () => {
  const window = { from: 0, to: 2000 };

  it('a steady 20 fps video: frame rate from the compositor, no freeze, delay against the sender\'s preview', () => {
    const frames = Array.from({ length: 40 }, (_, i) => frame(1, i, i * 50, i));
    const preview = Array.from({ length: 40 }, (_, i) => frame(1, i, i * 50 - 80, i));
    const figures = analyzeVideo({ frames, samples: [] }, 1, window, preview);
    expect(figures.framesPerSecond).toBeCloseTo(19.5, 1);
    expect(figures.freezeCount).toBe(0);
    expect(figures.delayP50Ms).toBe(80);
    expect(figures).toMatchObject({ unreadable: 0, foreign: 0, black: 0, newFrames: 40 });
  });

  it('a gap the compositor also saw is a freeze; one where only the reads were skipped is not', () => {
    const frozen = [...Array.from({ length: 10 }, (_, i) => frame(1, i, i * 50, i)), ...Array.from({ length: 10 }, (_, i) => frame(1, 10 + i, 1000 + i * 50, 10 + i))];
    expect(analyzeVideo({ frames: frozen, samples: [] }, 1, window)).toMatchObject({ freezeCount: 1 });
    // The same reads, but the compositor presented 11 frames during the gap: the page was busy, the video was not.
    const busy = frozen.map((f, i) => (i >= 10 ? { ...f, presented: f.presented + 10 } : f));
    expect(analyzeVideo({ frames: busy, samples: [] }, 1, window)).toMatchObject({ freezeCount: 0 });
  });

  it('counts another sender\'s picture as foreign, not as this sender\'s frames', () => {
    const frames = [frame(1, 0, 0, 0), frame(2, 1, 50, 1), frame(1, 2, 100, 2)];
    expect(analyzeVideo({ frames, samples: [] }, 1, window)).toMatchObject({ foreign: 1, newFrames: 2 });
  });
});

describe('samplePsnr', () => {
  it('is high for the source frame itself and low for another frame or sender', () => {
    const source = [...referenceLuma({ slot: 0, index: 40 }, PROBE_WIDTH, PROBE_HEIGHT)].map(Math.round);
    expect(samplePsnr(source, 0)).toBeGreaterThan(45);
    // Another slot's picture is not scored against this sender's source at all.
    expect(samplePsnr(source, 1)).toBeNull();
    // The code band of frame 40 over the picture of frame 140: the picture does not match.
    const later = [...referenceLuma({ slot: 0, index: 140 }, PROBE_WIDTH, PROBE_HEIGHT)].map(Math.round);
    const mixed = source.map((value, i) => (i < PROBE_WIDTH * 16 ? value : later[i]!));
    expect(samplePsnr(mixed, 0)!).toBeLessThan(20);
  });
});
