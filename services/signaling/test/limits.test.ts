/**
 * "No single client can hurt the others", against the real service (real SFU, real PostgreSQL): each
 * abuse limit refuses the offending client with its documented error (or HTTP status / close code)
 * while a well-behaved client from another address, in another room, keeps joining and creating
 * transports at the same time. The lab runs with low limits so they are reached quickly; every
 * client connects from its own loopback address (127.x.y.z), since the per-address limits would
 * otherwise count every test's clients together.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { opusRtpParameters, vp8RtpParameters } from './support/media.ts';
import { SignalingClient, UpgradeRefusedError } from './support/SignalingClient.ts';
import { useSignalingLab } from './support/signalingLab.ts';

const LIMITS = {
  SIGNALING_REQUESTS_PER_SECOND: '50',
  SIGNALING_REQUEST_BURST: '250',
  SIGNALING_RATE_LIMIT_CLOSE_AFTER: '200',
  SIGNALING_MAX_CONNECTIONS_PER_ADDRESS: '3',
  SIGNALING_ROOM_CREATIONS_PER_MINUTE: '3',
  SIGNALING_MAX_TRANSPORTS_PER_PEER: '4',
  SIGNALING_MAX_PRODUCERS_PER_PEER: '1',
  SIGNALING_MAX_CONSUMERS_PER_PEER: '2',
};

const { lab, newRoom } = useSignalingLab({ roomPrefix: 'limits', env: LIMITS });

// ---- clients, each from an address of its own -------------------------------------------------

let nextHost = 1;
/** A loopback address no other client of this file used. */
function newAddress(): string {
  nextHost += 1;
  return `127.0.${Math.floor(nextHost / 250) + 1}.${(nextHost % 250) + 1}`;
}

const wsUrl = () => lab().wsUrl.replace('localhost', '127.0.0.1');
const opened: SignalingClient[] = [];

/** A client from `address`; checked for well-formed server messages and closed after the test unless `unchecked`. */
async function connectFrom(address: string, options: { unchecked?: boolean } = {}): Promise<SignalingClient> {
  const client = await SignalingClient.connect(wsUrl(), undefined, { localAddress: address });
  if (!options.unchecked) opened.push(client);
  return client;
}

afterEach(async () => {
  for (const client of opened) expect(client.schemaErrors).toEqual([]);
  await Promise.all(opened.splice(0).map((client) => client.close()));
});

/** A well-behaved client elsewhere: joins a new room from a new address, creates both transports, leaves. */
async function witnessStillServed(): Promise<void> {
  const witness = await connectFrom(newAddress());
  await witness.call('join', { roomId: newRoom(), displayName: 'Witness' });
  const send = await witness.call('createTransport', { direction: 'send' });
  expect(send.iceCandidates.length).toBeGreaterThan(0);
  await witness.call('createTransport', { direction: 'recv' });
  await witness.call('produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(31_000_000 + nextHost) });
  await witness.call('leave', {});
  await witness.close();
}

/** Runs the witness repeatedly while `offence` runs, so it is served *during* the abuse, not only after. */
async function witnessDuring<T>(offence: Promise<T>): Promise<T> {
  let done = false;
  const witnessing = (async () => {
    let rounds = 0;
    while (!done || rounds === 0) {
      await witnessStillServed();
      rounds += 1;
    }
    return rounds;
  })();
  try {
    return await offence;
  } finally {
    done = true;
    expect(await witnessing).toBeGreaterThan(0);
  }
}

async function limitRejections(limit: string): Promise<number> {
  const text = await (await fetch(`${lab().httpUrl.replace('localhost', '127.0.0.1')}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`signaling_limit_rejections_total{limit="${limit}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

function nested(open: string, close: string, depth: number, inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

// ---- the limits ----------------------------------------------------------------------------------

describe('message shape', () => {
  test('deep nesting and oversized arrays → invalid_message naming the limit, never internal; nothing logged as an error', async () => {
    const offender = await connectFrom(newAddress());
    await offender.call('join', { roomId: newRoom(), displayName: 'Nester' });
    const { transportId } = await offender.call('createTransport', { direction: 'send' });
    const depthBefore = await limitRejections('json_depth');

    const responses = await witnessDuring(
      Promise.all([
        // 30,000 levels of arrays (60 KB) and 10,000 of objects, inside otherwise plausible requests.
        offender.sendRawExpectingId(`{"id":101,"method":"join","data":{"roomId":"r","displayName":"x","extra":${nested('[', ']', 30_000)}}}`, 101),
        offender.sendRawExpectingId(
          `{"id":102,"method":"produce","data":{"transportId":"${transportId}","kind":"audio","source":"mic","rtpParameters":${nested('{"a":', '}', 10_000)}}}`,
          102,
        ),
        // What used to overflow signaling's stack when forwarded to the SFU: rtpParameters 12,000 deep.
        offender.sendRawExpectingId(
          `{"id":103,"method":"produce","data":{"transportId":"${transportId}","kind":"audio","source":"mic","rtpParameters":{"codecs":${nested('[', ']', 12_000)}}}}`,
          103,
        ),
        offender.sendRawExpectingId(
          JSON.stringify({ id: 104, method: 'consume', data: { transportId, producerId: 'p', rtpCapabilities: { codecs: new Array(1000).fill(0) } } }),
          104,
        ),
      ]),
    );
    for (const response of responses.slice(0, 3)) {
      expect(response).toMatchObject({ ok: false, error: { code: 'invalid_message', message: expect.stringContaining('deeper than 32 levels') } });
    }
    expect(responses[3]).toMatchObject({ ok: false, error: { code: 'invalid_message', message: 'message has an array of 1000 items; at most 256 are allowed' } });
    // A bare 30,000-deep array is valid JSON but no request: bad_json, as for any non-object.
    expect(await offender.sendRawExpectingAnonymousError(nested('[', ']', 30_000))).toMatchObject({ code: 'bad_json' });
    // The socket still works.
    await offender.call('produce', { transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(41_000_001) });

    expect(await limitRejections('json_depth')).toBe(depthBefore + 3);
    expect(await limitRejections('json_array_length')).toBeGreaterThanOrEqual(1);
    const log = readFileSync(lab().logFiles.signaling!, 'utf8');
    expect(log).not.toMatch(/Maximum call stack|RangeError/);
    expect(log.split('\n').filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});

describe('request rate', () => {
  test('requests beyond the socket’s rate → rate_limited with a message; the socket keeps working', async () => {
    const offender = await connectFrom(newAddress());
    await offender.call('join', { roomId: newRoom(), displayName: 'Rusher' });
    const responses = await witnessDuring(Promise.all(Array.from({ length: 320 }, () => offender.request('setMuted', { source: 'mic', muted: true }))));
    const limited = responses.filter((response) => !response.ok && response.error.code === 'rate_limited');
    const ok = responses.filter((response) => response.ok);
    // The bucket holds 250 (the join took one); a few more refill while the 320 arrive.
    expect(ok.length).toBeGreaterThanOrEqual(240);
    expect(limited.length).toBeGreaterThanOrEqual(40);
    expect(ok.length + limited.length).toBe(320);
    expect(limited[0]).toMatchObject({ error: { message: expect.stringContaining('more than 50 requests per second') } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await offender.request('setMuted', { source: 'mic', muted: false })).toMatchObject({ ok: true });
    expect(await limitRejections('requests_per_second')).toBeGreaterThanOrEqual(limited.length);
  });

  test('a socket that keeps sending far beyond the rate is closed with 1008', async () => {
    const offender = await connectFrom(newAddress(), { unchecked: true });
    await witnessDuring(
      (async () => {
        // 250 pass the bucket; 200 more refusals than the rate refills close the socket.
        for (let id = 1; id <= 1000 && offender.ws.readyState === offender.ws.OPEN; id++) {
          offender.ws.send(JSON.stringify({ id, method: 'leave', data: {} }));
          if (id % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(await offender.closed).toEqual({ code: 1008, reason: 'request rate limit exceeded repeatedly' });
      })(),
    );
    expect(await limitRejections('socket_rate_limit_close')).toBeGreaterThanOrEqual(1);
  });
});

describe('per address', () => {
  test('more concurrent connections from one address than allowed → HTTP 429 with a text body', async () => {
    const address = newAddress();
    const held = [await connectFrom(address), await connectFrom(address), await connectFrom(address)];
    const refused = await connectFrom(address).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UpgradeRefusedError);
    expect(refused).toMatchObject({ status: 429, body: `too many connections from ${address} (at most 3 at once); close some first` });
    await witnessStillServed();
    // A place freed is a place to take.
    await held[0]!.close();
    await expect
      .poll(async () => {
        const client = await connectFrom(address).catch(() => undefined);
        return client !== undefined;
      })
      .toBe(true);
    expect(await limitRejections('connections_per_address')).toBeGreaterThanOrEqual(1);
  });

  test('room creations per address per minute → rate_limited; joining an existing room still works', async () => {
    const address = newAddress();
    for (let room = 0; room < 3; room++) {
      const creator = await connectFrom(address);
      await creator.call('join', { roomId: newRoom(), displayName: `Creator ${room}` });
      await creator.close();
    }
    const fourth = await connectFrom(address);
    const refused = await fourth.request('join', { roomId: newRoom(), displayName: 'Creator 4' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited', message: expect.stringContaining('at most 3 per minute') } });
    await witnessStillServed();

    // A room someone else created is no creation: the same socket joins it.
    const roomId = newRoom();
    const host = await connectFrom(newAddress());
    await host.call('join', { roomId, displayName: 'Host' });
    await fourth.call('join', { roomId, displayName: 'Guest' });
    expect(await limitRejections('room_creations_per_address')).toBeGreaterThanOrEqual(1);
  });
});

describe('per peer', () => {
  test('transports, producers and consumers beyond the caps → limit_exceeded; nothing is created', async () => {
    const roomId = newRoom();
    const sender = await connectFrom(newAddress());
    const receiver = await connectFrom(newAddress());
    await sender.call('join', { roomId, displayName: 'Sender' });
    const { routerRtpCapabilities } = await receiver.call('join', { roomId, displayName: 'Receiver' });

    const transports = [];
    for (let index = 0; index < 4; index++) transports.push(await sender.call('createTransport', { direction: 'send' }));
    const fifth = await witnessDuring(sender.request('createTransport', { direction: 'send' }));
    expect(fifth).toMatchObject({ ok: false, error: { code: 'limit_exceeded', message: 'createTransport: this peer already has 4 transports, the most allowed (4)' } });

    const { producerId } = await sender.call('produce', { transportId: transports[0]!.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(51_000_001) });
    const second = await sender.request('produce', { transportId: transports[1]!.transportId, kind: 'video', source: 'camera', rtpParameters: vp8RtpParameters(52_000_001) });
    expect(second).toMatchObject({ ok: false, error: { code: 'limit_exceeded', message: expect.stringContaining('1 producers, the most allowed (1)') } });

    const recv = await receiver.call('createTransport', { direction: 'recv' });
    const consume = () => receiver.request('consume', { transportId: recv.transportId, producerId, rtpCapabilities: routerRtpCapabilities });
    expect(await consume()).toMatchObject({ ok: true });
    expect(await consume()).toMatchObject({ ok: true });
    expect(await witnessDuring(consume())).toMatchObject({ ok: false, error: { code: 'limit_exceeded', message: expect.stringContaining('2 consumers, the most allowed (2)') } });

    for (const limit of ['transports_per_peer', 'producers_per_peer', 'consumers_per_peer']) {
      expect(await limitRejections(limit)).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('pushes', () => {
  test('a burst of 200 setMuted toggles → a bounded number of peerMediaChanged, the last one the final state', async () => {
    const roomId = newRoom();
    const toggler = await connectFrom(newAddress());
    const listener = await connectFrom(newAddress());
    await toggler.call('join', { roomId, displayName: 'Toggler' });
    const { peerId } = await listener.call('join', { roomId, displayName: 'Listener' });
    const { transportId } = await toggler.call('createTransport', { direction: 'send' });
    await toggler.call('produce', { transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters(61_000_001) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = listener.pushesOf('peerMediaChanged').length;

    const started = performance.now();
    // In batches of 50: a socket may have at most 64 requests waiting.
    const responses = [];
    for (let batch = 0; batch < 4; batch++) {
      responses.push(
        ...(await Promise.all(Array.from({ length: 50 }, (_, index) => toggler.request('setMuted', { source: 'mic', muted: index % 2 === 0 })))),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    expect(responses.every((response) => response.ok)).toBe(true);
    const last = responses.at(-1)!;
    if (!last.ok) throw new Error('unreachable');
    expect(last.data).toEqual({ audioMuted: false, videoMuted: true });
    // The trailing announcement of the last window comes at most 100 ms after the last change.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const received = listener.pushesOf('peerMediaChanged').slice(before);
    expect(peerId).not.toBe('');
    // At most one per 100 ms window, plus the leading one: far fewer than 200.
    expect(received.length).toBeLessThanOrEqual(2 + Math.ceil(seconds * 10));
    expect(received.length).toBeLessThan(50);
    expect(received.at(-1)).toMatchObject({ audioMuted: false, videoMuted: true });
  });
});
