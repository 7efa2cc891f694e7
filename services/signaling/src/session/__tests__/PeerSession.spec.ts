/**
 * PeerSession's logic around its interfaces, with a scriptable stand-in SFU (to hold a call open or
 * fail it at will), the real in-memory room state and bus, and a recording session log. The
 * integration suites cover the same flows against the real SFU and PostgreSQL; these cover the
 * races that real servers rarely produce on demand.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { SfuEvent__Output } from '@lab/proto/sfu';
import type { Push, ResponseEnvelope } from '@lab/proto/signaling';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { SfuCallError } from '../../errors.ts';
import { PendingSessionEnds } from '../../db/PendingSessionEnds.ts';
import type { LeaveReason, SessionStart } from '../../db/SessionRepository.ts';
import { LocalPeerRegistry } from '../../LocalPeerRegistry.ts';
import { PrometheusSignalingMetrics, noopMetrics } from '../../metrics.ts';
import { PeerSession, type PeerSessionDeps } from '../PeerSession.ts';
import { ResumableSessions } from '../ResumableSessions.ts';
import { DEFAULT_LIMITS } from '../../config.ts';
import type { SfuDirectory } from '../../sfu/SfuDirectory.ts';
import type { SfuApi, SfuGateway } from '../../sfu/SfuGateway.ts';
import { InMemoryRoomStateStore } from '../../state/InMemoryRoomStateStore.ts';
import { InProcessRoomBus } from '../../state/InProcessRoomBus.ts';

const ROUTER_CAPS = { codecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }], headerExtensions: [] };

/** A controllable promise: the test decides when an SFU call returns. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function fakeSfu() {
  let ids = 0;
  const id = (prefix: string) => `${prefix}-${++ids}`;
  const api = {
    address: 'fake',
    getRouterRtpCapabilities: vi.fn(async () => ({ rtpCapabilitiesJson: JSON.stringify(ROUTER_CAPS) })),
    createWebRtcTransport: vi.fn(async () => ({
      transportId: id('transport'),
      iceParameters: { usernameFragment: 'u', password: 'p', iceLite: true },
      iceCandidates: [{ foundation: 'f', priority: 1, address: '127.0.0.1', protocol: 'udp', port: 40000, type: 'host', tcpType: '' }],
      dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] },
    })),
    connectWebRtcTransport: vi.fn(async () => ({})),
    restartIce: vi.fn(async () => ({ iceParameters: { usernameFragment: 'u2', password: 'p2', iceLite: true } })),
    closeTransport: vi.fn(async () => ({})),
    produce: vi.fn(async () => ({ producerId: id('producer') })),
    closeProducer: vi.fn(async () => ({})),
    pauseProducer: vi.fn(async () => ({ paused: true })),
    resumeProducer: vi.fn(async () => ({ paused: false })),
    consume: vi.fn(),
    resumeConsumer: vi.fn(async () => ({ paused: false, producerPaused: false })),
    pauseConsumer: vi.fn(async () => ({ paused: true, producerPaused: false })),
    closeConsumer: vi.fn(async () => ({})),
    closePeer: vi.fn(async () => ({ closed: true, roomClosed: false })),
    getRoom: vi.fn(),
    getStatus: vi.fn(),
  };
  return api;
}

function recordingSessions() {
  const started: SessionStart[] = [];
  const ended: Array<{ sessionId: string; reason: LeaveReason }> = [];
  return {
    started,
    ended,
    ensureRoom: vi.fn(async () => undefined),
    sessionStarted: vi.fn(async (session: SessionStart) => {
      started.push(session);
    }),
    sessionEnded: vi.fn(async (sessionId: string, reason: LeaveReason) => {
      if (ended.some((entry) => entry.sessionId === sessionId)) return false;
      ended.push({ sessionId, reason });
      return true;
    }),
  };
}

let sfu: ReturnType<typeof fakeSfu>;
let sessions: ReturnType<typeof recordingSessions>;
let deps: PeerSessionDeps;

/** A session plus everything its socket received, and helpers to talk to it. */
function openSocket() {
  const sent: Array<ResponseEnvelope | Push> = [];
  const session = new PeerSession(deps, { send: (message) => sent.push(structuredClone(message)), closeForPolicyViolation: () => {} });
  let nextId = 1;
  const responses = () => sent.filter((message): message is ResponseEnvelope => 'ok' in message);
  const request = async (method: string, data: unknown = {}) => {
    const id = nextId++;
    session.onMessage(JSON.stringify({ id, method, data }));
    await vi.waitFor(() => expect(responses().some((response) => response.id === id)).toBe(true));
    return responses().find((response) => response.id === id)!;
  };
  const pushes = () => sent.filter((message): message is Push => 'event' in message);
  return { session, sent, request, pushes, responses };
}

async function joinedSocket(roomId: string, displayName: string) {
  const socket = openSocket();
  const response = await socket.request('join', { roomId, displayName });
  expect(response.ok).toBe(true);
  return { ...socket, peerId: (response as { data: { peerId: string } }).data.peerId };
}

/** Opens a send transport for `socket` and produces a mic on it (the fake SFU accepts any parameters). */
async function sendingMic(socket: Awaited<ReturnType<typeof joinedSocket>>) {
  const send = (await socket.request('createTransport', { direction: 'send' })) as { data: { transportId: string } };
  const mic = { transportId: send.data.transportId, kind: 'audio', source: 'mic', rtpParameters: { codecs: [] } };
  const produced = await socket.request('produce', mic);
  expect(produced.ok).toBe(true);
  return { mic, producerId: (produced as { data: { producerId: string } }).data.producerId };
}

const RESUME_GRACE_MS = 300;

beforeEach(() => {
  sfu = fakeSfu();
  sessions = recordingSessions();
  const directory: SfuDirectory = {
    gatewayForRoom: async () => sfu as unknown as SfuApi,
    gateways: () => [sfu as unknown as SfuGateway],
  };
  deps = {
    instanceId: 'test-instance',
    maxPeersPerRoom: 4,
    sfuDirectory: directory,
    sessions,
    // The real queue over the recording log: a failed write would be retried like in production.
    sessionEnds: new PendingSessionEnds({ writer: sessions }),
    state: new InMemoryRoomStateStore(),
    bus: new InProcessRoomBus(),
    localPeers: new LocalPeerRegistry(noopMetrics),
    metrics: noopMetrics,
    // Off unless a test is about resuming: a closed socket then releases its peer at once.
    resumable: new ResumableSessions(0),
    // The request rate is not what these tests are about (test/limits.test.ts is).
    limits: { ...DEFAULT_LIMITS, requestBurst: 10_000, requestsPerSecond: 10_000 },
    addressLimits: { tryCreateRoom: () => true, roomCreationsPerMinute: 30 },
  };
});

describe('join', () => {
  test('the join response goes out before any push, and peerJoined reaches the others after it', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const bob = openSocket();
    await bob.request('join', { roomId: 'room', displayName: 'Bob' });
    expect(bob.sent[0]).toMatchObject({ id: 1, ok: true, data: { peers: [{ peerId: alice.peerId }] } });
    await vi.waitFor(() => expect(alice.pushes()).toMatchObject([{ event: 'peerJoined', data: { peer: { displayName: 'Bob' } } }]));
    expect(sessions.started.map((session) => session.displayName)).toEqual(['Alice', 'Bob']);
    expect(sessions.started[0]).toMatchObject({ roomId: 'room', instanceId: 'test-instance' });
  });

  test('a failed SFU call undoes the join everywhere, and the socket may join again', async () => {
    const watcher = await joinedSocket('room', 'Watcher');
    sfu.getRouterRtpCapabilities.mockRejectedValueOnce(new SfuCallError('getRouterRtpCapabilities', GrpcStatus.UNAVAILABLE, 'no worker'));
    const socket = openSocket();
    const failed = await socket.request('join', { roomId: 'room', displayName: 'Unlucky' });
    expect(failed).toMatchObject({ ok: false, error: { code: 'unavailable', message: 'no worker' } });
    expect((await deps.state.listPeers('room')).map((peer) => peer.displayName)).toEqual(['Watcher']);
    expect(sessions.ended).toEqual([{ sessionId: sessions.started[1]!.sessionId, reason: 'join_failed' }]);
    expect(sfu.closePeer).toHaveBeenCalledWith({ peer: { roomId: 'room', peerId: sessions.started[1]!.peerId }, reason: 'join_failed' });
    // The watcher may have seen the would-be peer in a peer list; it is told it is gone.
    expect(watcher.pushes()).toEqual([{ event: 'peerLeft', data: { peerId: sessions.started[1]!.peerId, reason: 'join_failed' } }]);

    const retry = await socket.request('join', { roomId: 'room', displayName: 'Lucky' });
    expect(retry.ok).toBe(true);
  });

  test('a peer that joins while our join is in flight is announced to us exactly once', async () => {
    const held = deferred<{ rtpCapabilitiesJson: string }>();
    sfu.getRouterRtpCapabilities.mockReturnValueOnce(held.promise);
    // Carol starts joining first but her SFU call hangs...
    const carol = openSocket();
    carol.session.onMessage(JSON.stringify({ id: 1, method: 'join', data: { roomId: 'room', displayName: 'Carol' } }));
    await vi.waitFor(() => expect(sfu.getRouterRtpCapabilities).toHaveBeenCalledTimes(1));
    // ...Dave joins meanwhile (Carol holds a seat but is not announced yet).
    const dave = await joinedSocket('room', 'Dave');
    // Dave's peerJoined reached Carol while she was joining: held, then sent after her response.
    held.resolve({ rtpCapabilitiesJson: JSON.stringify(ROUTER_CAPS) });
    await vi.waitFor(() => expect(carol.responses()).toHaveLength(1));
    const carolResponse = carol.responses()[0] as { ok: true; data: { peers: Array<{ displayName: string }> } };
    await vi.waitFor(() => expect(carol.pushes().filter((push) => push.event === 'peerJoined')).toHaveLength(1));
    expect(carolResponse.data.peers).toEqual([]);
    expect(carol.sent.indexOf(carolResponse as unknown as ResponseEnvelope)).toBeLessThan(carol.sent.findIndex((message) => 'event' in message));
    // Dave learns about Carol once too: not in his list (she was still joining), through the push.
    await vi.waitFor(() => expect(dave.pushes().filter((push) => push.event === 'peerJoined')).toHaveLength(1));
    expect(dave.responses()[0]).toMatchObject({ ok: true, data: { peers: [] } });
  });

  test('a peer both listed and announced to a joining peer reaches it only once', async () => {
    // Dave is marked joined (so Carol will list him) but his peerJoined is published only later, while
    // Carol's own join is still in flight: Carol receives it (held) and must drop the duplicate.
    const state = deps.state;
    const markJoined = state.markJoined.bind(state);
    const daveAnnounced = deferred<void>();
    let first = true;
    state.markJoined = async (roomId, peerId, metricsName) => {
      const marked = await markJoined(roomId, peerId, metricsName);
      if (first) {
        first = false;
        await daveAnnounced.promise;
      }
      return marked;
    };
    const dave = openSocket();
    dave.session.onMessage(JSON.stringify({ id: 1, method: 'join', data: { roomId: 'room', displayName: 'Dave' } }));
    await vi.waitFor(async () => expect(await state.listPeers('room')).toHaveLength(1));

    const carolHeld = deferred<{ rtpCapabilitiesJson: string }>();
    sfu.getRouterRtpCapabilities.mockReturnValueOnce(carolHeld.promise);
    const carol = openSocket();
    carol.session.onMessage(JSON.stringify({ id: 1, method: 'join', data: { roomId: 'room', displayName: 'Carol' } }));
    await vi.waitFor(() => expect(sfu.getRouterRtpCapabilities).toHaveBeenCalledTimes(2));

    daveAnnounced.resolve();
    await vi.waitFor(() => expect(dave.responses()).toHaveLength(1));
    carolHeld.resolve({ rtpCapabilitiesJson: JSON.stringify(ROUTER_CAPS) });
    await vi.waitFor(() => expect(carol.responses()).toHaveLength(1));
    expect(carol.responses()[0]).toMatchObject({ ok: true, data: { peers: [{ displayName: 'Dave' }] } });
    // Requests of one socket run in order: once this one is answered, the join's held pushes have
    // been flushed, so a wrongly forwarded duplicate would be here by now.
    carol.session.onMessage(JSON.stringify({ id: 2, method: 'resumeConsumer', data: { consumerId: 'none' } }));
    await vi.waitFor(() => expect(carol.responses()[1]).toMatchObject({ id: 2, ok: false, error: { code: 'not_found' } }));
    expect(carol.pushes().filter((push) => push.event === 'peerJoined')).toEqual([]);
    await vi.waitFor(() => expect(dave.pushes().filter((push) => push.event === 'peerJoined')).toHaveLength(1));
  });

  test('a push published after the join completed but before its response went out still follows the response', async () => {
    const alice = await joinedSocket('room', 'Alice');
    // observeJoin runs after the join is complete (state marked, phase joined) and before the
    // response is sent: publishing from it puts a push exactly into that gap.
    deps.metrics = {
      ...noopMetrics,
      observeJoin: () => void deps.bus.publishToRoom('room', { event: 'peerLeft', data: { peerId: 'ghost', reason: 'left' } }, { exceptPeerId: alice.peerId }),
    };
    const bob = openSocket();
    await bob.request('join', { roomId: 'room', displayName: 'Bob' });
    await vi.waitFor(() => expect(bob.pushes()).toHaveLength(1));
    expect(bob.sent).toMatchObject([{ id: 1, ok: true }, { event: 'peerLeft', data: { peerId: 'ghost' } }]);
  });

  test('a room at SIGNALING_MAX_PEERS_PER_ROOM refuses the join without side effects', async () => {
    deps.maxPeersPerRoom = 1;
    await joinedSocket('room', 'Only');
    const late = openSocket();
    expect(await late.request('join', { roomId: 'room', displayName: 'Late' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_state', message: 'room "room" is full (1 peers at most)' },
    });
    expect(sessions.started).toHaveLength(1);
    expect(sfu.getRouterRtpCapabilities).toHaveBeenCalledTimes(1);
  });
});

describe('release', () => {
  test('a socket closing during its join is released once the join has finished, leaving nothing on the SFU', async () => {
    const held = deferred<{ rtpCapabilitiesJson: string }>();
    const watcher = await joinedSocket('room', 'Watcher');
    sfu.getRouterRtpCapabilities.mockReturnValueOnce(held.promise);
    const socket = openSocket();
    socket.session.onMessage(JSON.stringify({ id: 1, method: 'join', data: { roomId: 'room', displayName: 'Reloader' } }));
    await vi.waitFor(() => expect(sfu.getRouterRtpCapabilities).toHaveBeenCalledTimes(2));
    const released = socket.session.socketClosed('disconnected');
    expect(sfu.closePeer).not.toHaveBeenCalled(); // would race the registration still in flight
    held.resolve({ rtpCapabilitiesJson: JSON.stringify(ROUTER_CAPS) });
    await released;
    const peerId = sessions.started[1]!.peerId;
    expect(sfu.closePeer).toHaveBeenCalledExactlyOnceWith({ peer: { roomId: 'room', peerId }, reason: 'disconnected' });
    expect(sessions.ended).toEqual([{ sessionId: sessions.started[1]!.sessionId, reason: 'disconnected' }]);
    expect((await deps.state.listPeers('room')).map((peer) => peer.displayName)).toEqual(['Watcher']);
    expect(socket.sent).toEqual([]); // nothing is sent on a closed socket
    expect(socket.session.phase).toBe('closed');
    expect(watcher.pushes().filter((push) => push.event === 'peerLeft')).toEqual([{ event: 'peerLeft', data: { peerId, reason: 'disconnected' } }]);
  });

  test('leave then socket close: released exactly once, with reason "left" (a leave already received is honoured)', async () => {
    const watcher = await joinedSocket('room', 'Watcher');
    const leaver = await joinedSocket('room', 'Leaver');
    leaver.session.onMessage(JSON.stringify({ id: 2, method: 'leave', data: {} }));
    await leaver.session.socketClosed('disconnected');
    await leaver.session.socketClosed('disconnected');
    expect(sfu.closePeer).toHaveBeenCalledTimes(1);
    expect(sessions.sessionEnded).toHaveBeenCalledTimes(1);
    expect(sessions.ended[0]!.reason).toBe('left');
    expect(watcher.pushes().filter((push) => push.event === 'peerLeft')).toHaveLength(1);
    expect(deps.localPeers.size).toBe(1);
  });

  test('a failing clean-up step does not stop the others', async () => {
    const watcher = await joinedSocket('room', 'Watcher');
    const leaver = await joinedSocket('room', 'Leaver');
    sfu.closePeer.mockRejectedValueOnce(new SfuCallError('closePeer', GrpcStatus.UNAVAILABLE, 'SFU down'));
    await leaver.session.socketClosed();
    expect(sessions.ended).toHaveLength(1);
    expect(await deps.state.listPeers('room')).toHaveLength(1);
    expect(watcher.pushes().some((push) => push.event === 'peerLeft')).toBe(true);
  });
});

describe('requests', () => {
  test('a handler that throws unexpectedly answers internal; the next request is served', async () => {
    const socket = await joinedSocket('room', 'Alice');
    sfu.createWebRtcTransport.mockRejectedValueOnce(new TypeError('cannot read properties of undefined'));
    expect(await socket.request('createTransport', { direction: 'send' })).toMatchObject({
      ok: false,
      error: { code: 'internal', message: 'cannot read properties of undefined' },
    });
    expect(await socket.request('createTransport', { direction: 'send' })).toMatchObject({ ok: true });
  });

  test('more than 64 requests waiting → the excess is refused as unavailable, the rest answered', async () => {
    const socket = await joinedSocket('room', 'Flooder');
    const held = deferred<never>();
    sfu.restartIce.mockReturnValueOnce(held.promise);
    const transport = (await socket.request('createTransport', { direction: 'send' })) as { data: { transportId: string } };
    for (let id = 100; id < 100 + 70; id++) {
      socket.session.onMessage(JSON.stringify({ id, method: 'restartIce', data: { transportId: transport.data.transportId } }));
    }
    // 64 are accepted into the queue, the last 6 are refused at once.
    const refused = socket.responses().filter((response) => !response.ok && response.error.code === 'unavailable');
    expect(refused.map((response) => response.id)).toEqual([164, 165, 166, 167, 168, 169]);
    held.reject(new SfuCallError('restartIce', GrpcStatus.UNAVAILABLE, 'slow'));
    await vi.waitFor(() => expect(socket.responses().filter((response) => (response.id ?? 0) >= 100)).toHaveLength(70));
  });

  test('setMuted pauses the source producer on the SFU and tells the others; without a producer the source stays muted', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const bob = await joinedSocket('room', 'Bob');
    expect(await alice.request('setMuted', { source: 'camera', muted: false })).toMatchObject({ ok: true, data: { audioMuted: true, videoMuted: true } });
    expect(sfu.resumeProducer).not.toHaveBeenCalled();

    const { producerId } = await sendingMic(alice);
    expect(await alice.request('setMuted', { source: 'mic', muted: true })).toMatchObject({ ok: true, data: { audioMuted: true, videoMuted: true } });
    expect(sfu.pauseProducer).toHaveBeenCalledWith({ peer: { roomId: 'room', peerId: alice.peerId }, producerId });
    expect((await deps.state.getPeer('room', alice.peerId))?.producers[0]?.paused).toBe(true);
    await vi.waitFor(() =>
      expect(bob.pushes().filter((push) => push.event === 'peerMediaChanged').at(-1)).toEqual({
        event: 'peerMediaChanged',
        data: { peerId: alice.peerId, audioMuted: true, videoMuted: true },
      }),
    );
  });

  test('closeProducer of a producer the SFU no longer has (NOT_FOUND) still forgets it, so the source can be produced again', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const bob = await joinedSocket('room', 'Bob');
    const { mic, producerId } = await sendingMic(alice);
    sfu.closeProducer.mockRejectedValueOnce(new SfuCallError('closeProducer', GrpcStatus.NOT_FOUND, 'room room not found'));

    expect(await alice.request('closeProducer', { producerId })).toMatchObject({ ok: true });
    expect((await deps.state.getPeer('room', alice.peerId))?.producers).toEqual([]);
    await vi.waitFor(() => expect(bob.pushes()).toContainEqual({ event: 'producerClosed', data: { peerId: alice.peerId, producerId } }));
    expect(await alice.request('produce', mic)).toMatchObject({ ok: true });
  });

  test('closeProducer passes on any other SFU failure and keeps the producer', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const { producerId } = await sendingMic(alice);
    sfu.closeProducer.mockRejectedValueOnce(new SfuCallError('closeProducer', GrpcStatus.UNAVAILABLE, 'SFU down'));
    expect(await alice.request('closeProducer', { producerId })).toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    });
    expect((await deps.state.getPeer('room', alice.peerId))?.producers).toHaveLength(1);
  });
});

describe('SFU events', () => {
  const sfuEvent = (roomId: string, peerId: string, body: Partial<SfuEvent__Output>): SfuEvent__Output => ({
    roomId,
    peerId,
    timestampMs: '0',
    ...body,
  });

  test('consumer events reach only the consumer owner; events for peers elsewhere are ignored', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const bob = await joinedSocket('room', 'Bob');
    const routed = deps.localPeers.routeSfuEvent(
      sfuEvent('room', bob.peerId, { event: 'consumerClosed', consumerClosed: { consumerId: 'c1', producerId: 'p1', reason: 'producerclose' } }),
    );
    expect(routed).toBe(true);
    deps.localPeers.routeSfuEvent(sfuEvent('room', bob.peerId, { event: 'consumerScore', consumerScore: { consumerId: 'c1', score: 7, producerScore: 10 } }));
    deps.localPeers.routeSfuEvent(
      sfuEvent('room', bob.peerId, { event: 'transportStateChanged', transportStateChanged: { transportId: 't1', iceState: 'connected', dtlsState: 'connected' } }),
    );
    await vi.waitFor(() =>
      expect(bob.pushes().slice(-3)).toEqual([
        { event: 'consumerClosed', data: { consumerId: 'c1', reason: 'producerclose' } },
        { event: 'consumerScore', data: { consumerId: 'c1', score: 7, producerScore: 10 } },
        { event: 'transportState', data: { transportId: 't1', iceState: 'connected', dtlsState: 'connected' } },
      ]),
    );
    expect(alice.pushes().filter((push) => push.event !== 'peerJoined')).toEqual([]);
    expect(deps.localPeers.routeSfuEvent(sfuEvent('room', 'someone-elsewhere', { event: 'consumerScore' }))).toBe(false);
    expect(deps.localPeers.routeSfuEvent(sfuEvent('other-room', bob.peerId, { event: 'consumerScore' }))).toBe(false);
  });

  test('the active speaker reaches every joined peer of the room, the speaker included; nobody is null', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const bob = await joinedSocket('room', 'Bob');
    const carol = await joinedSocket('elsewhere', 'Carol');
    const speaking = (peerId: string) => sfuEvent('room', peerId, { event: 'activeSpeakerChanged', activeSpeakerChanged: { producerId: 'p1' } });
    expect(deps.localPeers.routeSfuEvent(speaking(alice.peerId))).toBe(true);
    deps.localPeers.routeSfuEvent(sfuEvent('room', '', { event: 'activeSpeakerChanged', activeSpeakerChanged: { producerId: '' } }));
    const speakerPushes = (socket: typeof alice) => socket.pushes().filter((push) => push.event === 'activeSpeaker');
    const expected = [
      { event: 'activeSpeaker', data: { peerId: alice.peerId } },
      { event: 'activeSpeaker', data: { peerId: null } },
    ];
    await vi.waitFor(() => expect(speakerPushes(bob)).toEqual(expected));
    await vi.waitFor(() => expect(speakerPushes(alice)).toEqual(expected));
    expect(speakerPushes(carol)).toEqual([]);
    // A room with no peer on this instance: nobody here takes it.
    expect(deps.localPeers.routeSfuEvent(sfuEvent('empty-room', alice.peerId, { event: 'activeSpeakerChanged', activeSpeakerChanged: { producerId: 'p1' } }))).toBe(false);
  });

  test('a speaker change seen while a newcomer waits for the SFU is in its join answer; later ones come as pushes', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const answer = deferred<{ rtpCapabilitiesJson: string; activeSpeakerPeerId: string }>();
    sfu.getRouterRtpCapabilities.mockImplementationOnce(() => answer.promise);
    const bob = openSocket();
    bob.session.onMessage(JSON.stringify({ id: 1, method: 'join', data: { roomId: 'room', displayName: 'Bob' } }));
    await vi.waitFor(() => expect(sfu.getRouterRtpCapabilities).toHaveBeenCalledTimes(2));
    // The SFU answered "nobody" when asked; alice started speaking before bob was registered for pushes.
    deps.localPeers.routeSfuEvent(sfuEvent('room', alice.peerId, { event: 'activeSpeakerChanged', activeSpeakerChanged: { producerId: 'p1' } }));
    answer.resolve({ rtpCapabilitiesJson: JSON.stringify(ROUTER_CAPS), activeSpeakerPeerId: '' });
    await vi.waitFor(() => expect(bob.responses()).toHaveLength(1));
    expect(bob.responses()[0]).toMatchObject({ ok: true, data: { activeSpeakerPeerId: alice.peerId } });

    deps.localPeers.routeSfuEvent(sfuEvent('room', '', { event: 'activeSpeakerChanged', activeSpeakerChanged: { producerId: '' } }));
    await vi.waitFor(() => expect(bob.pushes()).toContainEqual({ event: 'activeSpeaker', data: { peerId: null } }));
  });

  test('a producer the SFU closed on its own is announced to the others and dropped from the state', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const bob = await joinedSocket('room', 'Bob');
    const { mic, producerId } = await sendingMic(alice);
    deps.localPeers.routeSfuEvent(sfuEvent('room', alice.peerId, { event: 'producerClosed', producerClosed: { producerId, reason: 'transportclose' } }));
    await vi.waitFor(() => expect(bob.pushes()).toContainEqual({ event: 'producerClosed', data: { peerId: alice.peerId, producerId } }));
    expect(bob.pushes().at(-1)).toEqual({ event: 'peerMediaChanged', data: { peerId: alice.peerId, audioMuted: true, videoMuted: true } });
    expect((await deps.state.getPeer('room', alice.peerId))?.producers).toEqual([]);
    // The mic can be produced again.
    expect(await alice.request('produce', mic)).toMatchObject({ ok: true });
  });
});

describe('telemetry', () => {
  /** Bob receives Alice's mic through consumer c1 (the fake SFU answers as the real one would). */
  async function bobConsumesAliceMic() {
    const alice = await joinedSocket('room', 'Alice');
    const bob = await joinedSocket('room', 'Bob');
    const { producerId } = await sendingMic(alice);
    const recv = (await bob.request('createTransport', { direction: 'recv' })) as { data: { transportId: string } };
    sfu.consume.mockResolvedValueOnce({
      consumerId: 'c1',
      producerId,
      kind: 'MEDIA_KIND_AUDIO',
      rtpParametersJson: '{}',
      type: 'simple',
      producerPaused: false,
      producerPeerId: alice.peerId,
      source: 'mic',
    });
    expect(await bob.request('consume', { transportId: recv.data.transportId, producerId, rtpCapabilities: {} })).toMatchObject({ ok: true });
    return { alice, bob };
  }

  const audioSample = { v: 1, inbound: { c1: { jitter: 0.002, packetsLost: 0, packetsReceived: 50, concealedSamples: 480 } }, outbound: {}, transports: { recv: { currentRoundTripTime: 0.01 } } };

  test('a reportStats sample is exported for the consumer it names; the SFU closing that consumer takes its series away, leaving the rest', async () => {
    const metrics = new PrometheusSignalingMetrics({ defaultMetrics: false });
    deps.metrics = metrics;
    const { bob } = await bobConsumesAliceMic();
    // The per-peer and per-stream series (the reports counter stays, as counters do).
    const series = async () =>
      (await metrics.render()).body.split('\n').filter((line) => /^signaling_browser_\w+\{/.test(line) && !line.startsWith('signaling_browser_reports_total'));

    expect(await bob.request('reportStats', audioSample)).toMatchObject({ ok: true, data: {} });
    expect(await series()).toContain('signaling_browser_concealed_samples{room="room",subscriber="Bob",publisher="Alice",kind="audio",source="mic"} 480');
    expect(await bob.request('reportStats', audioSample)).toMatchObject({ ok: false, error: { code: 'rate_limited' } });

    deps.localPeers.routeSfuEvent({ roomId: 'room', peerId: bob.peerId, timestampMs: '0', event: 'consumerClosed', consumerClosed: { consumerId: 'c1', producerId: 'p', reason: 'producerclose' } });
    await vi.waitFor(async () => expect((await series()).some((line) => line.includes('subscriber="Bob"'))).toBe(false));
    expect(await series()).toEqual(['signaling_browser_round_trip_time_seconds{room="room",peer="Bob",direction="recv"} 0.01']);

    expect(await bob.request('leave')).toMatchObject({ ok: true });
    expect(await series()).toEqual([]);
  });

  test('reportStats before join is refused as invalid_state', async () => {
    const socket = openSocket();
    expect(await socket.request('reportStats', audioSample)).toMatchObject({
      ok: false,
      error: { code: 'invalid_state', message: 'reportStats before join: send join first' },
    });
  });

  test('the join phases are timed once each: socket open → join answered → first consume answered', async () => {
    const observeJoinPhase = vi.fn();
    deps.metrics = { ...noopMetrics, observeJoinPhase };
    const { bob } = await bobConsumesAliceMic();
    const phases = () => observeJoinPhase.mock.calls.map(([phase]) => phase);
    // Alice and Bob joined; only Bob consumed.
    expect(phases()).toEqual(['socket_to_joined', 'socket_to_joined', 'joined_to_first_consume']);
    sfu.consume.mockResolvedValueOnce({ consumerId: 'c2', producerId: 'x', kind: 'MEDIA_KIND_AUDIO', rtpParametersJson: '{}', type: 'simple', producerPaused: false, producerPeerId: 'x', source: 'mic' });
    await bob.request('consume', { transportId: 'unknown', producerId: 'x', rtpCapabilities: {} });
    expect(phases()).toHaveLength(3);
    for (const [, seconds] of observeJoinPhase.mock.calls) expect(seconds).toBeGreaterThanOrEqual(0);
  });
});

describe('resume after a lost socket', () => {
  beforeEach(() => {
    deps.resumable = new ResumableSessions(RESUME_GRACE_MS);
  });
  const tokenOf = (response: ResponseEnvelope) => (response as { data: { resumeToken: string } }).data.resumeToken;

  test('a new socket takes the session over: the others see nothing, pushes missed meanwhile follow the response', async () => {
    const alice = openSocket();
    const joined = await alice.request('join', { roomId: 'room', displayName: 'Alice' });
    const bob = await joinedSocket('room', 'Bob');
    await vi.waitFor(() => expect(alice.pushes().some((push) => push.event === 'peerJoined')).toBe(true));

    await alice.session.socketClosed('disconnected', { lost: true });
    // While alice's socket is gone, bob mutes: alice must learn it on resume.
    await sendingMic(bob);
    const muted = await bob.request('setMuted', { source: 'mic', muted: true });
    expect(muted.ok).toBe(true);

    const again = openSocket();
    const resumed = await again.request('resume', { resumeToken: tokenOf(joined) });
    expect(resumed).toMatchObject({ ok: true, data: { peerId: alice.session.peerId, roomId: 'room' } });
    expect((resumed as { data: { peers: { peerId: string }[] } }).data.peers.map((peer) => peer.peerId)).toEqual([bob.peerId]);
    await vi.waitFor(() => expect(again.pushes().map((push) => push.event)).toEqual(['newProducer', 'peerMediaChanged', 'peerMediaChanged']));
    // The response came first.
    expect('ok' in again.sent[0]!).toBe(true);
    // Bob never saw alice leave, and her session is still open.
    expect(bob.pushes().some((push) => push.event === 'peerLeft')).toBe(false);
    expect(sessions.ended).toEqual([]);
    // And the resumed socket works as alice's: her requests act for her peer.
    const transport = await again.request('createTransport', { direction: 'recv' });
    expect(transport.ok).toBe(true);
    expect(sfu.createWebRtcTransport).toHaveBeenLastCalledWith(expect.objectContaining({ peer: { roomId: 'room', peerId: alice.session.peerId } }));
  });

  test('the resume answer names the current speaker, even when the push telling it went into the lost socket', async () => {
    const alice = openSocket();
    const joined = await alice.request('join', { roomId: 'room', displayName: 'Alice' });
    const bob = await joinedSocket('room', 'Bob');
    // Bob starts speaking while alice's socket is already dead but not yet noticed: the push is lost.
    deps.localPeers.routeSfuEvent({ roomId: 'room', peerId: bob.peerId, timestampMs: '0', event: 'activeSpeakerChanged', activeSpeakerChanged: { producerId: 'p1' } });
    alice.sent.length = 0;
    await alice.session.socketClosed('disconnected', { lost: true });

    const again = openSocket();
    const resumed = await again.request('resume', { resumeToken: tokenOf(joined) });
    expect(resumed).toMatchObject({ ok: true, data: { activeSpeakerPeerId: bob.peerId } });
  });

  test('past the grace the peer is released as disconnected, and the token no longer works', async () => {
    const alice = openSocket();
    const joined = await alice.request('join', { roomId: 'room', displayName: 'Alice' });
    const bob = await joinedSocket('room', 'Bob');
    await alice.session.socketClosed('disconnected', { lost: true });
    await vi.waitFor(() => expect(bob.pushes()).toContainEqual({ event: 'peerLeft', data: { peerId: alice.session.peerId, reason: 'disconnected' } }), {
      timeout: RESUME_GRACE_MS * 5,
    });
    expect(sessions.ended.map((entry) => entry.reason)).toEqual(['disconnected']);
    const late = openSocket();
    const refused = await late.request('resume', { resumeToken: tokenOf(joined) });
    expect(refused).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  test('a leave or a socket the page closed itself (reload, tab closed) is not held: the peer goes at once', async () => {
    const alice = openSocket();
    const joined = await alice.request('join', { roomId: 'room', displayName: 'Alice' });
    await alice.request('leave');
    const carol = openSocket();
    const carolJoined = await carol.request('join', { roomId: 'room', displayName: 'Carol' });
    await carol.session.socketClosed('disconnected');
    expect(sessions.ended.map((entry) => entry.reason)).toEqual(['left', 'disconnected']);
    for (const token of [tokenOf(joined), tokenOf(carolJoined)]) {
      const again = openSocket();
      expect(await again.request('resume', { resumeToken: token })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }
  });

  test('resume is only a first request', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const refused = await alice.request('resume', { resumeToken: 'x'.repeat(32) });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
  });
});

describe('media lost on the SFU', () => {
  test('RoomClosed: the page is told to set its media up again, the room hears its producers close, the peer is registered anew', async () => {
    const alice = await joinedSocket('room', 'Alice');
    const bob = await joinedSocket('room', 'Bob');
    const { producerId } = await sendingMic(alice);
    const registrations = sfu.getRouterRtpCapabilities.mock.calls.length;

    deps.localPeers.routeSfuEvent({ roomId: 'room', peerId: '', timestampMs: '0', event: 'roomClosed', roomClosed: { reason: 'worker died' } } as SfuEvent__Output);

    await vi.waitFor(() => expect(alice.pushes().some((push) => push.event === 'mediaReset')).toBe(true));
    const reset = alice.pushes().find((push) => push.event === 'mediaReset')!;
    expect(reset.data).toMatchObject({ reason: expect.stringContaining('worker died'), peers: [{ peerId: bob.peerId, producers: [] }] });
    expect(bob.pushes()).toContainEqual({ event: 'producerClosed', data: { peerId: alice.peerId, producerId } });
    expect(bob.pushes().some((push) => push.event === 'mediaReset')).toBe(true);
    // Both peers registered again (one call each).
    expect(sfu.getRouterRtpCapabilities.mock.calls.length).toBe(registrations + 2);
    // The old transport is forgotten: a request naming it is refused here, without an SFU call.
    const stale = await alice.request('produce', { transportId: 'transport-1', kind: 'audio', source: 'mic', rtpParameters: {} });
    expect(stale).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // And the source is free to be produced again on a new transport.
    await sendingMic(alice);
  });

  test('a peer that could not be registered again (no SFU yet) is registered by its next createTransport', async () => {
    const alice = await joinedSocket('room', 'Alice');
    sfu.getRouterRtpCapabilities.mockRejectedValueOnce(new SfuCallError('getRouterRtpCapabilities', GrpcStatus.UNAVAILABLE, 'down'));
    alice.session.mediaLost('the SFU restarted');
    await vi.waitFor(() => expect(alice.pushes().some((push) => push.event === 'mediaReset')).toBe(true));
    const calls = sfu.getRouterRtpCapabilities.mock.calls.length;
    const transport = await alice.request('createTransport', { direction: 'send' });
    expect(transport.ok).toBe(true);
    expect(sfu.getRouterRtpCapabilities.mock.calls.length).toBe(calls + 1);
  });
});
