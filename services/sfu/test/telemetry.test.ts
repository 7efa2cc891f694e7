/**
 * The SFU's telemetry against the real SFU process: per-stream series named in human terms
 * appear once a stream's stats are read, vanish the moment its peer leaves, are capped with a drop
 * counter, and do not exist in aggregate-only mode; the fleet figures, the per-worker ones, the
 * event feed's and build info are there whatever the mode. (Real media, and so real jitter, loss
 * and RTT values, are the e2e suite's job: these streams carry no packets.)
 */
import { describe, expect, it } from 'vitest';
import { eventually, newRoomId } from './sfuCalls.ts';
import type { SfuProcess } from './sfuProcess.ts';
import { useSfu } from './useSfu.ts';

/** Stats read every 200 ms, so a test waits a fraction of a second for a round. */
const FAST_STATS = { SFU_STATS_INTERVAL_SECONDS: '0.2', SFU_WORKERS: '1' };

async function scrape(sfu: SfuProcess): Promise<string> {
  const response = await fetch(sfu.metricsUrl);
  return response.text();
}

function labelled(text: string, metric: string, labels: Record<string, string>): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${metric}{`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)));
}

describe('per-stream series', () => {
  // Room for two peers' transports and the consumer (3 streams; a producer has stats, and so
  // series, only once packets arrive, and these carry none), not for a third peer's.
  const lab = useSfu({ ...FAST_STATS, SFU_METRICS_MAX_STREAMS: '3' });
  const { calls } = lab;

  it('names every stream by room, subscriber, publisher, kind and source, and drops them when their peer leaves', async () => {
    const roomId = newRoomId();
    await calls.twoPeerCall(roomId, { alice: 'Alice A.', bob: 'bob #3f2a9c' });
    const consumer = { room: roomId, subscriber: 'bob #3f2a9c', publisher: 'Alice A.', kind: 'audio', source: 'mic' };
    const text = await eventually(() => scrape(lab.sfu), (t) => labelled(t, 'sfu_consumer_score', consumer).length === 1);
    expect(labelled(text, 'sfu_consumer_score', consumer)).toHaveLength(1);
    expect(labelled(text, 'sfu_consumer_packets_sent_total', consumer)).toHaveLength(1);
    expect(labelled(text, 'sfu_transport_ice_state', { room: roomId, peer: 'Alice A.', direction: 'send', state: 'new' })).toEqual([
      expect.stringMatching(/ 1$/),
    ]);
    expect(labelled(text, 'sfu_transport_received_bytes_total', { room: roomId, peer: 'bob #3f2a9c', direction: 'recv' })).toHaveLength(1);
    // The peer ids (alice, bob) are not what the labels say.
    expect(text).not.toContain('subscriber="bob"');
    expect(text).not.toContain('publisher="alice"');

    await calls.closePeer(roomId, 'bob');
    const afterBob = await scrape(lab.sfu);
    expect(labelled(afterBob, 'sfu_consumer_score', { room: roomId })).toEqual([]);
    expect(labelled(afterBob, 'sfu_transport_ice_state', { peer: 'bob #3f2a9c' })).toEqual([]);
    // alice is still there, so are her series.
    expect(labelled(afterBob, 'sfu_transport_ice_state', { room: roomId, peer: 'Alice A.' })).not.toEqual([]);

    await calls.closePeer(roomId, 'alice');
    const afterAll = await scrape(lab.sfu);
    expect(afterAll).not.toContain(roomId);
    expect(afterAll).toMatch(/^sfu_stream_series 0$/m);
  });

  it('past SFU_METRICS_MAX_STREAMS, a new stream gets no series and the drop counter rises', async () => {
    const roomId = newRoomId();
    const dropsBefore = Number((await scrape(lab.sfu)).match(/^sfu_stream_series_dropped_total (\d+)/m)?.[1] ?? NaN);
    const { capabilities, producerId } = await calls.twoPeerCall(roomId, { alice: 'alice', bob: 'bob' });
    await eventually(() => scrape(lab.sfu), (t) => /^sfu_stream_series 3$/m.test(t));
    // carol's receive transport and consumer are streams six and seven.
    await calls.join(roomId, 'carol', 'carol');
    const carolRecv = await calls.createTransport(roomId, 'carol', 'TRANSPORT_DIRECTION_RECV');
    await calls.consume(roomId, 'carol', carolRecv.transportId, producerId, JSON.stringify(capabilities));
    const text = await eventually(
      () => scrape(lab.sfu),
      (t) => Number(t.match(/^sfu_stream_series_dropped_total (\d+)/m)?.[1]) === dropsBefore + 2,
    );
    expect(Number(text.match(/^sfu_stream_series_dropped_total (\d+)/m)?.[1])).toBe(dropsBefore + 2);
    expect(text).toMatch(/^sfu_stream_series 3$/m);
    expect(text).not.toContain('carol');
    // The fleet figures still see carol's stream: the audio consumers observed outnumber the per-stream ones.
    expect(text).toMatch(/^sfu_fleet_consumer_fraction_lost_ratio_count\{kind="audio"\} [1-9]\d*$/m);
  });
});

describe('aggregate-only mode and fleet figures', () => {
  const lab = useSfu({ ...FAST_STATS, SFU_METRICS_PER_STREAM: 'false' });
  const { calls } = lab;

  it('exports no per-peer label at all, and the fleet, worker, event-feed and build figures', async () => {
    const roomId = newRoomId();
    await calls.twoPeerCall(roomId, { alice: 'alice', bob: 'bob' });
    const text = await eventually(() => scrape(lab.sfu), (t) => /^sfu_fleet_consumer_fraction_lost_ratio_count\{kind="audio"\} [1-9]/m.test(t));
    expect(text).not.toMatch(/subscriber=|publisher=|peer=/);
    expect(text).toMatch(/^sfu_stream_series 0$/m);
    expect(text).toMatch(/^sfu_fleet_consumer_fraction_lost_ratio_count\{kind="audio"\} [1-9]\d*$/m);
    expect(text).toMatch(/^sfu_worker_cpu_seconds_total\{worker="0"\} \d/m);
    expect(text).toMatch(/^sfu_worker_transports\{worker="0"\} 2$/m);
    expect(text).toMatch(/^sfu_worker_consumers\{worker="0",kind="audio"\} 1$/m);
    expect(text).toMatch(/^sfu_stats_collection_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^sfu_event_subscribers 0$/m);
    expect(text).toMatch(/^sfu_build_info\{version="[^"]+",mediasoup="3\.15\.8",node="v20[^"]*",worker_recipe="3\.15\.8-[0-9a-f]{12}"\} 1$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
  });
});
