import { describe, expect, it } from 'vitest';
import type { types as ms } from 'mediasoup';
import { clockRateOf, consumerFigures, producerFigures, transportFigures } from '../streamFigures.ts';

// Shapes as mediasoup 3.15 (with the recipe's patch 05) reports them, trimmed to what is read.
const base = {
  timestamp: 1,
  ssrc: 1111,
  kind: 'video',
  mimeType: 'video/VP8',
  packetsDiscarded: 0,
  packetsRepaired: 0,
  nackPacketCount: 0,
  firCount: 0,
};
const consumerOutbound = {
  ...base,
  type: 'outbound-rtp',
  jitter: 450,
  fractionLost: 64,
  packetsLost: 12,
  roundTripTime: 1.5,
  score: 9,
  bitrate: 800_000,
  packetCount: 1000,
  byteCount: 1_000_000,
  packetsRetransmitted: 7,
  nackCount: 3,
  pliCount: 2,
  firCount: 1,
} as unknown as ms.ConsumerStat;
const producerInbound = (overrides: Record<string, unknown> = {}) =>
  ({
    ...base,
    type: 'inbound-rtp',
    jitter: 900,
    fractionLost: 0,
    packetsLost: 4,
    score: 10,
    bitrate: 500_000,
    packetCount: 2000,
    byteCount: 2_000_000,
    nackCount: 5,
    pliCount: 1,
    packetsRepaired: 3,
    ...overrides,
  }) as unknown as ms.ProducerStat;

describe('consumerFigures', () => {
  it('reads the outbound-rtp entry in base units: jitter by clock rate, loss by 256, RTT in seconds', () => {
    // A consumer's stats list its own outbound-rtp and its producer's inbound-rtp: only the first counts.
    const figures = consumerFigures([producerInbound() as unknown as ms.ConsumerStat, consumerOutbound], 90_000);
    expect(figures).toEqual({
      jitterSeconds: 0.005,
      fractionLost: 0.25,
      packetsLost: 12,
      roundTripTimeSeconds: 0.0015,
      score: 9,
      bitrate: 800_000,
      packetsSent: 1000,
      sourcePacketsReceived: 2000,
      retransmittedPackets: 7,
      nacks: 3,
      plis: 2,
      firs: 1,
    });
  });

  it('has no jitter without the worker patch, and no RTT before the first receiver report', () => {
    const { jitter: _jitter, roundTripTime: _rtt, ...withoutBoth } = consumerOutbound as unknown as Record<string, unknown>;
    const figures = consumerFigures([withoutBoth as unknown as ms.ConsumerStat], 48_000);
    expect(figures?.jitterSeconds).toBeUndefined();
    expect(figures?.roundTripTimeSeconds).toBeUndefined();
  });

  it('is undefined when the consumer has no outbound-rtp entry yet', () => {
    expect(consumerFigures([], 90_000)).toBeUndefined();
  });
});

describe('producerFigures', () => {
  it('adds up the encodings of a simulcast producer, keeps the worst jitter and loss and the lowest score', () => {
    const figures = producerFigures(
      [producerInbound({ jitter: 900, fractionLost: 0, score: 10 }), producerInbound({ jitter: 1800, fractionLost: 26, score: 7 })],
      90_000,
    );
    expect(figures).toMatchObject({ jitterSeconds: 0.02, packetsLost: 8, score: 7, bitrate: 1_000_000, packetsReceived: 4000, nacks: 10, plis: 2, repairedPackets: 6 });
    expect(figures?.fractionLost).toBeCloseTo(26 / 256);
  });

  it('is undefined before the first packet', () => {
    expect(producerFigures([], 48_000)).toBeUndefined();
  });
});

describe('transportFigures', () => {
  it('reads states, bytes, the outgoing estimate and transport-wide loss as given (already 0..1)', () => {
    const stat = {
      type: 'webrtc-transport',
      transportId: 't',
      timestamp: 1,
      iceState: 'completed',
      dtlsState: 'connected',
      bytesReceived: 10,
      bytesSent: 20,
      availableOutgoingBitrate: 1_200_000,
      rtpPacketLossReceived: 0.05,
    } as unknown as ms.WebRtcTransportStat;
    expect(transportFigures([stat])).toEqual({
      iceState: 'completed',
      dtlsState: 'connected',
      bytesReceived: 10,
      bytesSent: 20,
      availableOutgoingBitrate: 1_200_000,
      rtpPacketLossReceived: 0.05,
      rtpPacketLossSent: undefined,
    });
  });
});

describe('clockRateOf', () => {
  it("is the first codec's clock rate", () => {
    expect(clockRateOf({ codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48_000 }] } as ms.RtpParameters)).toBe(48_000);
  });
});
