import { describe, expect, it } from 'vitest';
import { QUALITY_THRESHOLDS, qualityLabel, qualityLevel } from '../qualityLevel.ts';

describe('qualityLevel', () => {
  it('is good on a clean line: full score, no loss, short round trip, little jitter', () => {
    expect(qualityLevel({ score: 10, lossFraction: 0, roundTripSeconds: 0.002, jitterSeconds: 0.004 })).toBe('good');
  });

  it('takes the worst signal', () => {
    expect(qualityLevel({ score: 10, lossFraction: 0.05, roundTripSeconds: 0.01 })).toBe('fair');
    expect(qualityLevel({ score: 10, lossFraction: 0, roundTripSeconds: 0.7 })).toBe('poor');
    expect(qualityLevel({ score: 3, lossFraction: 0 })).toBe('poor');
    expect(qualityLevel({ score: 10, jitterSeconds: 0.06 })).toBe('fair');
  });

  it('changes level exactly at the documented thresholds', () => {
    const { fair, poor } = QUALITY_THRESHOLDS;
    expect(qualityLevel({ score: fair.score + 1 })).toBe('good');
    expect(qualityLevel({ score: fair.score })).toBe('fair');
    expect(qualityLevel({ score: poor.score })).toBe('poor');
    expect(qualityLevel({ lossFraction: fair.lossFraction - 0.001 })).toBe('good');
    expect(qualityLevel({ lossFraction: fair.lossFraction })).toBe('fair');
    expect(qualityLevel({ lossFraction: poor.lossFraction })).toBe('poor');
    expect(qualityLevel({ roundTripSeconds: fair.roundTripSeconds })).toBe('fair');
    expect(qualityLevel({ jitterSeconds: poor.jitterSeconds })).toBe('poor');
  });

  it('is unknown with no signal, and ignores missing or non-finite ones', () => {
    expect(qualityLevel({})).toBe('unknown');
    expect(qualityLevel({ score: null, lossFraction: Number.NaN })).toBe('unknown');
    expect(qualityLevel({ score: null, lossFraction: 0 })).toBe('good');
  });

  it('labels the level for screen readers', () => {
    expect(qualityLabel('good')).toBe('Connection: good');
    expect(qualityLabel('poor')).toBe('Connection: poor');
    expect(qualityLabel('unknown')).toBe('Connection: measuring');
  });
});
