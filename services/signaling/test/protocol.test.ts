/**
 * Protocol enforcement against the real service (real SFU, real PostgreSQL): every kind of bad input
 * gets one clear error response naming the problem, the misbehaving socket stays usable when the
 * error is not fatal, and — checked after each case — other clients keep joining, creating transports
 * and receiving peerJoined / peerLeft pushes.
 */
import { MAX_MESSAGE_BYTES, METHODS, SIGNALING_SUBPROTOCOL } from '@lab/proto/signaling';
import { describe, expect, test } from 'vitest';
import { CLIENT_DTLS_PARAMETERS, opusRtpParameters } from './support/media.ts';
import { SignalingClient, UpgradeRefusedError } from './support/SignalingClient.ts';
import { useSignalingLab } from './support/signalingLab.ts';

const { lab, connect, newRoom } = useSignalingLab({ roomPrefix: 'proto' });

/**
 * Proves the service still serves everybody else: two fresh clients join a room, one creates a
 * transport, and they see each other arrive and leave through pushes.
 */
async function expectOthersStillServed(): Promise<void> {
  const roomId = newRoom();
  const first = await connect();
  const second = await connect();
  const firstJoin = await first.call('join', { roomId, displayName: 'Witness 1' });
  const firstSeesSecond = first.nextPush('peerJoined');
  const secondJoin = await second.call('join', { roomId, displayName: 'Witness 2' });
  expect(secondJoin.peers.map((peer) => peer.peerId)).toEqual([firstJoin.peerId]);
  expect((await firstSeesSecond).peer.peerId).toBe(secondJoin.peerId);
  const transport = await second.call('createTransport', { direction: 'recv' });
  expect(transport.iceCandidates.length).toBeGreaterThan(0);
  const firstSeesLeave = first.nextPush('peerLeft');
  await second.call('leave', {});
  expect(await firstSeesLeave).toEqual({ peerId: secondJoin.peerId, reason: 'left' });
}

describe('framing', () => {
  test('malformed JSON → bad_json with id null; the socket stays usable', async () => {
    const bad = await connect();
    const error = await bad.sendRawExpectingAnonymousError('{"id": 1, "method": "join", ');
    expect(error.code).toBe('bad_json');
    expect(error.message).toMatch(/not valid JSON/);
    expect(await bad.sendRawExpectingAnonymousError('[1, 2, 3]')).toMatchObject({ code: 'bad_json', message: expect.stringMatching(/JSON object/) });
    expect(await bad.sendRawExpectingAnonymousError(Buffer.from([1, 2, 3]))).toMatchObject({ code: 'bad_json', message: expect.stringMatching(/binary/) });
    // Same socket, valid request: it still works.
    await bad.call('join', { roomId: newRoom(), displayName: 'Recovered' });
    await expectOthersStillServed();
  });

  test('unknown method → unknown_method naming it and listing the methods', async () => {
    const bad = await connect();
    const response = await bad.sendRawExpectingId(JSON.stringify({ id: 7, method: 'explode', data: {} }), 7);
    expect(response).toMatchObject({ id: 7, ok: false, error: { code: 'unknown_method' } });
    if (!response.ok) {
      expect(response.error.message).toContain('"explode"');
      for (const method of METHODS) expect(response.error.message).toContain(method);
    }
    await expectOthersStillServed();
  });

  test('bad envelopes → invalid_message (with the id when it is readable)', async () => {
    const bad = await connect();
    const noMethod = await bad.sendRawExpectingId(JSON.stringify({ id: 3, data: {} }), 3);
    expect(noMethod).toMatchObject({ id: 3, ok: false, error: { code: 'invalid_message', message: expect.stringContaining('method') } });
    const extraKey = await bad.sendRawExpectingId(JSON.stringify({ id: 4, method: 'leave', data: {}, token: 'x' }), 4);
    expect(extraKey).toMatchObject({ id: 4, ok: false, error: { code: 'invalid_message', message: expect.stringContaining('token') } });
    const badId = await bad.sendRawExpectingAnonymousError(JSON.stringify({ id: 'one', method: 'leave', data: {} }));
    expect(badId).toMatchObject({ code: 'invalid_message', message: expect.stringContaining('id') });
    await expectOthersStillServed();
  });

  test('an oversize frame closes that socket with 1009; others are unaffected', async () => {
    const bad = await connect();
    await bad.call('join', { roomId: newRoom(), displayName: 'Big talker' });
    bad.ws.send(JSON.stringify({ id: 1, method: 'join', data: { roomId: 'x'.repeat(MAX_MESSAGE_BYTES), displayName: 'x' } }));
    expect(await bad.closed).toEqual({ code: 1009, reason: `message larger than ${MAX_MESSAGE_BYTES} bytes` });
    await expectOthersStillServed();
  });

  test('a frame one byte over the limit is refused; one at the limit is read', async () => {
    const client = await connect();
    const padding = (frame: string, size: number) => frame.replace('"pad":""', `"pad":"${' '.repeat(size - frame.length)}"`);
    // Exactly MAX_MESSAGE_BYTES: parsed (and refused for its unknown field, which proves it was read).
    const atLimit = padding(JSON.stringify({ id: 9, method: 'leave', data: { pad: '' } }), MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(atLimit)).toBe(MAX_MESSAGE_BYTES);
    const response = await client.sendRawExpectingId(atLimit, 9);
    expect(response).toMatchObject({ id: 9, ok: false, error: { code: 'invalid_message', message: expect.stringContaining('pad') } });
    client.ws.send(padding(JSON.stringify({ id: 10, method: 'leave', data: { pad: '' } }), MAX_MESSAGE_BYTES + 1));
    expect((await client.closed).code).toBe(1009);
  });

  test('a huge frame (1 MiB) only costs its sender the connection', async () => {
    const bad = await connect();
    bad.ws.send('x'.repeat(1024 * 1024));
    expect([1006, 1009]).toContain((await bad.closed).code);
    await expectOthersStillServed();
  });

  test('a WebSocket without the webrtc-lab.v1 subprotocol is refused with HTTP 400 and a message', async () => {
    for (const protocols of [[], ['something-else']]) {
      const attempt = SignalingClient.connect(lab().wsUrl, protocols);
      await expect(attempt).rejects.toBeInstanceOf(UpgradeRefusedError);
      const error = (await attempt.catch((e: unknown) => e)) as UpgradeRefusedError;
      expect(error.status).toBe(400);
      expect(error.body).toContain(SIGNALING_SUBPROTOCOL);
    }
    // Offered among others, it is selected and echoed.
    const good = await connect(['other', SIGNALING_SUBPROTOCOL]);
    expect(good.ws.protocol).toBe(SIGNALING_SUBPROTOCOL);
    await expectOthersStillServed();
  });
});

describe('schema violations → invalid_message naming the field', () => {
  const cases: Array<{ what: string; method: string; data: unknown; mentions: RegExp }> = [
    { what: 'wrong type', method: 'join', data: { roomId: 42, displayName: 'A' }, mentions: /roomId/ },
    { what: 'missing field', method: 'join', data: { roomId: 'room' }, mentions: /displayName/ },
    { what: 'too-long displayName', method: 'join', data: { roomId: 'room', displayName: 'x'.repeat(65) }, mentions: /displayName must be 1\.\.64 characters/ },
    { what: 'blank displayName', method: 'join', data: { roomId: 'room', displayName: '   ' }, mentions: /displayName must be 1\.\.64 characters/ },
    { what: 'bad roomId', method: 'join', data: { roomId: '../etc', displayName: 'A' }, mentions: /roomId must be 1\.\.64 characters of A-Z/ },
    { what: 'extra field', method: 'join', data: { roomId: 'room', displayName: 'A', admin: true }, mentions: /admin/ },
    { what: 'bad enum', method: 'createTransport', data: { direction: 'sideways' }, mentions: /direction/ },
    { what: 'empty fingerprints', method: 'connectTransport', data: { transportId: 't', dtlsParameters: { fingerprints: [] } }, mentions: /fingerprints must not be empty/ },
    { what: 'data not an object', method: 'setMuted', data: 'yes', mentions: /setMuted/ },
  ];

  test.each(cases)('$what ($method)', async ({ method, data, mentions }) => {
    const bad = await connect();
    const response = await bad.sendRawExpectingId(JSON.stringify({ id: 1, method, data }), 1);
    expect(response).toMatchObject({ id: 1, ok: false, error: { code: 'invalid_message' } });
    if (!response.ok) expect(response.error.message).toMatch(mentions);
    // Nothing was joined: the same socket can still join properly.
    await bad.call('join', { roomId: newRoom(), displayName: 'Fixed' });
  });

  test('after all of them, others are still served', async () => {
    await expectOthersStillServed();
  });
});

describe('state machine', () => {
  test('join twice → invalid_state; the first join stays valid', async () => {
    const roomId = newRoom();
    const client = await connect();
    const first = await client.call('join', { roomId, displayName: 'Once' });
    const second = await client.request('join', { roomId, displayName: 'Twice' });
    expect(second).toMatchObject({ ok: false, error: { code: 'invalid_state', message: expect.stringContaining('already joined') } });
    // Still joined as the first identity: a newcomer sees exactly one peer.
    const other = await connect();
    const otherJoin = await other.call('join', { roomId, displayName: 'Newcomer' });
    expect(otherJoin.peers.map((peer) => peer.peerId)).toEqual([first.peerId]);
    await expectOthersStillServed();
  });

  test('every method before join → invalid_state "before join"', async () => {
    const client = await connect();
    const attempts = [
      client.request('createTransport', { direction: 'send' }),
      client.request('connectTransport', { transportId: 't1', dtlsParameters: CLIENT_DTLS_PARAMETERS }),
      client.request('restartIce', { transportId: 't1' }),
      client.request('produce', { transportId: 't1', kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters() }),
      client.request('closeProducer', { producerId: 'p1' }),
      client.request('setMuted', { source: 'mic', muted: true }),
      client.request('consume', { transportId: 't1', producerId: 'p1', rtpCapabilities: {} }),
      client.request('resumeConsumer', { consumerId: 'c1' }),
      client.request('leave', {}),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response).toMatchObject({ ok: false, error: { code: 'invalid_state', message: expect.stringContaining('before join') } });
    }
    await expectOthersStillServed();
  });

  test('unknown transport, producer and consumer ids → not_found naming the id', async () => {
    const roomId = newRoom();
    const client = await connect();
    const join = await client.call('join', { roomId, displayName: 'Guesser' });
    const recv = await client.call('createTransport', { direction: 'recv' });
    const checks: Array<[Promise<{ ok: boolean; error?: { code: string; message: string } }>, string]> = [
      [client.request('connectTransport', { transportId: 'no-such-transport', dtlsParameters: CLIENT_DTLS_PARAMETERS }), 'no-such-transport'],
      [client.request('restartIce', { transportId: 'no-such-transport' }), 'no-such-transport'],
      [client.request('produce', { transportId: 'no-such-transport', kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters() }), 'no-such-transport'],
      [client.request('closeProducer', { producerId: 'no-such-producer' }), 'no-such-producer'],
      [client.request('consume', { transportId: recv.transportId, producerId: 'no-such-producer', rtpCapabilities: join.routerRtpCapabilities }), 'no-such-producer'],
      [client.request('resumeConsumer', { consumerId: 'no-such-consumer' }), 'no-such-consumer'],
    ];
    for (const [pending, id] of checks) {
      const response = await pending;
      expect(response).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(response.error?.message).toContain(id);
    }
    await expectOthersStillServed();
  });

  test("another peer's transport id is not_found for me", async () => {
    const roomId = newRoom();
    const owner = await connect();
    await owner.call('join', { roomId, displayName: 'Owner' });
    const ownersTransport = await owner.call('createTransport', { direction: 'send' });
    const thief = await connect();
    await thief.call('join', { roomId, displayName: 'Thief' });
    const response = await thief.request('restartIce', { transportId: ownersTransport.transportId });
    expect(response).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining(ownersTransport.transportId) } });
  });

  test('pipelined requests are answered once each, in order', async () => {
    const client = await connect();
    const roomId = newRoom();
    const [join, send, recv, bad] = await Promise.all([
      client.request('join', { roomId, displayName: 'Eager' }),
      client.request('createTransport', { direction: 'send' }),
      client.request('createTransport', { direction: 'recv' }),
      client.request('join', { roomId, displayName: 'Eager again' }),
    ]);
    expect([join.ok, send.ok, recv.ok, bad.ok]).toEqual([true, true, true, false]);
  });
});
