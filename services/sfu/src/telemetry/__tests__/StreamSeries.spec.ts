import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { StreamSeries, unforwardedSince } from '../StreamSeries.ts';
import type { ConsumerFigures, TransportFigures } from '../streamFigures.ts';

const labels = { room: 'r1', subscriber: 'bob', publisher: 'alice', kind: 'video', source: 'camera' };
const figures = (overrides: Partial<ConsumerFigures> = {}): ConsumerFigures => ({
  jitterSeconds: 0.004,
  fractionLost: 0.01,
  packetsLost: 3,
  roundTripTimeSeconds: 0.002,
  score: 10,
  bitrate: 500_000,
  packetsSent: 100,
  sourcePacketsReceived: 100,
  retransmittedPackets: 1,
  nacks: 1,
  plis: 0,
  firs: 0,
  ...overrides,
});
const transport: TransportFigures = {
  iceState: 'completed',
  dtlsState: 'connected',
  bytesReceived: 1000,
  bytesSent: 2000,
  availableOutgoingBitrate: 900_000,
  rtpPacketLossReceived: 0.02,
  rtpPacketLossSent: 0,
};

function setup(options: { perStream?: boolean; maxStreams?: number } = {}) {
  const registry = new Registry();
  const series = new StreamSeries({ registry, perStream: options.perStream ?? true, maxStreams: options.maxStreams ?? 100 });
  const value = async (name: string, match: Record<string, string> = {}) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const entry = metric?.values.find((v) => Object.entries(match).every(([k, want]) => String(v.labels[k]) === want));
    return entry?.value;
  };
  const text = () => registry.metrics();
  return { series, value, text };
}

describe('StreamSeries', () => {
  it('exports a consumer under human labels, in base units', async () => {
    const { series, value } = setup();
    series.consumer('c1', labels, figures());
    expect(await value('sfu_consumer_jitter_seconds', labels)).toBe(0.004);
    expect(await value('sfu_consumer_round_trip_time_seconds', labels)).toBe(0.002);
    expect(await value('sfu_consumer_score', labels)).toBe(10);
    expect(await value('sfu_stream_series')).toBe(1);
  });

  it('grows counters by what the cumulative stats grew since the previous reading', async () => {
    const { series, value } = setup();
    series.consumer('c1', labels, figures({ packetsSent: 100, nacks: 1 }));
    series.consumer('c1', labels, figures({ packetsSent: 250, nacks: 4 }));
    expect(await value('sfu_consumer_packets_sent_total', labels)).toBe(250);
    expect(await value('sfu_consumer_nacks_total', labels)).toBe(4);
    // mediasoup restarting a count (a value below the last one) adds the new count, never subtracts.
    series.consumer('c1', labels, figures({ packetsSent: 10 }));
    expect(await value('sfu_consumer_packets_sent_total', labels)).toBe(260);
  });

  it('removes every series of a stream when it is forgotten', async () => {
    const { series, text } = setup();
    series.consumer('c1', labels, figures());
    series.transport('t1', { room: 'r1', peer: 'bob', direction: 'recv' }, transport);
    expect(await text()).toContain('subscriber="bob"');
    series.forget('c1');
    series.forget('t1');
    expect(await text()).not.toContain('bob');
  });

  it('sets 1 for the current ICE and DTLS state and 0 for the others', async () => {
    const { series, value } = setup();
    const t = { room: 'r1', peer: 'bob', direction: 'recv' };
    series.transport('t1', t, transport);
    expect(await value('sfu_transport_ice_state', { ...t, state: 'completed' })).toBe(1);
    expect(await value('sfu_transport_ice_state', { ...t, state: 'disconnected' })).toBe(0);
    series.transport('t1', t, { ...transport, iceState: 'disconnected' });
    expect(await value('sfu_transport_ice_state', { ...t, state: 'completed' })).toBe(0);
    expect(await value('sfu_transport_ice_state', { ...t, state: 'disconnected' })).toBe(1);
  });

  it('past the cap, gives a new stream no series and counts it once as dropped', async () => {
    const { series, value, text } = setup({ maxStreams: 1 });
    series.consumer('c1', labels, figures());
    const other = { ...labels, subscriber: 'carol' };
    series.consumer('c2', other, figures());
    series.consumer('c2', other, figures());
    expect(await text()).not.toContain('carol');
    expect(await value('sfu_stream_series_dropped_total')).toBe(1);
    // Room frees up when a stream closes.
    series.forget('c1');
    series.consumer('c2', other, figures());
    expect(await text()).toContain('subscriber="carol"');
  });

  it('exports the share of the source packets the SFU did not forward since the previous reading', async () => {
    const { series, value } = setup();
    series.consumer('c1', labels, figures({ packetsSent: 100, sourcePacketsReceived: 100 }));
    // One reading: nothing to compare with yet.
    expect(await value('sfu_consumer_unforwarded_ratio', labels)).toBeUndefined();
    series.consumer('c1', labels, figures({ packetsSent: 190, sourcePacketsReceived: 200 }));
    expect(await value('sfu_consumer_unforwarded_ratio', labels)).toBeCloseTo(0.1);
    series.consumer('c1', labels, figures({ packetsSent: 290, sourcePacketsReceived: 300 }), false);
    expect(await value('sfu_consumer_unforwarded_ratio', labels)).toBe(0);
  });

  it('in aggregate-only mode exports no per-stream series at all', async () => {
    const { series, text, value } = setup({ perStream: false });
    series.consumer('c1', labels, figures());
    expect(await text()).not.toContain('alice');
    expect(await value('sfu_stream_series')).toBe(0);
  });
});

describe('unforwardedSince', () => {
  const previous = { sent: 100, received: 100 };

  it('is the share of the packets received meanwhile that were not sent', () => {
    expect(unforwardedSince(previous, { packetsSent: 150, sourcePacketsReceived: 200 }, false)).toBe(0.5);
    expect(unforwardedSince(previous, { packetsSent: 200, sourcePacketsReceived: 200 }, false)).toBe(0);
  });

  it('is 0 while the consumer is paused: forwarding nothing is what was asked', () => {
    expect(unforwardedSince(previous, { packetsSent: 100, sourcePacketsReceived: 200 }, true)).toBe(0);
  });

  it('stays within 0..1 (more sent than received, e.g. counts read across a restart)', () => {
    expect(unforwardedSince(previous, { packetsSent: 260, sourcePacketsReceived: 200 }, false)).toBe(0);
  });

  it('says nothing without a previous reading, without a source, or when nothing arrived', () => {
    expect(unforwardedSince(undefined, { packetsSent: 1, sourcePacketsReceived: 1 }, false)).toBeUndefined();
    expect(unforwardedSince(previous, { packetsSent: 150, sourcePacketsReceived: undefined }, false)).toBeUndefined();
    expect(unforwardedSince(previous, { packetsSent: 100, sourcePacketsReceived: 100 }, false)).toBeUndefined();
  });
});
