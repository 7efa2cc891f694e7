/**
 * How good the line to one person is, in three words a person understands, from the signals the
 * lab already measures: mediasoup's consumer score (the `consumerScore` push) and the browser's own
 * receive stats (the figures `reportStats` exports: loss, jitter, the receive transport's RTT).
 *
 * Thresholds (the worst signal decides):
 *
 * | signal                         | fair from | poor from | why                                                     |
 * |--------------------------------|-----------|-----------|---------------------------------------------------------|
 * | mediasoup score (0..10)        | ≤ 7       | ≤ 4       | mediasoup lowers it with the stream's loss: 10 clean, ≤ 4 heavy loss |
 * | packet loss (last interval)    | ≥ 2 %     | ≥ 10 %    | Opus FEC and NACK hide ~1-2 %; past 10 % audio breaks and video freezes |
 * | round trip to the server       | ≥ 300 ms  | ≥ 600 ms  | ITU-T G.114: one way past 150 ms is noticed, past 300 ms talk overlaps |
 * | jitter (audio; video if none)  | ≥ 50 ms   | ≥ 100 ms  | the jitter buffer grows with it, and so does the delay |
 *
 * No signal at all (nothing received yet): 'unknown'.
 */
export type QualityLevel = 'good' | 'fair' | 'poor' | 'unknown';

export const QUALITY_THRESHOLDS = {
  fair: { score: 7, lossFraction: 0.02, roundTripSeconds: 0.3, jitterSeconds: 0.05 },
  poor: { score: 4, lossFraction: 0.1, roundTripSeconds: 0.6, jitterSeconds: 0.1 },
} as const;

export interface LineSignals {
  /** The lowest mediasoup score of the person's unmuted streams (consumer or producer side), 0..10. */
  score?: number | null;
  /** 0..1, the worst stream's loss over the last interval. */
  lossFraction?: number | null;
  roundTripSeconds?: number | null;
  jitterSeconds?: number | null;
}

const RANK: Record<QualityLevel, number> = { unknown: 0, good: 1, fair: 2, poor: 3 };

function levelOf(value: number | null | undefined, fair: number, poor: number, lowerIsWorse: boolean): QualityLevel {
  if (value == null || !Number.isFinite(value)) return 'unknown';
  if (lowerIsWorse) return value <= poor ? 'poor' : value <= fair ? 'fair' : 'good';
  return value >= poor ? 'poor' : value >= fair ? 'fair' : 'good';
}

export function qualityLevel(signals: LineSignals): QualityLevel {
  const { fair, poor } = QUALITY_THRESHOLDS;
  const levels = [
    levelOf(signals.score, fair.score, poor.score, true),
    levelOf(signals.lossFraction, fair.lossFraction, poor.lossFraction, false),
    levelOf(signals.roundTripSeconds, fair.roundTripSeconds, poor.roundTripSeconds, false),
    levelOf(signals.jitterSeconds, fair.jitterSeconds, poor.jitterSeconds, false),
  ];
  return levels.reduce((worst, level) => (RANK[level] > RANK[worst] ? level : worst), 'unknown');
}

/** What a screen reader and the tooltip say: "Connection: good". */
export function qualityLabel(level: QualityLevel): string {
  return `Connection: ${level === 'unknown' ? 'measuring' : level}`;
}
