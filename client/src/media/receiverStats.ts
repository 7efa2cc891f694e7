/**
 * Figures the page reports about what it receives (window.__lab.stats()), read from the standard
 * `inbound-rtp` entry of a receiver's getStats() (mediasoup-client Consumer.getStats()).
 * https://www.w3.org/TR/webrtc-stats/#inboundrtpstats-dict*
 */

import type { AudioReceiveStats, VideoReceiveStats } from '@lab/proto/lab-surface';

/** Any object whose values are stats dictionaries: an RTCStatsReport, or a Map/array in tests. */
export type StatsSource = { forEach(callback: (value: Record<string, unknown>) => void): void };

function inboundRtp(report: StatsSource, kind: 'audio' | 'video'): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  report.forEach((entry) => {
    if (entry.type === 'inbound-rtp' && entry.kind === kind) found = entry;
  });
  return found;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Null when the report has no video `inbound-rtp` entry yet (no packet received so far). */
export function videoReceiveStats(report: StatsSource): VideoReceiveStats | null {
  const entry = inboundRtp(report, 'video');
  if (!entry) return null;
  return {
    framesDecoded: num(entry.framesDecoded),
    framesPerSecond: num(entry.framesPerSecond),
    packetsLost: num(entry.packetsLost),
    jitter: num(entry.jitter),
  };
}

/** Null when the report has no audio `inbound-rtp` entry yet. */
export function audioReceiveStats(report: StatsSource): AudioReceiveStats | null {
  const entry = inboundRtp(report, 'audio');
  if (!entry) return null;
  return {
    packetsReceived: num(entry.packetsReceived),
    packetsLost: num(entry.packetsLost),
    jitter: num(entry.jitter),
    totalSamplesReceived: num(entry.totalSamplesReceived),
  };
}
