/**
 * CallSession's logic around its two interfaces — the signaling socket and mediasoup-client's
 * browser handler — with a scripted server on one side and mediasoup-client's own FakeHandler on
 * the other. The real thing (browsers, SFU, signaling) is covered by e2e/.
 */
import { describe, expect, it } from 'vitest';
import { Device, FakeHandler, testFakeParameters } from 'mediasoup-client';
import { SIGNALING_SUBPROTOCOL, type PeerInfo } from '@lab/proto/signaling';
import type { SocketLike } from '../../signaling/SignalingClient.ts';
import { CallSession, type CallSessionEvents } from '../CallSession.ts';

type Request = { id: number; method: string; data: Record<string, unknown> };
type Handler = (data: Record<string, unknown>) => unknown;

/** The server side of the socket: answers each method with a scripted handler, records requests. */
class ScriptedServer implements SocketLike {
  readyState = 0;
  protocol = '';
  readonly requests: Request[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  closedWith: number | undefined;
  /** consumer id → producer id, for every consume the default handler answered. */
  readonly #consumedProducers = new Map<string, string>();
  #nextId = 1;

  constructor(readonly handlers: Record<string, Handler>) {
    queueMicrotask(() => {
      this.readyState = 1;
      this.protocol = SIGNALING_SUBPROTOCOL;
      this.onopen?.({});
    });
  }

  send(frame: string): void {
    const request = JSON.parse(frame) as Request;
    this.requests.push(request);
    const handler = this.handlers[request.method];
    // Answer asynchronously, as a network would.
    setTimeout(() => {
      try {
        const data = handler ? handler(request.data) : {};
        this.#deliver({ id: request.id, ok: true, data });
      } catch (error) {
        this.#deliver({ id: request.id, ok: false, error: { code: 'unavailable', message: (error as Error).message } });
      }
    }, 1);
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  push(event: string, data: unknown): void {
    this.#deliver({ event, data });
  }

  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  methods(): string[] {
    return this.requests.map((r) => r.method);
  }

  #deliver(message: unknown): void {
    if (this.readyState === 1) this.onmessage?.({ data: JSON.stringify(message) });
  }

  newId(prefix: string): string {
    return `${prefix}-${this.#nextId++}`;
  }

  recordConsumer(consumerId: string, producerId: string): string {
    this.#consumedProducers.set(consumerId, producerId);
    return consumerId;
  }

  consumerProducer(consumerId: string): string | undefined {
    return this.#consumedProducers.get(consumerId);
  }
}

/** Just enough of a MediaStreamTrack for mediasoup-client's Producer. */
class StubTrack extends EventTarget {
  readonly id = crypto.randomUUID();
  enabled = true;
  readyState: 'live' | 'ended' = 'live';
  constructor(readonly kind: 'audio' | 'video') {
    super();
  }
  stop(): void {
    this.readyState = 'ended';
  }
}

const peerWithProducers = (peerId: string, displayName: string): PeerInfo => ({
  peerId,
  displayName,
  audioMuted: false,
  videoMuted: false,
  producers: [
    { producerId: `${peerId}-mic`, kind: 'audio', source: 'mic', paused: false },
    { producerId: `${peerId}-cam`, kind: 'video', source: 'camera', paused: false },
  ],
});

function setup(options: { peers?: PeerInfo[]; handlers?: Record<string, Handler>; audioMuted?: boolean } = {}) {
  let server!: ScriptedServer;
  const producers = new Map<string, { peerId: string; kind: string; source: string }>();
  for (const peer of options.peers ?? []) {
    for (const p of peer.producers) producers.set(p.producerId, { peerId: peer.peerId, kind: p.kind, source: p.source });
  }
  const handlers: Record<string, Handler> = {
    join: (data) => ({
      peerId: 'me',
      roomId: data.roomId,
      routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities(),
      peers: options.peers ?? [],
    }),
    createTransport: () => {
      const { id, iceParameters, iceCandidates, dtlsParameters } = testFakeParameters.generateTransportRemoteParameters();
      return { transportId: id, iceParameters, iceCandidates, dtlsParameters };
    },
    produce: (data) => ({ producerId: server.newId(`my-${String(data.source)}`) }),
    consume: (data) => {
      const producer = producers.get(String(data.producerId));
      if (!producer) throw new Error(`no producer ${String(data.producerId)}`);
      const params = testFakeParameters.generateConsumerRemoteParameters({
        codecMimeType: producer.kind === 'audio' ? 'audio/opus' : 'video/VP8',
      });
      return {
        consumerId: server.recordConsumer(server.newId('consumer'), String(data.producerId)),
        producerId: data.producerId,
        peerId: producer.peerId,
        kind: producer.kind,
        source: producer.source,
        rtpParameters: params.rtpParameters,
        producerPaused: false,
      };
    },
    setMuted: (data) => ({ audioMuted: data.source === 'mic' && data.muted === true, videoMuted: false }),
    ...options.handlers,
  };
  const tracks = { mic: new StubTrack('audio'), camera: new StubTrack('video') };
  const session = new CallSession({
    signalingUrl: 'ws://lab.test/ws',
    localMedia: { track: (source) => tracks[source] as unknown as MediaStreamTrack },
    audioMuted: options.audioMuted ?? false,
    videoMuted: false,
    device: new Device({ handlerFactory: FakeHandler.createFactory(testFakeParameters) }),
    createSocket: () => (server = new ScriptedServer(handlers)),
  });
  const events: { [K in keyof CallSessionEvents]?: CallSessionEvents[K][] } = {};
  for (const name of ['entered', 'peer', 'peerMedia', 'peerRemoved', 'trackAdded', 'trackRemoved', 'localMuted', 'error', 'ended'] as const) {
    session.on(name, (...args: unknown[]) => ((events[name] ??= []) as unknown[]).push(args));
  }
  return { session, server: () => server, events, producers, tracks };
}

/** Lets the scripted server's (1 ms) answers and the session's follow-up requests play out. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('CallSession', () => {
  it('joins: loads the device, opens both transports, sends mic + camera, receives everyone already there', async () => {
    const { session, server, events } = setup({ peers: [peerWithProducers('bob', 'Bob')] });
    await expect(session.join('room-1', 'Ada')).resolves.toEqual({ peerId: 'me', roomId: 'room-1' });
    await settle();

    const requests = server().requests;
    expect(requests[0]).toMatchObject({ method: 'join', data: { roomId: 'room-1', displayName: 'Ada' } });
    expect(requests.filter((r) => r.method === 'createTransport').map((r) => r.data.direction).sort()).toEqual(['recv', 'send']);
    expect(requests.filter((r) => r.method === 'produce').map((r) => [r.data.kind, r.data.source, r.data.paused])).toEqual([
      ['audio', 'mic', false],
      ['video', 'camera', false],
    ]);
    const consumes = requests.filter((r) => r.method === 'consume');
    expect(consumes.map((r) => r.data.producerId).sort()).toEqual(['bob-cam', 'bob-mic']);
    // The device's capabilities go with every consume, so the SFU can pick codecs this browser has.
    expect(consumes[0]!.data.rtpCapabilities).toMatchObject({ codecs: expect.any(Array) });
    expect(server().methods().filter((m) => m === 'resumeConsumer')).toHaveLength(2);

    expect(events.peer).toEqual([[{ peerId: 'bob', displayName: 'Bob', audioMuted: false, videoMuted: false }]]);
    expect(events.trackAdded?.map(([t]) => [t.peerId, t.source, t.kind]).sort()).toEqual([
      ['bob', 'camera', 'video'],
      ['bob', 'mic', 'audio'],
    ]);
  });

  it('receives first: the receive transport is asked for before the join is answered, consumes precede the send transport', async () => {
    let sentBeforeJoinAnswer: string[] = [];
    let enteredBeforeSendTransport = false;
    const { session, server, events } = setup({
      peers: [peerWithProducers('bob', 'Bob')],
      handlers: {
        join: () => {
          sentBeforeJoinAnswer = server().methods();
          return { peerId: 'me', roomId: 'room-1', routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities(), peers: [peerWithProducers('bob', 'Bob')] };
        },
      },
    });
    session.on('entered', () => {
      enteredBeforeSendTransport = !server().requests.some((r) => r.method === 'createTransport' && r.data.direction === 'send');
    });
    await session.join('room-1', 'Ada');
    await settle();

    expect(sentBeforeJoinAnswer).toEqual(['join', 'createTransport']);
    // The page can show the room (and attach remote tracks) before our own media is set up.
    expect(events.entered).toEqual([[{ peerId: 'me', roomId: 'room-1' }]]);
    expect(enteredBeforeSendTransport).toBe(true);
    const requests = server().requests;
    expect(requests[1]).toMatchObject({ method: 'createTransport', data: { direction: 'recv' } });
    const sendTransportAt = requests.findIndex((r) => r.method === 'createTransport' && r.data.direction === 'send');
    const consumes = requests.flatMap((r, i) => (r.method === 'consume' ? [i] : []));
    expect(consumes).toHaveLength(2);
    expect(Math.max(...consumes)).toBeLessThan(sendTransportAt);
    // Video first: its consume is the first one sent.
    expect(requests[consumes[0]!]!.data.producerId).toBe('bob-cam');
  });

  it('consumes a producer once even when it is announced twice, and one that arrives later', async () => {
    const { session, server, events, producers } = setup({ peers: [peerWithProducers('bob', 'Bob')] });
    await session.join('room-1', 'Ada');
    server().push('newProducer', { peerId: 'bob', producer: { producerId: 'bob-cam', kind: 'video', source: 'camera', paused: false } });
    producers.set('carol-cam', { peerId: 'carol', kind: 'video', source: 'camera' });
    server().push('peerJoined', { peer: { ...peerWithProducers('carol', 'Carol'), producers: [] } });
    server().push('newProducer', { peerId: 'carol', producer: { producerId: 'carol-cam', kind: 'video', source: 'camera', paused: false } });
    await settle();

    const consumed = server().requests.filter((r) => r.method === 'consume').map((r) => r.data.producerId);
    expect(consumed.sort()).toEqual(['bob-cam', 'bob-mic', 'carol-cam']);
    expect(events.peer?.map(([p]) => p.peerId)).toEqual(['bob', 'carol']);
    expect(events.trackAdded?.filter(([t]) => t.peerId === 'carol').map(([t]) => t.source)).toEqual(['camera']);
  });

  it('drops a peer that left with its tracks, and ignores late news about it', async () => {
    const { session, server, events } = setup({ peers: [peerWithProducers('bob', 'Bob')] });
    await session.join('room-1', 'Ada');
    await settle();
    server().push('peerLeft', { peerId: 'bob', reason: 'disconnected' });
    server().push('newProducer', { peerId: 'bob', producer: { producerId: 'bob-screen', kind: 'video', source: 'camera', paused: false } });
    server().push('peerMediaChanged', { peerId: 'bob', audioMuted: true, videoMuted: false });
    await settle();

    expect(events.peerRemoved).toEqual([['bob', 'disconnected']]);
    expect(events.trackRemoved?.map(([t]) => t.source).sort()).toEqual(['camera', 'mic']);
    expect(server().requests.filter((r) => r.method === 'consume')).toHaveLength(2);
    expect(await session.receiveStats()).toEqual([]);
  });

  it('keeps no track of a peer that leaves while its consumers are being set up', async () => {
    let pushed = false;
    const { session, server, events } = setup({
      peers: [peerWithProducers('bob', 'Bob')],
      handlers: {
        // The receive transport connects on its first consume, after the consume responses: bob
        // leaves in that window, before mediasoup-client has finished creating his consumers.
        connectTransport: () => {
          if (!pushed) server().push('peerLeft', { peerId: 'bob', reason: 'left' });
          pushed = true;
          return {};
        },
      },
    });
    await session.join('room-1', 'Ada');
    await settle();

    expect(events.peerRemoved).toEqual([['bob', 'left']]);
    expect(events.trackAdded).toBeUndefined();
    expect(server().methods()).not.toContain('resumeConsumer');
    expect(await session.receiveStats()).toEqual([]);
    expect(events.error).toBeUndefined();
  });

  it('does not report a consume that failed because its peer left meanwhile', async () => {
    const { session, server, events }: ReturnType<typeof setup> = setup({
      peers: [peerWithProducers('bob', 'Bob')],
      handlers: {
        // The server ends bob's consumers when he leaves, so resuming them answers not_found.
        resumeConsumer: () => {
          if (!events.peerRemoved) server().push('peerLeft', { peerId: 'bob', reason: 'left' });
          throw new Error('consumer not found');
        },
      },
    });
    await session.join('room-1', 'Ada');
    await settle();

    expect(events.peerRemoved).toEqual([['bob', 'left']]);
    expect(events.error).toBeUndefined();
    expect(events.ended).toBeUndefined();
  });

  it('keeps no track of a producer that closes while its consumer is being set up, and reports nothing', async () => {
    const { session, server, events }: ReturnType<typeof setup> = setup({
      peers: [peerWithProducers('bob', 'Bob')],
      handlers: {
        // Bob turns his camera off for good while our consumers are being created; the server then
        // answers the resume of that consumer with not_found.
        connectTransport: () => {
          server().push('producerClosed', { peerId: 'bob', producerId: 'bob-cam' });
          return {};
        },
        resumeConsumer: (data) => {
          const consumerId = (data as { consumerId: string }).consumerId;
          if (server().consumerProducer(consumerId) === 'bob-cam') throw new Error('consumer not found');
          return {};
        },
      },
    });
    await session.join('room-1', 'Ada');
    await settle();

    expect(events.trackAdded?.map(([t]) => t.source)).toEqual(['mic']);
    expect(events.error).toBeUndefined();
  });

  it('removes the matching track when the server closes a producer or a consumer', async () => {
    const { session, server, events } = setup({ peers: [peerWithProducers('bob', 'Bob')] });
    await session.join('room-1', 'Ada');
    await settle();
    const camConsumer = events.trackAdded!.find(([t]) => t.source === 'camera')![0].consumerId;
    const micConsumer = events.trackAdded!.find(([t]) => t.source === 'mic')![0].consumerId;

    server().push('producerClosed', { peerId: 'bob', producerId: 'bob-cam' });
    server().push('consumerClosed', { consumerId: micConsumer, reason: 'transport closed' });
    await settle();
    expect(events.trackRemoved).toEqual([
      [{ peerId: 'bob', consumerId: camConsumer, source: 'camera' }],
      [{ peerId: 'bob', consumerId: micConsumer, source: 'mic' }],
    ]);
  });

  it('mutes by pausing the local producer and asking the server; reports its authoritative state', async () => {
    const { session, server, events, tracks } = setup();
    await session.join('room-1', 'Ada');
    await session.setMuted('mic', true);

    expect(server().requests.at(-1)).toMatchObject({ method: 'setMuted', data: { source: 'mic', muted: true } });
    // mediasoup-client disables the paused producer's track: nothing leaves this browser.
    expect(tracks.mic.enabled).toBe(false);
    expect(events.localMuted).toEqual([[{ audioMuted: true, videoMuted: false }]]);
  });

  it('undoes a local mute the server refused', async () => {
    const { session, tracks } = setup({
      handlers: {
        setMuted: () => {
          throw new Error('SFU unavailable');
        },
      },
    });
    await session.join('room-1', 'Ada');
    await expect(session.setMuted('mic', true)).rejects.toMatchObject({ code: 'unavailable', message: 'SFU unavailable' });
    expect(tracks.mic.enabled).toBe(true);
  });

  it('joins muted when the form said so: the mic producer starts paused and the server is told', async () => {
    const { session, server, events, tracks } = setup({ audioMuted: true });
    await session.join('room-1', 'Ada');
    expect(server().requests.find((r) => r.method === 'produce' && r.data.source === 'mic')?.data.paused).toBe(true);
    expect(server().requests.find((r) => r.method === 'setMuted')?.data).toEqual({ source: 'mic', muted: true });
    expect(tracks.mic.enabled).toBe(false);
    expect(events.localMuted).toEqual([[{ audioMuted: true, videoMuted: false }]]);
  });

  it('reports a failed consume and keeps the call going', async () => {
    const { session, server, events } = setup({ peers: [peerWithProducers('bob', 'Bob')] });
    await session.join('room-1', 'Ada');
    server().push('newProducer', { peerId: 'bob', producer: { producerId: 'unknown-producer', kind: 'video', source: 'camera', paused: false } });
    await settle();
    expect(events.error?.map(([e]) => e.message)).toEqual([
      expect.stringContaining('Cannot receive camera from a participant: no producer unknown-producer'),
    ]);
    expect(events.ended).toBeUndefined();
    expect(events.trackAdded).toHaveLength(2);
  });

  it('fails the join (and releases everything) when a step is refused', async () => {
    const { session, server } = setup({
      handlers: {
        createTransport: () => {
          throw new Error('no worker');
        },
      },
    });
    await expect(session.join('room-1', 'Ada')).rejects.toMatchObject({ code: 'unavailable', message: 'no worker' });
    expect(server().closedWith).toBe(1000);
  });

  it('ends as lost when the server closes the socket, and as left after leave()', async () => {
    const lost = setup();
    await lost.session.join('room-1', 'Ada');
    lost.server().serverClose(1006);
    expect(lost.events.ended).toEqual([[{ reason: 'lost', error: new Error('Lost the connection to the server (code 1006).') }]]);

    const left = setup();
    await left.session.join('room-1', 'Ada');
    await left.session.leave();
    expect(left.server().methods().at(-1)).toBe('leave');
    expect(left.server().closedWith).toBe(1000);
    expect(left.events.ended).toEqual([[{ reason: 'left', error: undefined }]]);
  });

  it('disconnect() drops the socket without a leave request, as a closing tab does', async () => {
    const { session, server, events } = setup();
    await session.join('room-1', 'Ada');
    session.disconnect();
    expect(server().methods()).not.toContain('leave');
    expect(server().closedWith).toBe(1001);
    expect(events.ended).toEqual([[{ reason: 'lost', error: undefined }]]);
  });
});
