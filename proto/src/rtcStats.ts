/**
 * Media figures read from standard WebRTC stats (https://www.w3.org/TR/webrtc-stats/): what a
 * receiver reports in `inbound-rtp`, what a sender reports in `outbound-rtp`, what the selected
 * `candidate-pair` of a transport says. One reading for every observer: the call page (window.__lab
 * and the `reportStats` samples it sends, from mediasoup-client's getStats()) and the e2e suites,
 * which read plain RTCPeerConnections (the direct-call baselines) with the same functions.
 */

import type { AudioReceiveStats, AudioSendStats, VideoReceiveStats, VideoSendStats } from './labSurface.ts';
import {
  QualityLimitationReason,
  type InboundStreamStats,
  type SendTransportStats,
} from './signaling.ts';

/** Any object whose values are stats dictionaries: an RTCStatsReport, or a Map/array of them. */
export type StatsSource = { forEach(callback: (value: Record<string, unknown>) => void): void };

type RtpStatsType = 'inbound-rtp' | 'outbound-rtp';

/**
 * The report's `type` entry of `kind`; with `trackIdentifier`, the one of that track (a transport's
 * report holds an entry per stream; a sender's or receiver's, only its own).
 */
function rtpEntry(report: StatsSource, type: RtpStatsType, kind: 'audio' | 'video', trackIdentifier?: string): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  report.forEach((entry) => {
    if (entry.type === type && entry.kind === kind && (trackIdentifier === undefined || entry.trackIdentifier === trackIdentifier)) found = entry;
  });
  return found;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function optionalNum(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** `{ [key]: value }` when the browser reported a finite number ≥ 0 for it, else `{}` (the field stays out). */
function reported<K extends string>(entry: Record<string, unknown>, key: K): Partial<Record<K, number>> {
  const value = optionalNum(entry[key]);
  return value !== null && value >= 0 ? ({ [key]: value } as Partial<Record<K, number>>) : {};
}

/** Null when the report has no video `inbound-rtp` entry yet (no packet received so far). */
export function videoReceiveStats(report: StatsSource): VideoReceiveStats | null {
  const entry = rtpEntry(report, 'inbound-rtp', 'video');
  if (!entry) return null;
  return {
    timestamp: num(entry.timestamp),
    framesReceived: num(entry.framesReceived),
    framesDecoded: num(entry.framesDecoded),
    framesPerSecond: num(entry.framesPerSecond),
    freezeCount: num(entry.freezeCount),
    totalFreezesDuration: num(entry.totalFreezesDuration),
    packetsLost: num(entry.packetsLost),
    jitter: num(entry.jitter),
  };
}

/** Null when the report has no audio `inbound-rtp` entry yet. */
export function audioReceiveStats(report: StatsSource): AudioReceiveStats | null {
  const entry = rtpEntry(report, 'inbound-rtp', 'audio');
  if (!entry) return null;
  return {
    timestamp: num(entry.timestamp),
    packetsReceived: num(entry.packetsReceived),
    packetsLost: num(entry.packetsLost),
    jitter: num(entry.jitter),
    totalSamplesReceived: num(entry.totalSamplesReceived),
    concealedSamples: num(entry.concealedSamples),
  };
}

/** Null when the report has no video `outbound-rtp` entry yet (nothing sent so far). */
export function videoSendStats(report: StatsSource): VideoSendStats | null {
  const entry = rtpEntry(report, 'outbound-rtp', 'video');
  if (!entry) return null;
  return {
    timestamp: num(entry.timestamp),
    framesEncoded: num(entry.framesEncoded),
    framesSent: num(entry.framesSent),
    packetsSent: num(entry.packetsSent),
    retransmittedPacketsSent: num(entry.retransmittedPacketsSent),
    nackCount: num(entry.nackCount),
    pliCount: num(entry.pliCount),
    ssrc: num(entry.ssrc),
    rtxSsrc: optionalNum(entry.rtxSsrc),
    frameWidth: optionalNum(entry.frameWidth),
    frameHeight: optionalNum(entry.frameHeight),
    framesPerSecond: optionalNum(entry.framesPerSecond),
  };
}

/** Null when the report has no audio `outbound-rtp` entry yet. */
export function audioSendStats(report: StatsSource): AudioSendStats | null {
  const entry = rtpEntry(report, 'outbound-rtp', 'audio');
  if (!entry) return null;
  return {
    timestamp: num(entry.timestamp),
    packetsSent: num(entry.packetsSent),
    ssrc: num(entry.ssrc),
  };
}

/**
 * One received stream's figures for a `reportStats` sample, from the report of its receiver
 * (mediasoup-client's Consumer.getStats()). Null before its first packet (no `inbound-rtp` yet).
 */
export function inboundStreamStats(report: StatsSource, kind: 'audio' | 'video', trackIdentifier?: string): InboundStreamStats | null {
  const entry = rtpEntry(report, 'inbound-rtp', kind, trackIdentifier);
  if (!entry) return null;
  const kindSpecific =
    kind === 'video'
      ? {
          ...reported(entry, 'framesDecoded'),
          ...reported(entry, 'framesDropped'),
          ...reported(entry, 'freezeCount'),
          ...reported(entry, 'totalFreezesDuration'),
        }
      : reported(entry, 'concealedSamples');
  return {
    jitter: num(entry.jitter),
    // RTCP's cumulative loss is signed (duplicates can make it negative); the sample carries counts ≥ 0.
    packetsLost: Math.max(0, num(entry.packetsLost)),
    packetsReceived: num(entry.packetsReceived),
    ...kindSpecific,
    ...reported(entry, 'jitterBufferDelay'),
    ...reported(entry, 'jitterBufferEmittedCount'),
  };
}

/**
 * Why the sender of this report lowers its quality now (`outbound-rtp.qualityLimitationReason`);
 * null when the report has no video `outbound-rtp` entry or the browser gives no (known) reason.
 * Browsers report it for video senders only.
 */
export function qualityLimitationReason(report: StatsSource): QualityLimitationReason | null {
  const parsed = QualityLimitationReason.safeParse(rtpEntry(report, 'outbound-rtp', 'video')?.qualityLimitationReason);
  return parsed.success ? parsed.data : null;
}

/**
 * The selected `candidate-pair` of a peer connection's report (mediasoup-client's
 * Transport.getStats()): its round-trip time and the browser's outgoing bandwidth estimate. Null
 * while no pair is selected (ICE still checking).
 */
export function selectedCandidatePairStats(report: StatsSource): SendTransportStats | null {
  const pairs = new Map<unknown, Record<string, unknown>>();
  let selectedId: unknown;
  let fallback: Record<string, unknown> | undefined;
  report.forEach((entry) => {
    if (entry.type === 'candidate-pair') {
      pairs.set(entry.id, entry);
      // Firefox marks the pair itself; Chromium names it on the `transport` entry (below).
      if (entry.selected === true || (entry.nominated === true && entry.state === 'succeeded')) fallback ??= entry;
    } else if (entry.type === 'transport' && entry.selectedCandidatePairId !== undefined) {
      selectedId = entry.selectedCandidatePairId;
    }
  });
  const pair = (selectedId !== undefined ? pairs.get(selectedId) : undefined) ?? fallback;
  if (!pair) return null;
  return { ...reported(pair, 'currentRoundTripTime'), ...reported(pair, 'availableOutgoingBitrate') };
}

/**
 * One received stream as the call page's connection details show it: the figures of its
 * `reportStats` sample (inboundStreamStats: jitter, loss and receive counts, the same numbers the
 * telemetry exports) plus what a person wants to see beside them (bytes for the bitrate, the decoded
 * resolution and frame rate) and the entry's timestamp, so rates divide by the browser's own clock.
 * Null before the stream's first packet. From a whole transport's report, `trackIdentifier` (the
 * receiver's track id) picks the stream.
 */
export interface InboundStreamReading extends InboundStreamStats {
  /** Milliseconds since the epoch. */
  timestamp: number;
  bytesReceived: number;
  /** Video: the last decoded frame's size; null before the first frame. */
  frameWidth: number | null;
  frameHeight: number | null;
  /** Video: decoded frames per second over the browser's last interval. */
  framesPerSecond: number | null;
}

export function inboundStreamReading(report: StatsSource, kind: 'audio' | 'video', trackIdentifier?: string): InboundStreamReading | null {
  const stats = inboundStreamStats(report, kind, trackIdentifier);
  const entry = rtpEntry(report, 'inbound-rtp', kind, trackIdentifier);
  if (!stats || !entry) return null;
  return {
    ...stats,
    timestamp: num(entry.timestamp),
    bytesReceived: num(entry.bytesReceived),
    frameWidth: optionalNum(entry.frameWidth),
    frameHeight: optionalNum(entry.frameHeight),
    framesPerSecond: optionalNum(entry.framesPerSecond),
  };
}
