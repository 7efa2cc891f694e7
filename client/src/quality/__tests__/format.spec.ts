import { describe, expect, it } from 'vitest';
import { NO_FIGURE, formatBitrate, formatFrameRate, formatLoss, formatMilliseconds, formatResolution } from '../format.ts';

describe('connection detail formats', () => {
  it('bitrate in kbit/s below 1 Mbit/s, Mbit/s with two decimals above', () => {
    expect(formatBitrate(48_200)).toBe('48 kbit/s');
    expect(formatBitrate(1_234_567)).toBe('1.23 Mbit/s');
  });

  it('loss as a percentage, one decimal below 10 %', () => {
    expect(formatLoss(0)).toBe('0%');
    expect(formatLoss(0.025)).toBe('2.5%');
    expect(formatLoss(0.123)).toBe('12%');
  });

  it('milliseconds, resolution and frame rate', () => {
    expect(formatMilliseconds(0.0042)).toBe('4 ms');
    expect(formatResolution(640, 480)).toBe('640×480');
    expect(formatFrameRate(29.6)).toBe('30 fps');
  });

  it('a dash where there is no figure', () => {
    for (const text of [formatBitrate(null), formatLoss(undefined), formatMilliseconds(Number.NaN), formatResolution(null, 480), formatFrameRate(-1)]) {
      expect(text).toBe(NO_FIGURE);
    }
  });
});
