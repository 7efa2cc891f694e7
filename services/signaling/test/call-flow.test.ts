/**
 * The call flow against the real SFU (mediasoup workers over gRPC), real PostgreSQL and real
 * WebSockets: join, transports, produce/consume with real RTP parameters, mute, leave and disconnect,
 * checked from the clients (responses and pushes), from the SFU (GetRoom) and from the sessions table.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { SfuGateway } from '../src/sfu/SfuGateway.ts';
import { createTestDatabase, sessionOf, type TestDatabase } from './support/database.ts';
import { startLab, type Lab } from './support/lab.ts';
import { CLIENT_DTLS_PARAMETERS, opusRtpParameters, vp8RtpParameters } from './support/media.ts';
import { SignalingClient, waitUntil } from './support/SignalingClient.ts';

let lab: Lab;
let db: TestDatabase;
let sfu: SfuGateway;
const clients: SignalingClient[] = [];
let roomCounter = 0;

/** A room name no other test uses. */
function newRoom(): string {
  roomCounter += 1;
  return `flow-${process.pid}-${Date.now()}-${roomCounter}`;
}

async function connect(): Promise<SignalingClient> {
  const client = await SignalingClient.connect(lab.wsUrl);
  clients.push(client);
  return client;
}

async function joined(roomId: string, displayName: string) {
  const client = await connect();
  const join = await client.call('join', { roomId, displayName });
  return { client, join };
}

async function sfuRoom(roomId: string) {
  return sfu.getRoom({ roomId });
}

beforeAll(async () => {
  db = await createTestDatabase();
  lab = await startLab({ env: { DATABASE_URL: db.url, SIGNALING_LOG_LEVEL: 'debug' } });
  sfu = new SfuGateway({ address: lab.sfuAddress, deadlineMs: 5000 });
});

afterEach(async () => {
  for (const client of clients) expect(client.schemaErrors).toEqual([]);
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  sfu?.close();
  await lab?.stop();
  await db?.drop();
});

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

    const row = await sessionOf(db.pool, bob.join.peerId);
    expect(row).toMatchObject({ room_id: roomId, display_name: 'Bob', left_at: null, leave_reason: null });
    const rooms = await db.pool.query('SELECT id FROM rooms WHERE id = $1', [roomId]);
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
    const roomId = newRoom();
    const alice = await joined(roomId, 'Alice');
    const bob = await joined(roomId, 'Bob');
    const aliceSend = await alice.client.call('createTransport', { direction: 'send' });

    const bobSeesMic = bob.client.nextPush('newProducer');
    const bobSeesUnmuted = bob.client.nextPush('peerMediaChanged');
    const { producerId } = await alice.client.call('produce', {
      transportId: aliceSend.transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: opusRtpParameters(),
    });
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
    const consumer = await bob.client.call('consume', {
      transportId: bobRecv.transportId,
      producerId,
      rtpCapabilities: bob.join.routerRtpCapabilities,
    });
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
    const carolConsumer = await carol.client.call('consume', {
      transportId: carolRecv.transportId,
      producerId,
      rtpCapabilities: carol.join.routerRtpCapabilities,
    });
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
    const cameraConsumer = await bob.client.call('consume', {
      transportId: bobRecv.transportId,
      producerId: cameraId,
      rtpCapabilities: bob.join.routerRtpCapabilities,
    });
    expect(cameraConsumer.kind).toBe('video');
    const bobSeesCameraClosed = bob.client.nextPush('producerClosed', (data) => data.producerId === cameraId);
    const bobConsumerClosed = bob.client.nextPush('consumerClosed', (data) => data.consumerId === cameraConsumer.consumerId);
    await alice.client.call('closeProducer', { producerId: cameraId });
    expect(await bobSeesCameraClosed).toEqual({ peerId: alice.join.peerId, producerId: cameraId });
    expect((await bobConsumerClosed).reason).toEqual(expect.any(String));
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
    const { producerId } = await client.call('produce', {
      transportId: send.transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: opusRtpParameters(),
    });
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
    const roomId = newRoom();
    const alice = await joined(roomId, 'Alice');
    const bob = await joined(roomId, 'Bob');
    const send = await alice.client.call('createTransport', { direction: 'send' });
    await alice.client.call('produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters() });

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
      const row = await sessionOf(db.pool, peerId);
      expect(row?.left_at).toBeInstanceOf(Date);
      expect(row?.leave_reason).toBe('left');
    }
  });

  test('a socket that just closes (tab reload) is released as "disconnected"', async () => {
    const roomId = newRoom();
    const alice = await joined(roomId, 'Alice');
    const bob = await joined(roomId, 'Bob');
    const send = await alice.client.call('createTransport', { direction: 'send' });
    await alice.client.call('produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters() });

    const bobSeesAliceGo = bob.client.nextPush('peerLeft');
    alice.client.ws.terminate(); // no close frame at all, like a crashed tab
    expect(await bobSeesAliceGo).toEqual({ peerId: alice.join.peerId, reason: 'disconnected' });
    await waitUntil(async () => (await sessionOf(db.pool, alice.join.peerId))?.leave_reason === 'disconnected', 10_000, 'session ended');

    await bob.client.close();
    await waitUntil(async () => !(await sfuRoom(roomId)).exists, 10_000, 'the SFU room to close');
    await waitUntil(async () => (await sessionOf(db.pool, bob.join.peerId))?.leave_reason === 'disconnected', 10_000, 'session ended');
  });

  test('leave followed at once by close is released exactly once', async () => {
    const roomId = newRoom();
    const alice = await joined(roomId, 'Alice');
    const bob = await joined(roomId, 'Bob');
    // Both frames leave the client back to back: the close races the leave on the server.
    void alice.client.request('leave', {}).catch(() => undefined);
    alice.client.ws.close();
    await bob.client.nextPush('peerLeft');
    const row = await sessionOf(db.pool, alice.join.peerId);
    await waitUntil(async () => (await sessionOf(db.pool, alice.join.peerId))?.left_at != null, 10_000, 'session ended');
    // Let any second (buggy) release land before counting.
    await bob.client.call('createTransport', { direction: 'recv' });
    expect(bob.client.pushesOf('peerLeft')).toHaveLength(1);
    const ended = await sessionOf(db.pool, alice.join.peerId);
    expect(ended?.leave_reason).toMatch(/^(left|disconnected)$/);
    expect(row?.peer_id).toBe(alice.join.peerId);
    expect((await sfuRoom(roomId)).peers.map((peer) => peer.peerId)).toEqual([bob.join.peerId]);
  });
});
