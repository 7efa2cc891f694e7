/**
 * Browser-reported stats against the real service (real SFU, PostgreSQL, WebSockets): a page's
 * reportStats sample shows in /metrics under the SFU's labels for the same streams (room,
 * subscriber, publisher, kind, source; room, peer, direction / source, reason); a malformed sample
 * gets invalid_message naming the field, one sent too soon rate_limited, and the socket keeps
 * working; series go when their consumer closes and when their peer leaves.
 */
import type { RequestInput } from '@lab/proto/signaling';
import { describe, expect, test } from 'vitest';
import { opusRtpParameters, vp8RtpParameters } from './support/media.ts';
import type { SignalingClient } from './support/SignalingClient.ts';
import { useSignalingLab } from './support/signalingLab.ts';

const { lab, connect, newRoom } = useSignalingLab({ roomPrefix: 'stats' });

/** The sample lines of /metrics now. */
async function metricsLines(): Promise<string[]> {
  return (await (await fetch(`${lab().httpUrl}/metrics`)).text()).split('\n');
}

/** The browser series of `roomId` (its label set and value per line). */
async function browserSeries(roomId: string): Promise<string[]> {
  return (await metricsLines()).filter((line) => line.startsWith('signaling_browser_') && line.includes(`room="${roomId}"`));
}

async function counter(series: string): Promise<number> {
  const line = (await metricsLines()).find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Alice sends mic and camera; Bob receives both. */
async function aliceToBob() {
  const roomId = newRoom();
  const alice = await connect();
  await alice.call('join', { roomId, displayName: 'Alice' });
  const bob = await connect();
  const bobJoin = await bob.call('join', { roomId, displayName: 'Bob' });
  const send = await alice.call('createTransport', { direction: 'send' });
  const mic = await alice.call('produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters() });
  const camera = await alice.call('produce', { transportId: send.transportId, kind: 'video', source: 'camera', rtpParameters: vp8RtpParameters() });
  const recv = await bob.call('createTransport', { direction: 'recv' });
  const consume = (producerId: string) => bob.call('consume', { transportId: recv.transportId, producerId, rtpCapabilities: bobJoin.routerRtpCapabilities });
  return { roomId, alice, bob, micConsumer: (await consume(mic.producerId)).consumerId, cameraConsumer: (await consume(camera.producerId)).consumerId, cameraProducer: camera.producerId };
}

function bobsSample(micConsumer: string, cameraConsumer: string): RequestInput<'reportStats'> {
  return {
    v: 1,
    inbound: {
      [micConsumer]: { jitter: 0.003, packetsLost: 2, packetsReceived: 500, concealedSamples: 960, jitterBufferDelay: 12, jitterBufferEmittedCount: 240_000 },
      [cameraConsumer]: { jitter: 0.006, packetsLost: 5, packetsReceived: 900, framesDecoded: 290, framesDropped: 1, freezeCount: 1, totalFreezesDuration: 0.4, jitterBufferDelay: 14.5, jitterBufferEmittedCount: 290 },
    },
    outbound: {},
    transports: { recv: { currentRoundTripTime: 0.012 } },
  };
}

async function request(client: SignalingClient, sample: unknown) {
  return client.request('reportStats', sample as RequestInput<'reportStats'>);
}

describe('reportStats', () => {
  test('a valid sample appears in /metrics under the labels the SFU gives the same streams', async () => {
    const { roomId, alice, bob, micConsumer, cameraConsumer } = await aliceToBob();
    const okBefore = await counter('signaling_browser_reports_total{result="ok"}');
    expect(await bob.request('reportStats', bobsSample(micConsumer, cameraConsumer))).toMatchObject({ ok: true, data: {} });
    expect(
      await alice.request('reportStats', {
        v: 1,
        inbound: {},
        outbound: { camera: { qualityLimitationReason: 'bandwidth' } },
        transports: { send: { currentRoundTripTime: 0.011, availableOutgoingBitrate: 1_800_000 } },
      }),
    ).toMatchObject({ ok: true });

    const series = await browserSeries(roomId);
    const mic = `room="${roomId}",subscriber="Bob",publisher="Alice",kind="audio",source="mic"`;
    const camera = `room="${roomId}",subscriber="Bob",publisher="Alice",kind="video",source="camera"`;
    expect(series).toEqual(
      expect.arrayContaining([
        `signaling_browser_jitter_seconds{${mic}} 0.003`,
        `signaling_browser_packets_lost{${mic}} 2`,
        `signaling_browser_packets_received{${mic}} 500`,
        `signaling_browser_concealed_samples{${mic}} 960`,
        `signaling_browser_jitter_buffer_delay_seconds{${mic}} 0.00005`,
        `signaling_browser_jitter_seconds{${camera}} 0.006`,
        `signaling_browser_frames_decoded{${camera}} 290`,
        `signaling_browser_frames_dropped{${camera}} 1`,
        `signaling_browser_freezes{${camera}} 1`,
        `signaling_browser_freeze_duration_seconds{${camera}} 0.4`,
        `signaling_browser_jitter_buffer_delay_seconds{${camera}} 0.05`,
        `signaling_browser_round_trip_time_seconds{room="${roomId}",peer="Bob",direction="recv"} 0.012`,
        `signaling_browser_round_trip_time_seconds{room="${roomId}",peer="Alice",direction="send"} 0.011`,
        `signaling_browser_available_outgoing_bitrate_bits_per_second{room="${roomId}",peer="Alice"} 1800000`,
        `signaling_browser_quality_limitation{room="${roomId}",peer="Alice",source="camera",reason="bandwidth"} 1`,
        `signaling_browser_quality_limitation{room="${roomId}",peer="Alice",source="camera",reason="none"} 0`,
      ]),
    );
    expect(await counter('signaling_browser_reports_total{result="ok"}')).toBe(okBefore + 2);
    // Bob consumed in this room: the join → first consume phase is timed.
    expect(await counter('signaling_join_phase_duration_seconds_count{phase="joined_to_first_consume"}')).toBeGreaterThan(0);
  });

  test('a malformed sample gets invalid_message naming the field, one too soon rate_limited; the socket keeps working', async () => {
    const { bob, micConsumer, cameraConsumer } = await aliceToBob();
    const invalidBefore = await counter('signaling_browser_reports_total{result="invalid"}');
    const limitedBefore = await counter('signaling_browser_reports_total{result="rate_limited"}');

    const negative = await request(bob, { ...bobsSample(micConsumer, cameraConsumer), transports: { recv: { currentRoundTripTime: -1 } } });
    expect(negative).toMatchObject({
      ok: false,
      error: { code: 'invalid_message', message: 'reportStats: transports.recv.currentRoundTripTime: must be a finite number >= 0' },
    });
    const oldVersion = await request(bob, { ...bobsSample(micConsumer, cameraConsumer), v: 0 });
    expect(oldVersion).toMatchObject({ ok: false, error: { code: 'invalid_message', message: expect.stringContaining('v must be 1') } });

    // A refused sample does not count as the last one: the first valid one is taken at once.
    expect(await bob.request('reportStats', bobsSample(micConsumer, cameraConsumer))).toMatchObject({ ok: true });
    const tooSoon = await bob.request('reportStats', bobsSample(micConsumer, cameraConsumer));
    expect(tooSoon).toMatchObject({
      ok: false,
      error: { code: 'rate_limited', message: expect.stringMatching(/^reportStats: at most one sample every 2 s; the previous one came 0\.\d s ago$/) },
    });
    expect(await bob.call('createTransport', { direction: 'recv' })).toHaveProperty('transportId');

    expect(await counter('signaling_browser_reports_total{result="invalid"}')).toBe(invalidBefore + 2);
    expect(await counter('signaling_browser_reports_total{result="rate_limited"}')).toBe(limitedBefore + 1);
    expect(await counter('signaling_errors_total{code="rate_limited"}')).toBeGreaterThan(0);
  });

  test('a closed consumer’s series go with it; every series of a peer goes when it leaves', async () => {
    const { roomId, alice, bob, micConsumer, cameraConsumer, cameraProducer } = await aliceToBob();
    await bob.call('reportStats', bobsSample(micConsumer, cameraConsumer));
    await alice.call('reportStats', { v: 1, inbound: {}, outbound: { camera: { qualityLimitationReason: 'cpu' } }, transports: { send: { currentRoundTripTime: 0.01 } } });
    expect((await browserSeries(roomId)).some((line) => line.includes('source="camera"') && line.includes('subscriber="Bob"'))).toBe(true);

    // Alice turns her camera off for good: Bob's consumer of it closes, and so do its series and her quality figure.
    const closed = bob.nextPush('consumerClosed', (data) => data.consumerId === cameraConsumer);
    await alice.call('closeProducer', { producerId: cameraProducer });
    await closed;
    let series = await browserSeries(roomId);
    expect(series.filter((line) => line.includes('source="camera"'))).toEqual([]);
    expect(series.some((line) => line.includes('source="mic"') && line.includes('subscriber="Bob"'))).toBe(true);

    await bob.call('leave', {});
    series = await browserSeries(roomId);
    expect(series.filter((line) => line.includes('"Bob"'))).toEqual([]);
    expect(series).toEqual([`signaling_browser_round_trip_time_seconds{room="${roomId}",peer="Alice",direction="send"} 0.01`]);
    await alice.close();
    await expect.poll(() => browserSeries(roomId), { timeout: 10_000 }).toEqual([]);
  });
});
