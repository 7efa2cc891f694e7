/**
 * CallSession's logic around its two interfaces — the signaling socket and mediasoup-client's
 * browser handler — with a scripted server on one side and mediasoup-client's own FakeHandler on
 * the other. The real thing (browsers, SFU, signaling) is covered by e2e/.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Device, FakeHandler, testFakeParameters } from 'mediasoup-client';
import { SIGNALING_SUBPROTOCOL, type PeerInfo } from '@lab/proto/signaling';
import type { SocketLike } from '../../signaling/SignalingClient.ts';
import { CallSession, type CallSessionEvents } from '../CallSession.ts';
import { sleep } from '../../lib/backoff.ts';
import type { Producer, Transport } from 'mediasoup-client/types';

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
        const code = (error as { code?: string }).code ?? 'unavailable';
        this.#deliver({ id: request.id, ok: false, error: { code, message: (error as Error).message } });
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

const RESUME_TOKEN = 'resume-token-0123456789';

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

function setup(
  options: { peers?: PeerInfo[]; handlers?: Record<string, Handler>; audioMuted?: boolean; statsIntervalMs?: number; withoutCamera?: boolean } = {},
) {
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
      resumeToken: RESUME_TOKEN,
    }),
    resume: () => ({ peerId: 'me', roomId: 'room-1', peers: options.peers ?? [] }),
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
    restartIce: () => ({ iceParameters: testFakeParameters.generateTransportRemoteParameters().iceParameters }),
    setMuted: (data) => ({ audioMuted: data.source === 'mic' && data.muted === true, videoMuted: false }),
    ...options.handlers,
  };
  const tracks: Record<'mic' | 'camera' | 'screen', StubTrack | null> = {
    mic: new StubTrack('audio'),
    camera: options.withoutCamera ? null : new StubTrack('video'),
    screen: null,
  };
  const device = new Device({ handlerFactory: FakeHandler.createFactory(testFakeParameters) });
  const session = new CallSession({
    signalingUrl: 'ws://lab.test/ws',
    localMedia: { track: (source) => tracks[source] as unknown as MediaStreamTrack | null },
    audioMuted: options.audioMuted ?? false,
    videoMuted: options.withoutCamera ?? false,
    device,
    createSocket: () => (server = new ScriptedServer(handlers)),
    // Long enough that no sample interleaves with the tests that count requests, unless a test asks.
    statsIntervalMs: options.statsIntervalMs ?? 60_000,
  });
  const events: { [K in keyof CallSessionEvents]?: CallSessionEvents[K][] } = {};
  for (const name of ['entered', 'peer', 'peerMedia', 'peerRemoved', 'trackAdded', 'trackRemoved', 'localMuted', 'error', 'ended', 'connection', 'mediaReset', 'activeSpeaker'] as const) {
    session.on(name, (...args: unknown[]) => ((events[name] ??= []) as unknown[]).push(args));
  }
  return { session, server: () => server, events, producers, tracks, device };
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
          return {
            peerId: 'me',
            roomId: 'room-1',
            routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities(),
            peers: [peerWithProducers('bob', 'Bob')],
            resumeToken: RESUME_TOKEN,
          };
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
    expect(tracks.mic!.enabled).toBe(false);
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
    expect(tracks.mic!.enabled).toBe(true);
  });

  it('joins muted when the form said so: the mic producer starts paused and the server is told', async () => {
    const { session, server, events, tracks } = setup({ audioMuted: true });
    await session.join('room-1', 'Ada');
    expect(server().requests.find((r) => r.method === 'produce' && r.data.source === 'mic')?.data.paused).toBe(true);
    expect(server().requests.find((r) => r.method === 'setMuted')?.data).toEqual({ source: 'mic', muted: true });
    expect(tracks.mic!.enabled).toBe(false);
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

  it('ends as left after leave()', async () => {
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

describe('CallSession local tracks changing mid-call', () => {
  /** The session joined, with the Producers it made (by source) as mediasoup-client returned them. */
  async function joinedWithProducers(options: Parameters<typeof setup>[0] = {}) {
    const context = setup(options);
    const producers = new Map<string, Producer>();
    const createSend = context.device.createSendTransport.bind(context.device);
    vi.spyOn(context.device, 'createSendTransport').mockImplementation((transportOptions) => {
      const transport = createSend(transportOptions);
      const produce = transport.produce.bind(transport);
      vi.spyOn(transport, 'produce').mockImplementation(async (produceOptions) => {
        const producer = await produce(produceOptions);
        producers.set(String(produceOptions?.appData?.source), producer);
        return producer;
      });
      return transport;
    });
    await context.session.join('room-1', 'Ada');
    await settle();
    return { ...context, producers };
  }
  const asTrack = (track: StubTrack | null) => track as unknown as MediaStreamTrack | null;

  it('another device: its track replaces the old one on the same producer, nothing is produced again', async () => {
    const { session, server, producers, tracks } = await joinedWithProducers();
    const camera = producers.get('camera')!;
    const before = server().requests.length;
    const replacement = new StubTrack('video');
    tracks.camera = replacement;
    await session.updateLocalTrack('camera', asTrack(replacement));

    expect(camera.track).toBe(replacement);
    expect(camera.closed).toBe(false);
    expect(server().methods().slice(before)).toEqual([]);
  });

  it('a device allowed after a refusal is produced mid-call, unmuted, and the page shows it on', async () => {
    const { session, server, events, producers, tracks } = await joinedWithProducers({ withoutCamera: true });
    expect(server().requests.filter((r) => r.method === 'produce').map((r) => r.data.source)).toEqual(['mic']);

    const camera = new StubTrack('video');
    camera.enabled = false;
    tracks.camera = camera;
    await session.updateLocalTrack('camera', asTrack(camera));
    expect(server().requests.filter((r) => r.method === 'produce').map((r) => [r.data.source, r.data.paused])).toEqual([
      ['mic', false],
      ['camera', false],
    ]);
    expect(producers.get('camera')!.paused).toBe(false);
    expect(events.localMuted?.at(-1)).toEqual([{ audioMuted: false, videoMuted: false }]);
  });

  it('a device gone with no other: its producer is closed, so the others drop it, and the page shows it off', async () => {
    const { session, server, events, producers, tracks } = await joinedWithProducers();
    const camera = producers.get('camera')!;
    tracks.camera = null;
    await session.updateLocalTrack('camera', null);
    expect(camera.closed).toBe(true);
    expect(server().requests.filter((r) => r.method === 'closeProducer').map((r) => r.data.producerId)).toEqual([camera.id]);
    expect(events.localMuted?.at(-1)).toEqual([{ audioMuted: false, videoMuted: true }]);
  });

  it('a screen share is produced as source "screen" and closed when it stops, leaving mic and camera as they were', async () => {
    const { session, server, events, producers, tracks } = await joinedWithProducers();
    const screen = new StubTrack('video');
    tracks.screen = screen;
    await session.updateLocalTrack('screen', asTrack(screen));
    expect(server().requests.filter((r) => r.method === 'produce').map((r) => [r.data.kind, r.data.source])).toEqual([
      ['audio', 'mic'],
      ['video', 'camera'],
      ['video', 'screen'],
    ]);
    const producer = producers.get('screen')!;
    tracks.screen = null;
    await session.updateLocalTrack('screen', null);
    expect(producer.closed).toBe(true);
    expect(server().requests.filter((r) => r.method === 'closeProducer').map((r) => r.data.producerId)).toEqual([producer.id]);
    expect(events.localMuted).toBeUndefined();
  });

  it('changes that arrive at once are applied one after the other (no source produced twice)', async () => {
    const { session, server, tracks } = await joinedWithProducers({ withoutCamera: true });
    const first = new StubTrack('video');
    const second = new StubTrack('video');
    tracks.camera = second;
    await Promise.all([session.updateLocalTrack('camera', asTrack(first)), session.updateLocalTrack('camera', asTrack(second))]);
    expect(server().requests.filter((r) => r.method === 'produce' && r.data.source === 'camera')).toHaveLength(1);
  });

  it('receives another peer\'s screen share as its own track, source "screen"', async () => {
    const bob = peerWithProducers('bob', 'Bob');
    bob.producers.push({ producerId: 'bob-screen', kind: 'video', source: 'screen', paused: false });
    const { session, events } = setup({ peers: [bob] });
    await session.join('room-1', 'Ada');
    await settle();
    expect(events.trackAdded?.map(([t]) => [t.source, t.kind]).sort()).toEqual([
      ['camera', 'video'],
      ['mic', 'audio'],
      ['screen', 'video'],
    ]);
  });
});

describe('CallSession stats reports', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** What Chromium's getStats() would say of each side, for mediasoup-client's FakeHandler to return. */
  function browserStats() {
    const pair = [
      ['CP', { type: 'candidate-pair', id: 'CP', currentRoundTripTime: 0.015, availableOutgoingBitrate: 2_000_000 }],
      ['T', { type: 'transport', id: 'T', selectedCandidatePairId: 'CP' }],
    ] as const;
    vi.spyOn(FakeHandler.prototype, 'getReceiverStats').mockResolvedValue(
      new Map<string, unknown>([
        ['IV', { type: 'inbound-rtp', kind: 'video', jitter: 0.005, packetsLost: 0, packetsReceived: 120, framesDecoded: 40 }],
        ['IA', { type: 'inbound-rtp', kind: 'audio', jitter: 0.001, packetsLost: 0, packetsReceived: 100, concealedSamples: 0 }],
      ]) as unknown as RTCStatsReport,
    );
    vi.spyOn(FakeHandler.prototype, 'getSenderStats').mockResolvedValue(
      new Map([['OV', { type: 'outbound-rtp', kind: 'video', qualityLimitationReason: 'bandwidth' }]]) as unknown as RTCStatsReport,
    );
    vi.spyOn(FakeHandler.prototype, 'getTransportStats').mockResolvedValue(new Map<string, unknown>(pair) as unknown as RTCStatsReport);
  }

  it('while joined, reports a sample of every consumer (by its id), the camera sender and both transports; none after leaving', async () => {
    browserStats();
    const { session, server, events } = setup({ peers: [peerWithProducers('bob', 'Bob')], statsIntervalMs: 30 });
    await session.join('room-1', 'Ada');
    await vi.waitFor(() => expect(server().methods()).toContain('reportStats'));

    const consumerOf = (source: string) => events.trackAdded!.find(([track]) => track.source === source)![0].consumerId;
    const report = server().requests.find((request) => request.method === 'reportStats')!;
    expect(report.data).toEqual({
      v: 1,
      inbound: {
        [consumerOf('camera')]: { jitter: 0.005, packetsLost: 0, packetsReceived: 120, framesDecoded: 40 },
        [consumerOf('mic')]: { jitter: 0.001, packetsLost: 0, packetsReceived: 100, concealedSamples: 0 },
      },
      outbound: { camera: { qualityLimitationReason: 'bandwidth' } },
      transports: { send: { currentRoundTripTime: 0.015, availableOutgoingBitrate: 2_000_000 }, recv: { currentRoundTripTime: 0.015 } },
    });

    await session.leave();
    const reports = server().methods().filter((method) => method === 'reportStats').length;
    await settle();
    expect(server().methods().filter((method) => method === 'reportStats')).toHaveLength(reports);
  });

  it('a report the server refuses is logged, and the call (and the reporting) goes on', async () => {
    browserStats();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { session, server, events } = setup({
      statsIntervalMs: 10,
      handlers: {
        reportStats: () => {
          throw new Error('signaling is busy');
        },
      },
    });
    await session.join('room-1', 'Ada');
    await vi.waitFor(() => expect(server().methods().filter((method) => method === 'reportStats').length).toBeGreaterThanOrEqual(2));
    expect(warn).toHaveBeenCalledWith('[stats] report failed', expect.objectContaining({ message: 'signaling is busy' }));
    expect(events.error).toBeUndefined();
    expect(events.ended).toBeUndefined();
    await session.setMuted('mic', true);
    expect(events.localMuted).toHaveLength(1);
    // Ending the call stops the reporter (no report, and no warning, after the test).
    session.disconnect();
    const sent = server().methods().filter((method) => method === 'reportStats').length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server().methods().filter((method) => method === 'reportStats')).toHaveLength(sent);
  });
});

describe('CallSession connection figures', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('every tile\'s reading comes from one shared getStats() of the receive transport, each with its own person\'s streams', async () => {
    const { session, events } = setup({ peers: [peerWithProducers('bob', 'Bob'), peerWithProducers('carol', 'Carol')] });
    await session.join('room-1', 'Ada');
    await vi.waitFor(() => expect(events.trackAdded).toHaveLength(4));
    // The transport's report: one inbound stream per received track (packets tell them apart) and the RTT.
    const streams = events.trackAdded!.map(([{ peerId, kind, track }]) => [
      `I-${track.id}`,
      { type: 'inbound-rtp', kind, trackIdentifier: track.id, timestamp: 1, packetsReceived: (peerId === 'bob' ? 100 : 200) + (kind === 'video' ? 1 : 2), bytesReceived: 1 },
    ]);
    const transportStats = vi.spyOn(FakeHandler.prototype, 'getTransportStats').mockResolvedValue(
      new Map<string, unknown>([
        ...streams,
        ['CP', { type: 'candidate-pair', id: 'CP', currentRoundTripTime: 0.02 }],
        ['T', { type: 'transport', id: 'T', selectedCandidatePairId: 'CP' }],
      ] as [string, unknown][]) as unknown as RTCStatsReport,
    );
    const receiverStats = vi.spyOn(FakeHandler.prototype, 'getReceiverStats');

    const [bob, carol] = await Promise.all([session.peerLine('bob'), session.peerLine('carol')]);
    await session.peerLine('bob');
    expect(receiverStats).not.toHaveBeenCalled();
    expect(bob).toMatchObject({ video: { packetsReceived: 101 }, audio: { packetsReceived: 102 }, roundTripSeconds: 0.02 });
    expect(carol).toMatchObject({ video: { packetsReceived: 201 }, audio: { packetsReceived: 202 }, roundTripSeconds: 0.02 });
    // Three tiles' readings within the sharing window: the browser was asked once.
    expect(transportStats).toHaveBeenCalledTimes(1);
    session.disconnect();
  });
});

describe('CallSession through faults', () => {
  it('a lost socket is reconnected and the session resumed: same peer, media untouched, "reconnecting" meanwhile', async () => {
    const { session, server, events } = setup({
      peers: [peerWithProducers('bob', 'Bob')],
      handlers: { resume: () => ({ peerId: 'me', roomId: 'room-1', peers: [peerWithProducers('bob', 'Bob')], activeSpeakerPeerId: 'bob' }) },
    });
    await session.join('room-1', 'Ada');
    await settle();
    const first = server();
    first.serverClose(1006);
    expect(events.connection).toEqual([['reconnecting']]);
    await vi.waitFor(() => expect(events.connection).toEqual([['reconnecting'], ['connected']]));
    const second = server();
    expect(second).not.toBe(first);
    expect(second.requests[0]).toMatchObject({ method: 'resume', data: { resumeToken: RESUME_TOKEN } });
    // Nothing was set up again: the transports and consumers on the SFU never stopped.
    await settle();
    expect(second.methods()).toEqual(['resume']);
    expect(events.trackRemoved).toBeUndefined();
    expect(events.ended).toBeUndefined();
    expect(session.peerId).toBe('me');
    // The speaker as the server knows it now (a push sent into the lost socket was lost).
    expect(events.activeSpeaker?.at(-1)).toEqual(['bob']);
  });

  it('when the server no longer holds the session, the page joins again and sets its media up anew', async () => {
    const { session, server, events } = setup({
      peers: [peerWithProducers('bob', 'Bob')],
      handlers: {
        resume: () => {
          throw Object.assign(new Error('no session to resume'), { code: 'not_found' });
        },
      },
    });
    await session.join('room-1', 'Ada');
    await settle();
    server().serverClose(1006);
    await vi.waitFor(() => expect(events.connection).toEqual([['reconnecting'], ['connected']]));
    await vi.waitFor(() => expect(server().methods().filter((m) => m === 'produce')).toHaveLength(2));
    const methods = server().methods();
    expect(methods.slice(0, 2)).toEqual(['resume', 'join']);
    expect(methods.filter((m) => m === 'createTransport')).toHaveLength(2);
    expect(methods.filter((m) => m === 'consume')).toHaveLength(2);
    expect(events.mediaReset).toEqual([['rejoined the room']]);
    // Bob keeps one tile: the same peer, listed again.
    expect(events.peerRemoved).toBeUndefined();
    expect(events.ended).toBeUndefined();
  });

  it('mediaReset: every transport, producer and consumer is made again, with the mute state the server confirmed', async () => {
    const { session, server, events } = setup({ peers: [peerWithProducers('bob', 'Bob')], audioMuted: true });
    await session.join('room-1', 'Ada');
    await settle();
    const before = server().requests.length;
    // The SFU lost everything; bob's producers are new ones by now.
    const bob = peerWithProducers('bob', 'Bob');
    server().push('mediaReset', { reason: 'worker died', peers: [bob] });
    await vi.waitFor(() => expect(server().methods().slice(before).filter((m) => m === 'produce')).toHaveLength(2));
    const after = server().requests.slice(before);
    expect(after.filter((r) => r.method === 'createTransport').map((r) => r.data.direction)).toEqual(['recv', 'send']);
    expect(after.filter((r) => r.method === 'consume').map((r) => r.data.producerId).sort()).toEqual(['bob-cam', 'bob-mic']);
    // Joined muted: the new mic producer starts paused and the server hears it again.
    expect(after.find((r) => r.method === 'produce' && r.data.source === 'mic')?.data.paused).toBe(true);
    expect(after.some((r) => r.method === 'setMuted' && r.data.source === 'mic' && r.data.muted === true)).toBe(true);
    expect(events.mediaReset).toEqual([['worker died']]);
    expect(events.error).toBeUndefined();
  });

  it('mediaReset while no SFU serves yet: the transport is asked for again with backoff until it works', async () => {
    let refusals = 2;
    const { session, server, events } = setup({
      handlers: {
        createTransport: () => {
          if (resetSent && refusals-- > 0) throw Object.assign(new Error('no SFU'), { code: 'unavailable' });
          const { id, iceParameters, iceCandidates, dtlsParameters } = testFakeParameters.generateTransportRemoteParameters();
          return { transportId: id, iceParameters, iceCandidates, dtlsParameters };
        },
      },
    });
    let resetSent = false;
    await session.join('room-1', 'Ada');
    await settle();
    const before = server().requests.length;
    resetSent = true;
    server().push('mediaReset', { reason: 'sfu restarted', peers: [] });
    await vi.waitFor(() => expect(server().methods().slice(before).filter((m) => m === 'produce')).toHaveLength(2), { timeout: 5_000 });
    expect(server().methods().slice(before).filter((m) => m === 'createTransport')).toHaveLength(4);
    expect(events.error).toBeUndefined();
  });
});

describe('CallSession ICE recovery', () => {
  it('a failed ICE connection is restarted again, with backoff, until it connects', { timeout: 20_000 }, async () => {
    const { session, server, events, device } = setup();
    let recv: Transport | undefined;
    const create = device.createRecvTransport.bind(device);
    vi.spyOn(device, 'createRecvTransport').mockImplementation((options) => (recv = create(options)));
    await session.join('room-1', 'Ada');
    await settle();
    const fake = recv!.handler as unknown as { setConnectionState(state: string): void };
    const restarts = () => server().requests.filter((r) => r.method === 'restartIce');

    fake.setConnectionState('failed');
    await vi.waitFor(() => expect(restarts()).toHaveLength(1));
    // The first restart does not bring the connection back: after its wait, another one follows.
    await vi.waitFor(() => expect(restarts()).toHaveLength(2), { timeout: 10_000 });
    fake.setConnectionState('connected');
    await sleep(1_500);
    expect(restarts()).toHaveLength(2);
    expect(restarts().every((r) => r.data.transportId === recv!.id)).toBe(true);
    expect(events.error).toBeUndefined();
  });
});
