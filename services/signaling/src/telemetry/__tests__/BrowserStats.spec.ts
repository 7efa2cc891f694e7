/**
 * BrowserStats over the real Prometheus registry and in-memory room state, with a hand-driven clock:
 * the rate limit, how reported consumers become labelled streams, and when their series go.
 */
import type { MediaSource, StatsSample } from '@lab/proto/signaling';
import { beforeEach, describe, expect, test } from 'vitest';
import { RateLimitedError } from '../../errors.ts';
import { PrometheusSignalingMetrics } from '../../metrics.ts';
import type { ConsumedStream } from '../../session/PeerMedia.ts';
import { InMemoryRoomStateStore } from '../../state/InMemoryRoomStateStore.ts';
import { BrowserStats } from '../BrowserStats.ts';

const ROOM = 'standup';
const bob = { roomId: ROOM, metricsName: 'bob' };

let clock: number;
let metrics: PrometheusSignalingMetrics;
let state: InMemoryRoomStateStore;
let stats: BrowserStats;
let consumers: Map<string, ConsumedStream>;
let sending: Set<MediaSource>;
const media = {
  consumer: (consumerId: string) => consumers.get(consumerId),
  sends: (source: MediaSource) => sending.has(source),
};

async function joined(peerId: string, metricsName: string): Promise<void> {
  await state.addPeer(ROOM, { peerId, displayName: metricsName, producers: [] }, { maxPeers: 16 });
  await state.markJoined(ROOM, peerId, metricsName);
}

function sampleOf(overrides: Partial<StatsSample> = {}): StatsSample {
  return {
    v: 1,
    inbound: { c1: { jitter: 0.01, packetsLost: 1, packetsReceived: 100, framesDecoded: 30 } },
    outbound: { camera: { qualityLimitationReason: 'bandwidth' } },
    transports: { send: { currentRoundTripTime: 0.02, availableOutgoingBitrate: 1_000_000 }, recv: { currentRoundTripTime: 0.03 } },
    ...overrides,
  };
}

/** The `signaling_browser_*` sample lines (name{labels} value) of the registry now. */
async function browserSeries(): Promise<string[]> {
  return (await metrics.render()).body.split('\n').filter((line) => line.startsWith('signaling_browser_') && line.includes('{'));
}

beforeEach(async () => {
  clock = 10_000;
  metrics = new PrometheusSignalingMetrics({ defaultMetrics: false });
  state = new InMemoryRoomStateStore();
  stats = new BrowserStats({ metrics, state, now: () => clock });
  consumers = new Map([['c1', { producerPeerId: 'alice-id', kind: 'video', source: 'camera' }]]);
  sending = new Set(['camera']);
  await joined('alice-id', 'alice');
  await joined('bob-id', 'bob');
});

describe('BrowserStats', () => {
  test('a stream is labelled with the publisher’s metrics name from the room state, as the SFU labels its consumer', async () => {
    await stats.report(sampleOf(), bob, media);
    const series = await browserSeries();
    expect(series).toContain('signaling_browser_frames_decoded{room="standup",subscriber="bob",publisher="alice",kind="video",source="camera"} 30');
    expect(series).toContain('signaling_browser_round_trip_time_seconds{room="standup",peer="bob",direction="recv"} 0.03');
    expect(series).toContain('signaling_browser_available_outgoing_bitrate_bits_per_second{room="standup",peer="bob"} 1000000');
    expect(series).toContain('signaling_browser_quality_limitation{room="standup",peer="bob",source="camera",reason="bandwidth"} 1');
  });

  test('a second sample within 2 s is refused with RateLimitedError, saying when the last one came; after 2 s it is taken', async () => {
    await stats.report(sampleOf(), bob, media);
    clock += 1500;
    await expect(stats.report(sampleOf(), bob, media)).rejects.toThrow(
      new RateLimitedError('reportStats: at most one sample every 2 s; the previous one came 1.5 s ago'),
    );
    clock += 500;
    await stats.report(sampleOf({ inbound: { c1: { jitter: 0.01, packetsLost: 1, packetsReceived: 160, framesDecoded: 60 } } }), bob, media);
    expect(await browserSeries()).toContain('signaling_browser_frames_decoded{room="standup",subscriber="bob",publisher="alice",kind="video",source="camera"} 60');
  });

  test('entries about consumers the peer does not have, publishers that left and sources it no longer sends are skipped', async () => {
    consumers.set('c2', { producerPeerId: 'carol-id', kind: 'audio', source: 'mic' }); // carol is not (any more) in the room
    sending.clear();
    await stats.report(
      sampleOf({ inbound: { c1: { jitter: 0, packetsLost: 0, packetsReceived: 1 }, c2: { jitter: 0, packetsLost: 0, packetsReceived: 1 }, ghost: { jitter: 0, packetsLost: 0, packetsReceived: 1 } } }),
      bob,
      media,
    );
    const series = await browserSeries();
    expect(series.filter((line) => line.includes('subscriber='))).toHaveLength(3); // c1's jitter, packets lost, packets received
    expect(series.some((line) => line.includes('publisher="alice"'))).toBe(true);
    expect(series.some((line) => line.startsWith('signaling_browser_quality_limitation'))).toBe(false);
  });

  test('series go when their consumer closes, when their source stops, and all of them when the peer leaves', async () => {
    await stats.report(sampleOf(), bob, media);
    stats.consumerGone('c1');
    let series = await browserSeries();
    expect(series.some((line) => line.includes('subscriber='))).toBe(false);
    expect(series.some((line) => line.startsWith('signaling_browser_quality_limitation'))).toBe(true);

    stats.sourceGone('camera');
    series = await browserSeries();
    expect(series.some((line) => line.startsWith('signaling_browser_quality_limitation'))).toBe(false);

    stats.clear();
    expect(await browserSeries()).toEqual([]);
  });

  test('the room state is asked once per new publisher, not at every sample', async () => {
    let lookups = 0;
    const counting = { metricsNames: (roomId: string) => ((lookups += 1), state.metricsNames(roomId)) };
    stats = new BrowserStats({ metrics, state: counting, now: () => clock });
    for (let i = 0; i < 3; i++) {
      await stats.report(sampleOf(), bob, media);
      clock += 2000;
    }
    expect(lookups).toBe(1);
  });
});
