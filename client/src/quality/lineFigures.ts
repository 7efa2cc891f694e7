/**
 * The figures of one received stream as the connection details show them, from two successive
 * readings (@lab/proto/rtc-stats inboundStreamReading: the telemetry's numbers plus bytes, size and
 * frame rate). Rates are over the interval between the two readings' own timestamps.
 */
import type { InboundStreamReading } from '@lab/proto/rtc-stats';

export interface StreamFigures {
  /** Bits per second over the last interval; null on the first reading. */
  bitrateBps: number | null;
  /**
   * 0..1: lost ÷ (lost + received) over the last interval (over the whole stream on the first
   * reading); null when no packet was expected meanwhile (a muted or paused stream).
   */
  lossFraction: number | null;
  jitterSeconds: number;
  width: number | null;
  height: number | null;
  framesPerSecond: number | null;
}

export function streamFigures(current: InboundStreamReading, previous?: InboundStreamReading | null): StreamFigures {
  // A reading from an older stream (counters went back: the consumer was replaced) is no baseline.
  const baseline =
    previous && previous.timestamp < current.timestamp && previous.packetsReceived <= current.packetsReceived && previous.bytesReceived <= current.bytesReceived
      ? previous
      : null;
  const received = current.packetsReceived - (baseline?.packetsReceived ?? 0);
  const lost = Math.max(0, current.packetsLost - (baseline?.packetsLost ?? 0));
  const seconds = baseline ? (current.timestamp - baseline.timestamp) / 1000 : 0;
  return {
    bitrateBps: baseline && seconds > 0 ? ((current.bytesReceived - baseline.bytesReceived) * 8) / seconds : null,
    lossFraction: received + lost > 0 ? lost / (received + lost) : null,
    jitterSeconds: current.jitter,
    width: current.frameWidth,
    height: current.frameHeight,
    framesPerSecond: current.framesPerSecond,
  };
}
