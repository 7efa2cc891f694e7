import { describe, expect, it } from 'vitest';
import type { InboundStreamReading } from '@lab/proto/rtc-stats';
import { streamFigures } from '../lineFigures.ts';

const reading = (overrides: Partial<InboundStreamReading> = {}): InboundStreamReading => ({
  timestamp: 10_000,
  jitter: 0.004,
  packetsLost: 0,
  packetsReceived: 1000,
  bytesReceived: 1_000_000,
  frameWidth: 640,
  frameHeight: 480,
  framesPerSecond: 30,
  ...overrides,
});

describe('streamFigures', () => {
  it('rates are over the interval between the two readings’ own timestamps', () => {
    const previous = reading();
    const current = reading({ timestamp: 12_000, bytesReceived: 1_250_000, packetsReceived: 1190, packetsLost: 10 });
    expect(streamFigures(current, previous)).toEqual({
      bitrateBps: 1_000_000,
      lossFraction: 10 / 200,
      jitterSeconds: 0.004,
      width: 640,
      height: 480,
      framesPerSecond: 30,
    });
  });

  it('on the first reading: no bitrate, loss over the whole stream', () => {
    expect(streamFigures(reading({ packetsLost: 10, packetsReceived: 990 }))).toMatchObject({ bitrateBps: null, lossFraction: 0.01 });
  });

  it('no packet expected in the interval (muted): no loss figure rather than 0 %', () => {
    const previous = reading();
    expect(streamFigures(reading({ timestamp: 11_000 }), previous).lossFraction).toBeNull();
  });

  it('a reading of an older stream (counters went back) is not used as the baseline', () => {
    const old = reading({ packetsReceived: 5000, bytesReceived: 9_000_000 });
    expect(streamFigures(reading({ timestamp: 11_000, packetsReceived: 100 }), old)).toMatchObject({ bitrateBps: null, lossFraction: 0 });
  });
});
