/**
 * The call flow against the real SFU (mediasoup workers over gRPC), real PostgreSQL and real
 * WebSockets: join, transports, produce/consume with real RTP parameters, mute, leave and disconnect,
 * checked from the clients (responses and pushes), from the SFU (GetRoom) and from the sessions table.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SfuGateway } from '../src/sfu/SfuGateway.ts';
import { sessionOf } from './support/database.ts';
import { CLIENT_DTLS_PARAMETERS, opusRtpParameters, vp8RtpParameters } from './support/media.ts';
import { type SignalingClient, waitUntil } from './support/SignalingClient.ts';
import { useSignalingLab } from './support/signalingLab.ts';

/** Short, so the tests see a lost socket's session both held and, after it, released. */
const RESUME_GRACE_SECONDS = 1;
const { lab, db, connect, newRoom } = useSignalingLab({
  roomPrefix: 'flow',
  env: { SIGNALING_LOG_LEVEL: 'debug', SIGNALING_RESUME_GRACE_SECONDS: String(RESUME_GRACE_SECONDS) },
});
let sfu: SfuGateway;

beforeAll(() => {
  sfu = new SfuGateway({ address: lab().sfuAddress, deadlineMs: 5000 });
});

afterAll(() => {
  sfu?.close();
});

type Peer = Awaited<ReturnType<typeof joined>>;

/** A new client joined to `roomId` as `displayName`, with its join response. */
async function joined(roomId: string, displayName: string) {
  const client = await connect();
  const join = await client.call('join', { roomId, displayName });
  return { client, join };
}

/** Alice, then Bob, joined to a new room. */
async function aliceAndBob(): Promise<{ roomId: string; alice: Peer; bob: Peer }> {
  const roomId = newRoom();
  const alice = await joined(roomId, 'Alice');
  const bob = await joined(roomId, 'Bob');
  return { roomId, alice, bob };
}

/** Produces the Opus microphone (default SSRC) on the send transport `transportId`. */
function produceMic(client: SignalingClient, transportId: string) {
  return client.call('produce', { transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters() });
}

/** Opens a send transport for `peer` and produces its microphone on it. */
async function sendMic(peer: Peer) {
  const send = await peer.client.call('createTransport', { direction: 'send' });
  return produceMic(peer.client, send.transportId);
}

/** `peer` consumes `producerId` on its recv transport `transportId` with the RTP capabilities it joined with. */
function consumeAs(peer: Peer, transportId: string, producerId: string) {
  return peer.client.call('consume', { transportId, producerId, rtpCapabilities: peer.join.routerRtpCapabilities });
}

/** Waits (up to 10 s) until the session of `peerId` is ended with `reason`. */
function untilSessionEndedAs(peerId: string, reason: string): Promise<void> {
  return waitUntil(async () => (await sessionOf(db().pool, peerId))?.leave_reason === reason, 10_000, 'session ended');
}

async function sfuRoom(roomId: string) {
  return sfu.getRoom({ roomId });
}

describe('join', () => {
  test('the second peer sees the first in `peers`; the first gets peerJoined; both sessions are recorded', async () => {
    const roomId = newRoom();
    const alice = await joined(roomId, 'Alice');
    expect(alice.join.roomId).toBe(roomId);
    expect(alice.join.peers).toEqual([]);
    expect(alice.join.routerRtpCapabilities).toHaveProperty('codecs');

    const aliceSeesBob = alice.client.nextPush('peerJoined');
    const bob = await joined(roomId, '  Bob  ');
    expect(bob.join.peers).toEqual([
      { peerId: alice.join.peerId, displayName: 'Alice', audioMuted: true, videoMuted: true, producers: [] },
    ]);
    expect(await aliceSeesBob).toEqual({
      peer: { peerId: bob.join.peerId, displayName: 'Bob', audioMuted: true, videoMuted: true, producers: [] },
    });
    // Bob does not get a peerJoined about himself or about Alice (she is in his list already).
    expect(bob.client.pushesOf('peerJoined')).toEqual([]);

    const room = await sfuRoom(roomId);
    expect(room.exists).toBe(true);
    expect(room.peers.map((peer) => peer.peerId).sort()).toEqual([alice.join.peerId, bob.join.peerId].sort());

    const row = await sessionOf(db().pool, bob.join.peerId);
    expect(row).toMatchObject({ room_id: roomId, display_name: 'Bob', left_at: null, leave_reason: null });
    const rooms = await db().pool.query('SELECT id FROM rooms WHERE id = $1', [roomId]);
    expect(rooms.rowCount).toBe(1);
  });
});

describe('transports', () => {
  test('createTransport returns ICE and DTLS parameters; connectTransport and restartIce work on it', async () => {
    const { client } = await joined(newRoom(), 'Alice');
    const transport = await client.call('createTransport', { direction: 'send' });
    expect(transport.transportId).toEqual(expect.any(String));
    expect(transport.iceParameters.usernameFragment).not.toBe('');
    expect(transport.iceParameters.password).not.toBe('');
    expect(transport.iceCandidates.length).toBeGreaterThan(0);
    expect(transport.iceCandidates[0]).toMatchObject({ address: '127.0.0.1', protocol: expect.stringMatching(/udp|tcp/) });
    expect(transport.dtlsParameters.fingerprints.length).toBeGreaterThan(0);

    await client.call('connectTransport', { transportId: transport.transportId, dtlsParameters: CLIENT_DTLS_PARAMETERS });
    const again = await client.request('connectTransport', {
      transportId: transport.transportId,
      dtlsParameters: CLIENT_DTLS_PARAMETERS,
    });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.code).toBe('invalid_state');

    const restarted = await client.call('restartIce', { transportId: transport.transportId });
    expect(restarted.iceParameters.usernameFragment).not.toBe(transport.iceParameters.usernameFragment);
  });
});

describe('media', () => {
  test('produce → newProducer to the others; consume starts paused; resumeConsumer; setMuted pauses and broadcasts', async () => {
    const { roomId, alice, bob } = await aliceAndBob();
    const aliceSend = await alice.client.call('createTransport', { direction: 'send' });

    const bobSeesMic = bob.client.nextPush('newProducer');
    const bobSeesUnmuted = bob.client.nextPush('peerMediaChanged');
    const { producerId } = await produceMic(alice.client, aliceSend.transportId);
    expect(await bobSeesMic).toEqual({
      peerId: alice.join.peerId,
      producer: { producerId, kind: 'audio', source: 'mic', paused: false },
    });
    expect(await bobSeesUnmuted).toEqual({ peerId: alice.join.peerId, audioMuted: false, videoMuted: true });

    // One producer per source.
    const secondMic = await alice.client.request('produce', {
      transportId: aliceSend.transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: opusRtpParameters(33_333_333),
    });
    expect(secondMic).toMatchObject({ ok: false, error: { code: 'invalid_state', message: expect.stringContaining('already has a mic producer') } });

    const bobRecv = await bob.client.call('createTransport', { direction: 'recv' });
    const consumer = await consumeAs(bob, bobRecv.transportId, producerId);
    expect(consumer).toMatchObject({ producerId, peerId: alice.join.peerId, kind: 'audio', source: 'mic', producerPaused: false });
    expect(consumer.rtpParameters).toHaveProperty('codecs');
    await bob.client.call('resumeConsumer', { consumerId: consumer.consumerId });

    const room = await sfuRoom(roomId);
    expect(room.producerCount).toBe(1);
    expect(room.consumerCount).toBe(1);

    // A third peer joining now sees Alice's producer in her PeerInfo.
    const carol = await joined(roomId, 'Carol');
    expect(carol.join.peers.find((peer) => peer.peerId === alice.join.peerId)).toMatchObject({
      audioMuted: false,
      producers: [{ producerId, kind: 'audio', source: 'mic', paused: false }],
    });

    // Mute: everyone else hears about it, the producer is paused on the SFU.
    const bobSeesMute = bob.client.nextPush('peerMediaChanged', (data) => data.audioMuted);
    const carolSeesMute = carol.client.nextPush('peerMediaChanged', (data) => data.audioMuted);
    const muted = await alice.client.call('setMuted', { source: 'mic', muted: true });
    expect(muted).toEqual({ audioMuted: true, videoMuted: true });
    expect(await bobSeesMute).toEqual({ peerId: alice.join.peerId, audioMuted: true, videoMuted: true });
    await carolSeesMute;
    expect(alice.client.pushesOf('peerMediaChanged')).toEqual([]);
    const carolRecv = await carol.client.call('createTransport', { direction: 'recv' });
    const carolConsumer = await consumeAs(carol, carolRecv.transportId, producerId);
    expect(carolConsumer.producerPaused).toBe(true);

    const unmuted = await alice.client.call('setMuted', { source: 'mic', muted: false });
    expect(unmuted).toEqual({ audioMuted: false, videoMuted: true });

    // A camera too; then closing it tells the others and closes their consumers.
    const { producerId: cameraId } = await alice.client.call('produce', {
      transportId: aliceSend.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: vp8RtpParameters(),
    });
    const cameraConsumer = await consumeAs(bob, bobRecv.transportId, cameraId);
    expect(cameraConsumer.kind).toBe('video');
    const bobSeesCameraClosed = bob.client.nextPush('producerClosed', (data) => data.producerId === cameraId);
    const bobConsumerClosed = bob.client.nextPush('consumerClosed', (data) => data.consumerId === cameraConsumer.consumerId);
    await alice.client.call('closeProducer', { producerId: cameraId });
    expect(await bobSeesCameraClosed).toEqual({ peerId: alice.join.peerId, producerId: cameraId });
    expect((await bobConsumerClosed).reason).toEqual(expect.any(String));
  });

  test('a screen share is a third producer beside mic and camera: the others receive it as `screen`, it leaves videoMuted alone, it is closed, not muted', async () => {
    const { alice, bob } = await aliceAndBob();
    const aliceSend = await alice.client.call('createTransport', { direction: 'send' });
    const bobRecv = await bob.client.call('createTransport', { direction: 'recv' });
    await produceMic(alice.client, aliceSend.transportId);
    await alice.client.call('produce', { transportId: aliceSend.transportId, kind: 'video', source: 'camera', rtpParameters: vp8RtpParameters() });
    // The default per-peer cap lets a page send all three at once.
    const bobSeesScreen = bob.client.nextPush('newProducer', (data) => data.producer.source === 'screen');
    const { producerId: screenId } = await alice.client.call('produce', {
      transportId: aliceSend.transportId,
      kind: 'video',
      source: 'screen',
      rtpParameters: { ...vp8RtpParameters(33_333_333), mid: '2' },
    });
    expect(await bobSeesScreen).toEqual({ peerId: alice.join.peerId, producer: { producerId: screenId, kind: 'video', source: 'screen', paused: false } });
    const screenConsumer = await consumeAs(bob, bobRecv.transportId, screenId);
    expect(screenConsumer).toMatchObject({ peerId: alice.join.peerId, kind: 'video', source: 'screen' });

    // Turning the camera off says videoMuted although the screen still goes out.
    const cameraOff = await alice.client.call('setMuted', { source: 'camera', muted: true });
    expect(cameraOff).toEqual({ audioMuted: false, videoMuted: true });
    const muteScreen = await alice.client.request('setMuted', { source: 'screen' as 'camera', muted: true });
    expect(muteScreen).toMatchObject({ ok: false, error: { code: 'invalid_message', message: expect.stringContaining('a screen share is stopped with closeProducer') } });

    const bobSeesScreenClosed = bob.client.nextPush('producerClosed', (data) => data.producerId === screenId);
    const bobConsumerClosed = bob.client.nextPush('consumerClosed', (data) => data.consumerId === screenConsumer.consumerId);
    await alice.client.call('closeProducer', { producerId: screenId });
    expect(await bobSeesScreenClosed).toEqual({ peerId: alice.join.peerId, producerId: screenId });
    await bobConsumerClosed;
  });

  test('produce with a source that does not match the kind is refused, naming both', async () => {
    const { client } = await joined(newRoom(), 'Alice');
    const send = await client.call('createTransport', { direction: 'send' });
    const response = await client.request('produce', {
      transportId: send.transportId,
      kind: 'video',
      source: 'mic',
      rtpParameters: vp8RtpParameters(),
    });
    expect(response).toMatchObject({ ok: false, error: { code: 'invalid_message', message: expect.stringMatching(/mic.*audio.*video/) } });
  });

  test('produce on a recv transport and consume on a send transport are refused', async () => {
    const { client, join } = await joined(newRoom(), 'Alice');
    const recv = await client.call('createTransport', { direction: 'recv' });
    const send = await client.call('createTransport', { direction: 'send' });
    const produce = await client.request('produce', {
      transportId: recv.transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: opusRtpParameters(),
    });
    expect(produce).toMatchObject({ ok: false, error: { code: 'invalid_state', message: expect.stringContaining('recv transport') } });
    const { producerId } = await produceMic(client, send.transportId);
    const consume = await client.request('consume', {
      transportId: send.transportId,
      producerId,
      rtpCapabilities: join.routerRtpCapabilities,
    });
    expect(consume).toMatchObject({ ok: false, error: { code: 'invalid_state', message: expect.stringContaining('send transport') } });
  });

  test('RTP parameters the SFU rejects come back as invalid_message with its explanation', async () => {
    const { client } = await joined(newRoom(), 'Alice');
    const send = await client.call('createTransport', { direction: 'send' });
    const response = await client.request('produce', {
      transportId: send.transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: { codecs: [] },
    });
    expect(response).toMatchObject({ ok: false, error: { code: 'invalid_message', message: expect.stringContaining('codec') } });
  });
});

describe('leaving', () => {
  test('leave → peerLeft to the others, session ended as "left", and nothing left on the SFU once all left', async () => {
    const { roomId, alice, bob } = await aliceAndBob();
    await sendMic(alice);

    const bobSeesAliceLeave = bob.client.nextPush('peerLeft');
    expect(await alice.client.call('leave', {})).toEqual({});
    expect(await bobSeesAliceLeave).toEqual({ peerId: alice.join.peerId, reason: 'left' });
    const afterAlice = await sfuRoom(roomId);
    expect(afterAlice.peers.map((peer) => peer.peerId)).toEqual([bob.join.peerId]);
    expect(afterAlice.producerCount).toBe(0);

    // After leave the socket is done with the room.
    const late = await alice.client.request('createTransport', { direction: 'send' });
    expect(late).toMatchObject({ ok: false, error: { code: 'invalid_state', message: expect.stringContaining('after leave') } });
    const rejoin = await alice.client.request('join', { roomId, displayName: 'Alice' });
    expect(rejoin).toMatchObject({ ok: false, error: { code: 'invalid_state' } });

    await bob.client.call('leave', {});
    expect(await sfuRoom(roomId)).toMatchObject({ exists: false, peers: [] });

    for (const peerId of [alice.join.peerId, bob.join.peerId]) {
      const row = await sessionOf(db().pool, peerId);
      expect(row?.left_at).toBeInstanceOf(Date);
      expect(row?.leave_reason).toBe('left');
    }
  });

  test('a socket that vanishes (crashed tab, network gone) is held for the resume grace, then released as "disconnected"', async () => {
    const { roomId, alice, bob } = await aliceAndBob();
    await sendMic(alice);

    const bobSeesAliceGo = bob.client.nextPush('peerLeft');
    alice.client.ws.terminate(); // no close frame at all, like a crashed tab
    const vanishedAt = performance.now();
    expect(await bobSeesAliceGo).toEqual({ peerId: alice.join.peerId, reason: 'disconnected' });
    expect(performance.now() - vanishedAt).toBeGreaterThanOrEqual(RESUME_GRACE_SECONDS * 1000 * 0.9);
    await untilSessionEndedAs(alice.join.peerId, 'disconnected');

    await bob.client.close();
    await waitUntil(async () => !(await sfuRoom(roomId)).exists, 10_000, 'the SFU room to close');
    await untilSessionEndedAs(bob.join.peerId, 'disconnected');
  });

  test('a page whose socket closes on purpose (1001: reload, tab closed) is released at once', async () => {
    const { alice, bob } = await aliceAndBob();
    const bobSeesAliceGo = bob.client.nextPush('peerLeft');
    const closedAt = performance.now();
    alice.client.ws.close(1001);
    expect(await bobSeesAliceGo).toEqual({ peerId: alice.join.peerId, reason: 'disconnected' });
    expect(performance.now() - closedAt).toBeLessThan(RESUME_GRACE_SECONDS * 1000);
    await untilSessionEndedAs(alice.join.peerId, 'disconnected');
  });

  test('a vanished socket resumed from a new one within the grace: the same peer, the others see nothing, missed pushes follow', async () => {
    const { roomId, alice, bob } = await aliceAndBob();
    alice.client.ws.terminate();
    await sendMic(bob); // while alice is away
    const again = await connect();
    const resumed = await again.call('resume', { resumeToken: alice.join.resumeToken });
    expect(resumed.peerId).toBe(alice.join.peerId);
    expect(resumed.peers.map((peer) => peer.peerId)).toEqual([bob.join.peerId]);
    await waitUntil(async () => again.pushesOf('newProducer').length > 0, 5_000, 'the missed newProducer');
    expect(again.pushesOf('newProducer').map((push) => push.peerId)).toEqual([bob.join.peerId]);
    // Past the grace, alice is still there: her session lives on the new socket.
    await new Promise((resolve) => setTimeout(resolve, RESUME_GRACE_SECONDS * 1000 * 1.5));
    expect(bob.client.pushesOf('peerLeft')).toHaveLength(0);
    const transport = await again.call('createTransport', { direction: 'recv' });
    expect(transport.transportId).toBeTruthy();
    const room = await sfuRoom(roomId);
    expect(room.peers.find((peer) => peer.peerId === alice.join.peerId)?.transportIds).toContain(transport.transportId);
    expect((await sessionOf(db().pool, alice.join.peerId))?.left_at).toBeNull();
  });

  test('leave followed at once by close is released exactly once', async () => {
    const { roomId, alice, bob } = await aliceAndBob();
    // Both frames leave the client back to back: the close races the leave on the server.
    void alice.client.request('leave', {}).catch(() => undefined);
    alice.client.ws.close();
    await bob.client.nextPush('peerLeft');
    const row = await sessionOf(db().pool, alice.join.peerId);
    await waitUntil(async () => (await sessionOf(db().pool, alice.join.peerId))?.left_at != null, 10_000, 'session ended');
    // Let any second (buggy) release land before counting.
    await bob.client.call('createTransport', { direction: 'recv' });
    expect(bob.client.pushesOf('peerLeft')).toHaveLength(1);
    const ended = await sessionOf(db().pool, alice.join.peerId);
    expect(ended?.leave_reason).toMatch(/^(left|disconnected)$/);
    expect(row?.peer_id).toBe(alice.join.peerId);
    expect((await sfuRoom(roomId)).peers.map((peer) => peer.peerId)).toEqual([bob.join.peerId]);
  });
});
