/**
 * mediasoup's stats of a consumer, producer or transport, turned into the figures the SFU exports
 * (docs/metrics.md): base units (seconds, ratios 0..1, bits per second), and only what a stream
 * really has. Pure functions over the stats objects, so the unit conversions are tested without a
 * worker.
 *
 * Units in mediasoup 3.15's getStats(): `roundTripTime` in milliseconds; `jitter` in RTP timestamp
 * units of the codec's clock; `fractionLost` 0..255 (RTCP's 8-bit fixed point);
 * `rtpPacketLossReceived` / `rtpPacketLossSent` already 0..1.
 */
import type { types as ms } from 'mediasoup';

export interface ConsumerFigures {
  /** From the subscriber's RTCP receiver reports (worker recipe patch 05); undefined without it. */
  jitterSeconds: number | undefined;
  fractionLost: number;
  packetsLost: number;
  /** Undefined until the subscriber's first receiver report. */
  roundTripTimeSeconds: number | undefined;
  score: number;
  bitrate: number;
  packetsSent: number;
  /**
   * Packets the SFU received on the producer stream this consumer is fed from (the `inbound-rtp`
   * entry of the same getStats(): with simulcast, the layer it forwards), read at the same instant
   * as `packetsSent`: the pair says what the SFU did not forward.
   */
  sourcePacketsReceived: number | undefined;
  retransmittedPackets: number;
  nacks: number;
  plis: number;
  firs: number;
}

export interface ProducerFigures {
  jitterSeconds: number;
  fractionLost: number;
  packetsLost: number;
  score: number;
  bitrate: number;
  packetsReceived: number;
  nacks: number;
  plis: number;
  repairedPackets: number;
}

export interface TransportFigures {
  /** WebRTC transports only (the lab's); undefined for plain and pipe transports. */
  iceState: string | undefined;
  dtlsState: string | undefined;
  bytesReceived: number;
  bytesSent: number;
  availableOutgoingBitrate: number | undefined;
  rtpPacketLossReceived: number | undefined;
  rtpPacketLossSent: number | undefined;
}

const RTCP_FRACTION_SCALE = 256;

function finite(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/**
 * A consumer's figures from its getStats(): the `outbound-rtp` entry is what the SFU sends and what
 * the subscriber reports about it (the `inbound-rtp` entry next to it is the producer's). Undefined
 * when there is no `outbound-rtp` entry (the consumer has not been set up yet).
 */
export function consumerFigures(stats: readonly ms.ConsumerStat[], clockRate: number): ConsumerFigures | undefined {
  const sent = stats.find((entry) => entry.type === 'outbound-rtp');
  if (!sent) return undefined;
  const source = stats.find((entry) => entry.type === 'inbound-rtp');
  const jitter = finite((sent as { jitter?: number }).jitter);
  return {
    jitterSeconds: jitter === undefined || clockRate <= 0 ? undefined : jitter / clockRate,
    fractionLost: sent.fractionLost / RTCP_FRACTION_SCALE,
    packetsLost: sent.packetsLost,
    roundTripTimeSeconds: sent.roundTripTime === undefined ? undefined : sent.roundTripTime / 1000,
    score: sent.score,
    bitrate: sent.bitrate,
    packetsSent: sent.packetCount,
    sourcePacketsReceived: source?.packetCount,
    retransmittedPackets: sent.packetsRetransmitted,
    nacks: sent.nackCount,
    plis: sent.pliCount,
    firs: sent.firCount,
  };
}

/**
 * A producer's figures from its getStats(): one `inbound-rtp` entry per encoding (several with
 * simulcast). Counts add up; jitter and loss are the worst encoding's, the score its lowest: the
 * figure that says whether any layer is in trouble. Undefined before the first packet.
 */
export function producerFigures(stats: readonly ms.ProducerStat[], clockRate: number): ProducerFigures | undefined {
  const encodings = stats.filter((entry) => entry.type === 'inbound-rtp');
  if (encodings.length === 0) return undefined;
  const sum = (pick: (entry: ms.ProducerStat) => number) => encodings.reduce((total, entry) => total + pick(entry), 0);
  const max = (pick: (entry: ms.ProducerStat) => number) => Math.max(...encodings.map(pick));
  return {
    jitterSeconds: clockRate > 0 ? max((entry) => entry.jitter) / clockRate : 0,
    fractionLost: max((entry) => entry.fractionLost) / RTCP_FRACTION_SCALE,
    packetsLost: sum((entry) => entry.packetsLost),
    score: Math.min(...encodings.map((entry) => entry.score)),
    bitrate: sum((entry) => entry.bitrate),
    packetsReceived: sum((entry) => entry.packetCount),
    nacks: sum((entry) => entry.nackCount),
    plis: sum((entry) => entry.pliCount),
    repairedPackets: sum((entry) => entry.packetsRepaired),
  };
}

/** Any transport's stats; a WebRTC transport's also carry its ICE and DTLS states. */
export type TransportStat = ms.BaseTransportStats & Partial<Pick<ms.WebRtcTransportStat, 'iceState' | 'dtlsState'>>;

/** A transport's figures from its getStats() (one entry). */
export function transportFigures(stats: readonly TransportStat[]): TransportFigures | undefined {
  const entry = stats[0];
  if (!entry) return undefined;
  return {
    iceState: entry.iceState,
    dtlsState: entry.dtlsState,
    bytesReceived: entry.bytesReceived,
    bytesSent: entry.bytesSent,
    availableOutgoingBitrate: finite(entry.availableOutgoingBitrate),
    rtpPacketLossReceived: finite(entry.rtpPacketLossReceived),
    rtpPacketLossSent: finite(entry.rtpPacketLossSent),
  };
}

/** The clock rate of a stream's (first) codec: what turns jitter in RTP units into seconds. */
export function clockRateOf(rtpParameters: ms.RtpParameters): number {
  return rtpParameters.codecs[0]?.clockRate ?? 0;
}
