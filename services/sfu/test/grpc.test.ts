/**
 * lab.sfu.v1.Sfu against the real SFU process (real mediasoup workers), one RPC after another, with
 * the failures lab.sfu.proto promises. No browser: producers get RTP parameters built like mediasoup's
 * own tests build them, consumers use the router's capabilities; real media is the e2e suite's job.
 */
import { readFileSync } from 'node:fs';
import { status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type {
  GetStatusResponse__Output,
  RestartIceResponse__Output,
  SfuEvent__Output,
} from '@lab/proto/sfu';
import {
  FAKE_DTLS_PARAMETERS,
  PCMU_ONLY_CAPABILITIES,
  call,
  checkHealth,
  failure,
  producerRtpParameters,
  rawUnary,
  watchEvents,
} from './sfuClient.ts';
import { eventually, newRoomId } from './sfuCalls.ts';
import { startSfu } from './sfuProcess.ts';
import { bindingRequest, sendBindingRequest } from './stun.ts';
import { useSfu } from './useSfu.ts';

const RTC_MIN_PORT = 47000;
const RTC_MAX_PORT = 47999;

const lab = useSfu({
    SFU_WORKERS: '2',
    SFU_NODE_ID: 'sfu-under-test',
    SFU_RTC_MIN_PORT: String(RTC_MIN_PORT),
    SFU_RTC_MAX_PORT: String(RTC_MAX_PORT),
  });

// ---- helpers ---------------------------------------------------------------------------------

const { join, createTransport, produce, consume, getRoom, getStatus, closePeer, twoPeerCall, forgetJoined } = lab.calls;

const routerTotal = (statusResponse: GetStatusResponse__Output) =>
  statusResponse.workers.reduce((total, worker) => total + worker.routerCount, 0);

/** True while `pid` runs (a zombie waiting to be reaped does not count). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}


// ---- tests -----------------------------------------------------------------------------------

describe('health and introspection', () => {
  it('reports SERVING for the server and for lab.sfu.v1.Sfu once the workers are up', async () => {
    expect(await checkHealth(lab.sfu.grpcAddress, '')).toBe('SERVING');
    expect(await checkHealth(lab.sfu.grpcAddress, 'lab.sfu.v1.Sfu')).toBe('SERVING');
  });

  it('GetStatus names the node and lists every worker with its load', async () => {
    const response = await getStatus();
    expect(response.nodeId).toBe('sfu-under-test');
    expect(response.workers).toHaveLength(2);
    for (const worker of response.workers) {
      expect(worker.pid).toBeGreaterThan(0);
      expect(worker.routerCount).toBe(0);
    }
    expect(response.roomCount).toBe(0);
  });

  it('GetRoom answers exists=false for a room it does not know', async () => {
    const room = await getRoom(newRoomId());
    expect(room).toMatchObject({ exists: false, routerId: '', peers: [], transportCount: 0 });
  });
});

describe('GetRouterRtpCapabilities', () => {
  it('opens the room on a worker, registers the peer, and returns the router capabilities', async () => {
    const roomId = newRoomId();
    const capabilities = await join(roomId, 'alice');
    expect(capabilities.codecs.map((codec) => codec.mimeType)).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']));

    const room = await getRoom(roomId);
    expect(room.exists).toBe(true);
    expect(room.routerId).not.toBe('');
    expect(room.peers.map((peer) => peer.peerId)).toEqual(['alice']);
    const pids = (await getStatus()).workers.map((worker) => worker.pid);
    expect(pids).toContain(room.workerPid);
  });

  it('is idempotent per peer: same router, peer registered once', async () => {
    const roomId = newRoomId();
    await join(roomId, 'alice');
    const first = await getRoom(roomId);
    await join(roomId, 'alice');
    const second = await getRoom(roomId);
    expect(second.routerId).toBe(first.routerId);
    expect(second.peers).toHaveLength(1);
  });

  it('puts a new room on the least loaded worker', async () => {
    const first = newRoomId();
    const second = newRoomId();
    await join(first, 'alice');
    await join(second, 'bob');
    const [roomA, roomB] = await Promise.all([getRoom(first), getRoom(second)]);
    expect(roomA.workerPid).not.toBe(roomB.workerPid);
  });

  it('shares one router between peers joining a new room at the same time', async () => {
    const roomId = newRoomId();
    await Promise.all(['p1', 'p2', 'p3', 'p4'].map((peerId) => join(roomId, peerId)));
    const room = await getRoom(roomId);
    expect(room.peers.map((peer) => peer.peerId).sort()).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect((await getStatus()).roomCount).toBe(1);
  });
});

describe('WebRTC transports', () => {
  it('CreateWebRtcTransport returns ICE and DTLS parameters with UDP and TCP candidates in the configured port range', async () => {
    const roomId = newRoomId();
    await join(roomId, 'alice');
    const transport = await createTransport(roomId, 'alice');

    expect(transport.transportId).not.toBe('');
    expect(transport.iceParameters?.usernameFragment).not.toBe('');
    expect(transport.iceParameters?.password).not.toBe('');
    expect(transport.iceParameters?.iceLite).toBe(true);
    expect(transport.iceCandidates.map((candidate) => candidate.protocol).sort()).toEqual(['tcp', 'udp']);
    for (const candidate of transport.iceCandidates) {
      expect(candidate.address).toBe('127.0.0.1');
      expect(candidate.port).toBeGreaterThanOrEqual(RTC_MIN_PORT);
      expect(candidate.port).toBeLessThanOrEqual(RTC_MAX_PORT);
      expect(candidate.type).toBe('host');
      expect(candidate.tcpType).toBe(candidate.protocol === 'tcp' ? 'passive' : '');
    }
    // UDP first: preferUdp gives it the higher priority.
    const udp = transport.iceCandidates.find((candidate) => candidate.protocol === 'udp')!;
    const tcp = transport.iceCandidates.find((candidate) => candidate.protocol === 'tcp')!;
    expect(udp.priority).toBeGreaterThan(tcp.priority);
    expect(transport.dtlsParameters?.fingerprints.map((fingerprint) => fingerprint.algorithm)).toContain('sha-256');

    const room = await getRoom(roomId);
    expect(room.peers[0]?.transportIds).toEqual([transport.transportId]);
    expect(room.transportCount).toBe(1);
  });

  it('ConnectWebRtcTransport accepts the DTLS parameters once, then refuses with FAILED_PRECONDITION', async () => {
    const roomId = newRoomId();
    await join(roomId, 'alice');
    const { transportId } = await createTransport(roomId, 'alice');
    const peer = { roomId, peerId: 'alice' };
    await call((o, cb) => lab.client.ConnectWebRtcTransport({ peer, transportId, dtlsParameters: FAKE_DTLS_PARAMETERS }, o, cb));
    const again = await failure(
      call((o, cb) => lab.client.ConnectWebRtcTransport({ peer, transportId, dtlsParameters: FAKE_DTLS_PARAMETERS }, o, cb)),
    );
    expect(again.code).toBe(status.FAILED_PRECONDITION);
    expect(again.details).toMatch(/already connected/);
  });

  it('ConnectWebRtcTransport names a malformed DTLS field', async () => {
    const roomId = newRoomId();
    await join(roomId, 'alice');
    const { transportId } = await createTransport(roomId, 'alice');
    const error = await failure(
      call((o, cb) =>
        lab.client.ConnectWebRtcTransport(
          { peer: { roomId, peerId: 'alice' }, transportId, dtlsParameters: { role: 'client', fingerprints: [] } },
          o,
          cb,
        ),
      ),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe('dtls_parameters.fingerprints: must contain at least one fingerprint');
  });

  it('publishes TransportStateChanged when ICE connects (a real STUN connectivity check)', async () => {
    const roomId = newRoomId();
    const watcher = await watchEvents(lab.client, [roomId]);
    try {
      await join(roomId, 'alice');
      const transport = await createTransport(roomId, 'alice');
      await call((o, cb) =>
        lab.client.ConnectWebRtcTransport(
          { peer: { roomId, peerId: 'alice' }, transportId: transport.transportId, dtlsParameters: FAKE_DTLS_PARAMETERS },
          o,
          cb,
        ),
      );
      const udp = transport.iceCandidates.find((candidate) => candidate.protocol === 'udp')!;
      const request = bindingRequest({
        serverUsernameFragment: transport.iceParameters!.usernameFragment,
        serverPassword: transport.iceParameters!.password,
      });
      expect(await sendBindingRequest(udp.address, udp.port, request)).toBe(true);

      const iceCompleted = await watcher.next((event) => event.transportStateChanged?.iceState === 'completed');
      expect(iceCompleted).toMatchObject({ roomId, peerId: 'alice', transportStateChanged: { transportId: transport.transportId } });
      // The browser is the DTLS client (role "client" above): once ICE is up the SFU waits for its hello.
      const dtlsConnecting = await watcher.next((event) => event.transportStateChanged?.dtlsState === 'connecting');
      expect(dtlsConnecting.transportStateChanged).toEqual({
        transportId: transport.transportId,
        iceState: 'completed',
        dtlsState: 'connecting',
      });
    } finally {
      watcher.cancel();
    }
  });

  it('RestartIce returns new ICE credentials', async () => {
    const roomId = newRoomId();
    await join(roomId, 'alice');
    const transport = await createTransport(roomId, 'alice');
    const restarted = await call<RestartIceResponse__Output>((o, cb) =>
      lab.client.RestartIce({ peer: { roomId, peerId: 'alice' }, transportId: transport.transportId }, o, cb),
    );
    expect(restarted.iceParameters?.usernameFragment).toMatch(/.+/);
    expect(restarted.iceParameters?.usernameFragment).not.toBe(transport.iceParameters?.usernameFragment);
    expect(restarted.iceParameters?.password).not.toBe(transport.iceParameters?.password);
  });

  it('CloseTransport closes the transport with its producers, and consumers of those producers elsewhere', async () => {
    const roomId = newRoomId();
    const watcher = await watchEvents(lab.client, [roomId]);
    try {
      const { aliceSend, producerId, consumer } = await twoPeerCall(roomId);
      await call((o, cb) => lab.client.CloseTransport({ peer: { roomId, peerId: 'alice' }, transportId: aliceSend.transportId }, o, cb));

      const producerClosed = await watcher.next((event) => event.event === 'producerClosed');
      expect(producerClosed).toMatchObject({ roomId, peerId: 'alice', producerClosed: { producerId, reason: 'transportclose' } });
      const consumerClosed = await watcher.next((event) => event.event === 'consumerClosed');
      expect(consumerClosed).toMatchObject({
        roomId,
        peerId: 'bob',
        consumerClosed: { consumerId: consumer.consumerId, producerId, reason: 'producerclose' },
      });
      const room = await eventually(() => getRoom(roomId), (value) => value.consumerCount === 0);
      expect(room).toMatchObject({ transportCount: 1, producerCount: 0, consumerCount: 0 });
    } finally {
      watcher.cancel();
    }
  });
});

describe('producers and consumers', () => {
  it('Produce and Consume: the consumer starts paused and names the producer, its owner and source', async () => {
    const roomId = newRoomId();
    const { producerId, consumer, capabilities } = await twoPeerCall(roomId);
    expect(consumer).toMatchObject({
      producerId,
      kind: 'MEDIA_KIND_AUDIO',
      type: 'simple',
      producerPaused: false,
      producerPeerId: 'alice',
      source: 'mic',
    });
    const rtpParameters = JSON.parse(consumer.rtpParametersJson) as { codecs: Array<{ mimeType: string }> };
    expect(rtpParameters.codecs[0]?.mimeType).toBe('audio/opus');

    const paused = await call<{ paused: boolean }>((o, cb) =>
      lab.client.PauseConsumer({ peer: { roomId, peerId: 'bob' }, consumerId: consumer.consumerId }, o, cb),
    );
    expect(paused.paused).toBe(true); // created paused, still paused

    const videoTransport = await createTransport(roomId, 'alice');
    const videoProducerId = await produce(roomId, 'alice', videoTransport.transportId, capabilities, 'video');
    const room = await getRoom(roomId);
    expect(room).toMatchObject({ transportCount: 3, producerCount: 2, consumerCount: 1 });
    expect(room.peers.find((peer) => peer.peerId === 'alice')?.producerIds.sort()).toEqual([producerId, videoProducerId].sort());
    expect(room.peers.find((peer) => peer.peerId === 'bob')?.consumerIds).toEqual([consumer.consumerId]);
  });

  it('ResumeConsumer and PauseConsumer switch the consumer state', async () => {
    const roomId = newRoomId();
    const { consumer } = await twoPeerCall(roomId);
    const request = { peer: { roomId, peerId: 'bob' }, consumerId: consumer.consumerId };
    const resumed = await call<{ paused: boolean; producerPaused: boolean }>((o, cb) => lab.client.ResumeConsumer(request, o, cb));
    expect(resumed).toEqual({ paused: false, producerPaused: false });
    const paused = await call<{ paused: boolean; producerPaused: boolean }>((o, cb) => lab.client.PauseConsumer(request, o, cb));
    expect(paused).toEqual({ paused: true, producerPaused: false });
  });

  it('Produce refuses malformed and unsupported rtp_parameters_json with INVALID_ARGUMENT naming the field', async () => {
    const roomId = newRoomId();
    const capabilities = await join(roomId, 'alice');
    const { transportId } = await createTransport(roomId, 'alice');
    const attempt = (rtpParametersJson: string, kind = 'MEDIA_KIND_AUDIO') =>
      failure(
        call((o, cb) =>
          lab.client.Produce(
            { peer: { roomId, peerId: 'alice' }, transportId, kind: kind as 'MEDIA_KIND_AUDIO', rtpParametersJson, source: 'mic' },
            o,
            cb,
          ),
        ),
      );

    const notJson = await attempt('{"codecs": [');
    expect(notJson.code).toBe(status.INVALID_ARGUMENT);
    expect(notJson.details).toMatch(/^rtp_parameters_json: is not valid JSON/);

    const noCodecs = await attempt(JSON.stringify({ codecs: [], encodings: [{ ssrc: 1 }] }));
    expect(noCodecs.code).toBe(status.INVALID_ARGUMENT);
    expect(noCodecs.details).toBe('rtp_parameters_json: codecs: must contain at least one codec');

    const pcma = await attempt(
      JSON.stringify({ codecs: [{ mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000 }], encodings: [{ ssrc: 2 }] }),
    );
    expect(pcma.code).toBe(status.INVALID_ARGUMENT);
    expect(pcma.details).toMatch(/^rtp_parameters_json: .*PCMA/);

    const unspecifiedKind = await attempt(JSON.stringify({ codecs: [] }), 'MEDIA_KIND_UNSPECIFIED');
    expect(unspecifiedKind.code).toBe(status.INVALID_ARGUMENT);
    expect(unspecifiedKind.details).toMatch(/^kind: must be MEDIA_KIND_AUDIO or MEDIA_KIND_VIDEO/);

    expect((await getRoom(roomId)).producerCount).toBe(0);

    // The same SSRC twice on one transport: the worker refuses the second one.
    const once = producerRtpParameters(capabilities, 'audio', 777);
    await call((o, cb) =>
      lab.client.Produce({ peer: { roomId, peerId: 'alice' }, transportId, kind: 'MEDIA_KIND_AUDIO', rtpParametersJson: once, source: 'mic' }, o, cb),
    );
    const twice = await attempt(once);
    expect(twice.code).toBe(status.INVALID_ARGUMENT);
    expect(twice.details).toMatch(/^rtp_parameters_json: .*already exists/);
    expect((await getRoom(roomId)).producerCount).toBe(1);
  });

  it('Consume with capabilities that cannot receive the producer fails with FAILED_PRECONDITION', async () => {
    const roomId = newRoomId();
    const capabilities = await join(roomId, 'alice');
    await join(roomId, 'bob');
    const aliceSend = await createTransport(roomId, 'alice');
    const bobRecv = await createTransport(roomId, 'bob', 'TRANSPORT_DIRECTION_RECV');
    const producerId = await produce(roomId, 'alice', aliceSend.transportId, capabilities);

    const error = await failure(consume(roomId, 'bob', bobRecv.transportId, producerId, PCMU_ONLY_CAPABILITIES));
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toMatch(/rtp_capabilities_json cannot receive producer/);

    const malformed = await failure(consume(roomId, 'bob', bobRecv.transportId, producerId, '"opus please"'));
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    expect(malformed.details).toMatch(/^rtp_capabilities_json: /);
    expect((await getRoom(roomId)).consumerCount).toBe(0);
  });

  it('CloseConsumer removes the consumer; CloseProducer removes the producer', async () => {
    const roomId = newRoomId();
    const { consumer, producerId } = await twoPeerCall(roomId);
    await call((o, cb) => lab.client.CloseConsumer({ peer: { roomId, peerId: 'bob' }, consumerId: consumer.consumerId }, o, cb));
    expect((await getRoom(roomId)).consumerCount).toBe(0);
    await call((o, cb) => lab.client.CloseProducer({ peer: { roomId, peerId: 'alice' }, producerId }, o, cb));
    expect((await getRoom(roomId)).producerCount).toBe(0);
    const again = await failure(
      call((o, cb) => lab.client.CloseConsumer({ peer: { roomId, peerId: 'bob' }, consumerId: consumer.consumerId }, o, cb)),
    );
    expect(again.code).toBe(status.NOT_FOUND);
  });
});

describe('WatchEvents', () => {
  it('tells the consumer owner when the producer is paused and resumed (and only events of watched rooms)', async () => {
    const roomId = newRoomId();
    const otherRoomId = newRoomId();
    const watcher = await watchEvents(lab.client, [roomId]);
    try {
      const other = await twoPeerCall(otherRoomId);
      const { producerId, consumer } = await twoPeerCall(roomId);
      await call((o, cb) => lab.client.PauseProducer({ peer: { roomId: otherRoomId, peerId: 'alice' }, producerId: other.producerId }, o, cb));

      const paused = await call<{ paused: boolean }>((o, cb) =>
        lab.client.PauseProducer({ peer: { roomId, peerId: 'alice' }, producerId }, o, cb),
      );
      expect(paused.paused).toBe(true);
      const pausedEvent = await watcher.next((event) => event.event === 'consumerProducerPaused');
      expect(pausedEvent).toMatchObject({
        roomId,
        peerId: 'bob',
        consumerProducerPaused: { consumerId: consumer.consumerId, producerId },
      });
      expect(Number(pausedEvent.timestampMs)).toBeGreaterThan(Date.now() - 60_000);

      const state = await call<{ paused: boolean; producerPaused: boolean }>((o, cb) =>
        lab.client.ResumeConsumer({ peer: { roomId, peerId: 'bob' }, consumerId: consumer.consumerId }, o, cb),
      );
      expect(state).toEqual({ paused: false, producerPaused: true });

      const resumed = await call<{ paused: boolean }>((o, cb) =>
        lab.client.ResumeProducer({ peer: { roomId, peerId: 'alice' }, producerId }, o, cb),
      );
      expect(resumed.paused).toBe(false);
      const resumedEvent = await watcher.next((event) => event.event === 'consumerProducerResumed');
      expect(resumedEvent).toMatchObject({
        roomId,
        peerId: 'bob',
        consumerProducerResumed: { consumerId: consumer.consumerId, producerId },
      });
      // The other room's pause happened first; a stream keeps order, so it would be here by now.
      expect(watcher.events.filter((event: SfuEvent__Output) => event.roomId !== roomId)).toEqual([]);
    } finally {
      watcher.cancel();
    }
  });

  it('sends ConsumerClosed (producerclose) to the consumer owner when the producer closes', async () => {
    const roomId = newRoomId();
    const watcher = await watchEvents(lab.client, []);
    try {
      const { producerId, consumer } = await twoPeerCall(roomId);
      await call((o, cb) => lab.client.CloseProducer({ peer: { roomId, peerId: 'alice' }, producerId }, o, cb));
      const closed = await watcher.next((event) => event.roomId === roomId && event.event === 'consumerClosed');
      expect(closed).toMatchObject({
        peerId: 'bob',
        consumerClosed: { consumerId: consumer.consumerId, producerId, reason: 'producerclose' },
      });
      const room = await eventually(() => getRoom(roomId), (value) => value.consumerCount === 0);
      expect(room.consumerCount).toBe(0);
      // CloseProducer was asked for: no ProducerClosed event for it.
      expect(watcher.events.some((event) => event.event === 'producerClosed')).toBe(false);
    } finally {
      watcher.cancel();
    }
  });

  it('refuses malformed room ids with INVALID_ARGUMENT', async () => {
    const stream = lab.client.WatchEvents({ roomIds: ['ok', ''] });
    stream.on('data', () => {});
    stream.on('error', () => {});
    const final = await new Promise<{ code: number; details: string }>((resolve) => stream.once('status', resolve));
    expect(final.code).toBe(status.INVALID_ARGUMENT);
    expect(final.details).toBe('room_ids[1]: must be 1..128 characters');
  });
});

describe('ClosePeer', () => {
  it('is idempotent, and the last peer leaving closes the room and its router', async () => {
    const before = routerTotal(await getStatus());
    const roomId = newRoomId();
    const watcher = await watchEvents(lab.client, [roomId]);
    try {
      await twoPeerCall(roomId);
      expect(routerTotal(await getStatus())).toBe(before + 1);

      expect(await closePeer(roomId, 'alice')).toEqual({ closed: true, roomClosed: false });
      expect(await closePeer(roomId, 'alice')).toEqual({ closed: false, roomClosed: false });
      const room = await getRoom(roomId);
      expect(room.peers.map((peer) => peer.peerId)).toEqual(['bob']);
      // alice's producer went with her: bob's consumer of it is gone too.
      expect((await eventually(() => getRoom(roomId), (value) => value.consumerCount === 0)).consumerCount).toBe(0);

      expect(await closePeer(roomId, 'bob')).toEqual({ closed: true, roomClosed: true });
      expect((await getRoom(roomId)).exists).toBe(false);
      expect(routerTotal(await getStatus())).toBe(before);
      const closed = await watcher.next((event) => event.event === 'roomClosed');
      expect(closed).toMatchObject({ roomId, peerId: '', roomClosed: { reason: 'last peer left' } });

      expect(await closePeer(roomId, 'bob')).toEqual({ closed: false, roomClosed: false });
      expect(await closePeer(newRoomId(), 'nobody')).toEqual({ closed: false, roomClosed: false });
    } finally {
      watcher.cancel();
    }
  });

  it('leaves nothing behind: GetStatus counts go back to zero', async () => {
    const status = await getStatus();
    expect(status.roomCount).toBe(0);
    for (const worker of status.workers) {
      expect(worker).toMatchObject({ routerCount: 0, transportCount: 0, producerCount: 0, consumerCount: 0 });
    }
  });
});

describe('refusals', () => {
  it('INVALID_ARGUMENT names the wrong field, and the SFU keeps serving', async () => {
    const noPeer = await failure(call((o, cb) => lab.client.GetRouterRtpCapabilities({}, o, cb)));
    expect(noPeer.code).toBe(status.INVALID_ARGUMENT);
    expect(noPeer.details).toBe('peer: is required');

    const emptyRoom = await failure(
      call((o, cb) => lab.client.CreateWebRtcTransport({ peer: { roomId: '', peerId: 'alice' } }, o, cb)),
    );
    expect(emptyRoom.code).toBe(status.INVALID_ARGUMENT);
    expect(emptyRoom.details).toBe('peer.room_id: must be 1..128 characters');

    const noTransport = await failure(call((o, cb) => lab.client.RestartIce({ peer: { roomId: 'r', peerId: 'p' } }, o, cb)));
    expect(noTransport.code).toBe(status.INVALID_ARGUMENT);
    expect(noTransport.details).toMatch(/^transport_id: is required/);

    const noRoomId = await failure(call((o, cb) => lab.client.GetRoom({ roomId: '' }, o, cb)));
    expect(noRoomId.code).toBe(status.INVALID_ARGUMENT);
    expect(noRoomId.details).toBe('room_id: must be 1..128 characters');

    // Every RPC that acts on one object names the missing id; ClosePeer the missing peer.
    const peer = { roomId: 'r', peerId: 'p' };
    const missing: [string, Promise<ServiceError>, RegExp][] = [
      ['CloseTransport', failure(call((o, cb) => lab.client.CloseTransport({ peer }, o, cb))), /^transport_id: is required/],
      ['CloseProducer', failure(call((o, cb) => lab.client.CloseProducer({ peer }, o, cb))), /^producer_id: is required/],
      ['PauseProducer', failure(call((o, cb) => lab.client.PauseProducer({ peer }, o, cb))), /^producer_id: is required/],
      ['ResumeProducer', failure(call((o, cb) => lab.client.ResumeProducer({ peer }, o, cb))), /^producer_id: is required/],
      ['PauseConsumer', failure(call((o, cb) => lab.client.PauseConsumer({ peer }, o, cb))), /^consumer_id: is required/],
      ['ResumeConsumer', failure(call((o, cb) => lab.client.ResumeConsumer({ peer }, o, cb))), /^consumer_id: is required/],
      ['CloseConsumer', failure(call((o, cb) => lab.client.CloseConsumer({ peer }, o, cb))), /^consumer_id: is required/],
      ['ClosePeer', failure(call((o, cb) => lab.client.ClosePeer({}, o, cb))), /^peer: is required/],
    ];
    for (const [method, refused, details] of missing) {
      const error = await refused;
      expect(error.code, method).toBe(status.INVALID_ARGUMENT);
      expect(error.details, method).toMatch(details);
    }

    expect((await getStatus()).workers).toHaveLength(2);
  });

  it('NOT_FOUND for unknown rooms, peers and ids', async () => {
    const roomId = newRoomId();
    const unknownRoom = await failure(createTransport(roomId, 'alice'));
    expect(unknownRoom.code).toBe(status.NOT_FOUND);
    expect(unknownRoom.details).toMatch(/room .* not found/);

    await join(roomId, 'alice');
    const unknownPeer = await failure(createTransport(roomId, 'mallory'));
    expect(unknownPeer.code).toBe(status.NOT_FOUND);
    expect(unknownPeer.details).toMatch(/peer mallory not found/);

    const peer = { roomId, peerId: 'alice' };
    const cases = await Promise.all([
      failure(call((o, cb) => lab.client.RestartIce({ peer, transportId: 'nope' }, o, cb))),
      failure(call((o, cb) => lab.client.CloseTransport({ peer, transportId: 'nope' }, o, cb))),
      failure(call((o, cb) => lab.client.ConnectWebRtcTransport({ peer, transportId: 'nope', dtlsParameters: FAKE_DTLS_PARAMETERS }, o, cb))),
      failure(call((o, cb) => lab.client.CloseProducer({ peer, producerId: 'nope' }, o, cb))),
      failure(call((o, cb) => lab.client.PauseProducer({ peer, producerId: 'nope' }, o, cb))),
      failure(call((o, cb) => lab.client.ResumeProducer({ peer, producerId: 'nope' }, o, cb))),
      failure(call((o, cb) => lab.client.ResumeConsumer({ peer, consumerId: 'nope' }, o, cb))),
      failure(call((o, cb) => lab.client.PauseConsumer({ peer, consumerId: 'nope' }, o, cb))),
      failure(call((o, cb) => lab.client.CloseConsumer({ peer, consumerId: 'nope' }, o, cb))),
    ]);
    for (const error of cases) {
      expect(error.code).toBe(status.NOT_FOUND);
      expect(error.details).toMatch(/nope not found/);
    }
  });

  it("NOT_FOUND for another peer's transport, producer and consumer", async () => {
    const roomId = newRoomId();
    const { aliceSend, bobRecv, producerId, consumer, capabilities } = await twoPeerCall(roomId);
    const asMallory = { roomId, peerId: 'mallory' };
    await join(roomId, 'mallory');
    const asBob = { roomId, peerId: 'bob' };

    const connect = await failure(
      call((o, cb) => lab.client.ConnectWebRtcTransport({ peer: asBob, transportId: aliceSend.transportId, dtlsParameters: FAKE_DTLS_PARAMETERS }, o, cb)),
    );
    expect(connect.code).toBe(status.NOT_FOUND);
    const produceOnAlices = await failure(
      call((o, cb) =>
        lab.client.Produce(
          {
            peer: asBob,
            transportId: aliceSend.transportId,
            kind: 'MEDIA_KIND_AUDIO',
            rtpParametersJson: producerRtpParameters(capabilities, 'audio', 4242),
            source: 'mic',
          },
          o,
          cb,
        ),
      ),
    );
    expect(produceOnAlices.code).toBe(status.NOT_FOUND);
    const consumeOnBobs = await failure(
      consume(roomId, 'mallory', bobRecv.transportId, producerId, JSON.stringify(capabilities)),
    );
    expect(consumeOnBobs.code).toBe(status.NOT_FOUND);
    const pauseAlices = await failure(call((o, cb) => lab.client.PauseProducer({ peer: asMallory, producerId }, o, cb)));
    expect(pauseAlices.code).toBe(status.NOT_FOUND);
    const closeBobs = await failure(call((o, cb) => lab.client.CloseConsumer({ peer: asMallory, consumerId: consumer.consumerId }, o, cb)));
    expect(closeBobs.code).toBe(status.NOT_FOUND);

    const unknownProducer = await failure(consume(roomId, 'bob', bobRecv.transportId, 'nope', JSON.stringify(capabilities)));
    expect(unknownProducer.code).toBe(status.NOT_FOUND);

    // Nothing changed hands.
    const room = await getRoom(roomId);
    expect(room).toMatchObject({ producerCount: 1, consumerCount: 1 });
  });
});

describe('deadlines', () => {
  it('a request whose deadline passed on arrival gets DEADLINE_EXCEEDED and creates nothing', async () => {
    const roomId = newRoomId();
    const response = await rawUnary(
      lab.sfu.grpcAddress,
      'GetRouterRtpCapabilities',
      { peer: { roomId, peerId: 'late' } },
      '1n', // 1 ns: gone by the time the request is read
    );
    expect(response.code).toBe(status.DEADLINE_EXCEEDED);
    // Give a late handler time to (wrongly) open the room before looking.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await getRoom(roomId)).exists).toBe(false);
    expect((await getStatus()).roomCount).toBe(0);
  });

  it('closes a transport whose caller gave up while the worker was creating it', async () => {
    const roomId = newRoomId();
    await join(roomId, 'alice');
    const { workerPid } = await getRoom(roomId);
    // Freeze the room's worker (a child of the SFU this suite started) so the creation outlives the
    // caller's deadline, then let it finish: the SFU must close what arrives too late.
    process.kill(workerPid, 'SIGSTOP');
    try {
      const error = await failure(
        call((o, cb) => lab.client.CreateWebRtcTransport({ peer: { roomId, peerId: 'alice' } }, o, cb), Date.now() + 300),
      );
      expect(error.code).toBe(status.DEADLINE_EXCEEDED);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the SFU-side deadline has passed too
    } finally {
      process.kill(workerPid, 'SIGCONT');
    }
    // The worker answers requests in order: once a later transport exists, the late one has been
    // created too — and must have been closed at once.
    const later = await createTransport(roomId, 'alice');
    const room = await getRoom(roomId);
    expect(room.peers[0]?.transportIds).toEqual([later.transportId]);
    const [load] = (await getStatus()).workers.filter((worker) => worker.pid === workerPid);
    expect(load?.transportCount).toBe(1);
  });

  it('closes a room whose only joiner gave up while its router was being created', async () => {
    const roomId = newRoomId();
    const pids = (await getStatus()).workers.map((worker) => worker.pid);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      const error = await failure(
        call((o, cb) => lab.client.GetRouterRtpCapabilities({ peer: { roomId, peerId: 'alice' } }, o, cb), Date.now() + 300),
      );
      expect(error.code).toBe(status.DEADLINE_EXCEEDED);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    // The router arrives once the workers run again; the SFU closes the room nobody joined.
    await lab.sfu.waitForLog((line) => line.msg === 'room closed' && line.roomId === roomId);
    expect(lab.sfu.logs.find((line) => line.msg === 'room closed' && line.roomId === roomId)?.reason).toBe('abandoned');
    expect((await getRoom(roomId)).exists).toBe(false);
    const statusAfter = await getStatus();
    expect(statusAfter.roomCount).toBe(0);
    expect(routerTotal(statusAfter)).toBe(0);
  });
});

describe('metrics', () => {
  it('GET /metrics exposes the load gauges with current values and the gRPC request metrics', async () => {
    const roomId = newRoomId();
    await twoPeerCall(roomId);
    const response = await fetch(lab.sfu.metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^sfu_workers 2$/m);
    expect(text).toMatch(/^sfu_rooms 1$/m);
    expect(text).toMatch(/^sfu_transports 2$/m);
    expect(text).toMatch(/^sfu_producers\{kind="audio"\} 1$/m);
    expect(text).toMatch(/^sfu_producers\{kind="video"\} 0$/m);
    expect(text).toMatch(/^sfu_consumers\{kind="audio"\} 1$/m);
    expect(text).toMatch(/^sfu_grpc_requests_total\{method="Produce",code="OK"\} \d+$/m);
    expect(text).toMatch(/^sfu_grpc_requests_total\{method="CreateWebRtcTransport",code="NOT_FOUND"\} \d+$/m);
    expect(text).toMatch(/^sfu_grpc_request_duration_seconds_bucket\{le="0.005",method="Consume",code="OK"\} \d+$/m);
    expect(text).toMatch(/^sfu_worker_deaths_total 0$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);

    expect((await fetch(lab.sfu.metricsUrl.replace('/metrics', '/nope'))).status).toBe(404);
  });
});

describe('worker failure', () => {
  it('a dead worker closes its rooms (RoomClosed "worker died") and is replaced', async () => {
    const roomId = newRoomId();
    const watcher = await watchEvents(lab.client, [roomId]);
    try {
      await join(roomId, 'alice');
      const { workerPid } = await getRoom(roomId);
      // The worker is a child of the SFU this suite started.
      process.kill(workerPid, 'SIGKILL');

      const closed = await watcher.next((event) => event.event === 'roomClosed');
      expect(closed).toMatchObject({ roomId, roomClosed: { reason: 'worker died' } });
      expect((await getRoom(roomId)).exists).toBe(false);

      const replaced = await eventually(getStatus, (value) => value.workers.length === 2);
      expect(replaced.workers.map((worker) => worker.pid)).not.toContain(workerPid);
      expect(replaced.workers).toHaveLength(2);
      expect(await checkHealth(lab.sfu.grpcAddress, 'lab.sfu.v1.Sfu')).toBe('SERVING');

      // The room can be opened again.
      await join(roomId, 'alice');
      expect((await getRoom(roomId)).exists).toBe(true);
      const metrics = await (await fetch(lab.sfu.metricsUrl)).text();
      expect(metrics).toMatch(/^sfu_worker_deaths_total 1$/m);
    } finally {
      watcher.cancel();
    }
  });
});

describe('shutdown', () => {
  it('on SIGTERM ends event streams with UNAVAILABLE, closes the workers and exits 0', async () => {
    const roomId = newRoomId();
    await join(roomId, 'alice');
    const watcher = await watchEvents(lab.client, []);
    const { workers } = await getStatus();
    forgetJoined(); // the SFU goes away: nothing to clean up

    expect(await lab.sfu.stop()).toBe(0);
    const final = await watcher.status;
    expect(final.code).toBe(status.UNAVAILABLE);
    expect(lab.sfu.logs.some((line) => line.msg === 'stopped')).toBe(true);
    for (const { pid } of workers) expect(isRunning(pid)).toBe(false);
  });
});

describe('startup', () => {
  it('fails fast with a readable message when MEDIASOUP_WORKER_BIN is missing', async () => {
    const error = await startSfu({ MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' }).then(
      () => undefined,
      (reason: Error) => reason,
    );
    expect(error?.message).toMatch(/exited \(1\)/);
    expect(error?.message).toMatch(/MEDIASOUP_WORKER_BIN: \/nonexistent\/mediasoup-worker is not an executable file/);
  });
});
