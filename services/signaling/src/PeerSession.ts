/**
 * One per WebSocket: the protocol's state machine and the handlers of its methods.
 *
 *   connected ──join──▶ joined ──leave / socket close / idle timeout──▶ closed
 *        └──────────────── socket close ─────────────────────────────────▲
 *
 * `join` must come first and only once; every other method needs `joined`; nothing works once
 * `closed` (a client that left opens a new socket to join again). Requests of one socket are handled
 * one at a time in arrival order, so a peer's own operations never race each other (produce vs.
 * leave, join vs. socket close); other sockets are unaffected by this one's slowness or failures.
 * Every request gets exactly one response (unless the socket closed meanwhile).
 */
import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { SfuEvent__Output } from '@lab/proto/sfu';
import {
  ErrorCode,
  MediaSource,
  type Method,
  type PeerInfo,
  type ProducerInfo,
  type Push,
  type RequestData,
  type ResponseData,
  type ResponseEnvelope,
  type TransportDirection,
} from '@lab/proto/signaling';
import type { SessionRepository, LeaveReason } from './db/SessionRepository.ts';
import { InvalidStateError, NotFoundError, SfuCallError, UnavailableError, ValidationError, toErrorBody } from './errors.ts';
import type { LocalPeer, LocalPeerRegistry } from './LocalPeerRegistry.ts';
import { moduleLogger } from './logger.ts';
import type { SignalingMetrics } from './metrics.ts';
import { parseRequest } from './protocol/parseRequest.ts';
import type { SfuDirectory } from './sfu/SfuDirectory.ts';
import type { SfuApi } from './sfu/SfuGateway.ts';
import { fromSfuKind, iceParametersFromSfu, parseSfuJson, toSfuDirection, toSfuKind, transportFromSfu } from './sfu/sfuMapping.ts';
import type { BusAttachment, RoomBus } from './state/RoomBus.ts';
import { mediaState, producerFor, type RoomStateStore } from './state/RoomStateStore.ts';

const log = moduleLogger('PeerSession');

/** The session's view of its socket; the HTTP layer implements it over uWebSockets.js. */
export interface SocketSink {
  /** Sends one JSON message; silently does nothing once the socket is closed. */
  send(message: ResponseEnvelope | Push): void;
}

export interface PeerSessionDeps {
  instanceId: string;
  maxPeersPerRoom: number;
  sfuDirectory: SfuDirectory;
  sessions: Pick<SessionRepository, 'ensureRoom' | 'sessionStarted' | 'sessionEnded'>;
  state: RoomStateStore;
  bus: RoomBus;
  localPeers: LocalPeerRegistry;
  metrics: SignalingMetrics;
}

export type PeerSessionPhase = 'connected' | 'joining' | 'joined' | 'closed';

/** Requests queued behind the one in progress; beyond this a client is flooding, not signaling. */
const MAX_PENDING_REQUESTS = 64;
/** Which source may carry which kind. */
const SOURCE_KIND = { mic: 'audio', camera: 'video' } as const satisfies Record<MediaSource, string>;

type Handlers = { [M in Method]: (data: RequestData<M>) => Promise<ResponseData<M>> };

interface Joined {
  roomId: string;
  peerId: string;
  sessionId: string;
  sfu: SfuApi;
}

export class PeerSession implements LocalPeer {
  readonly #deps: PeerSessionDeps;
  readonly #sink: SocketSink;
  #log;
  #phase: PeerSessionPhase = 'connected';
  #joined?: Joined;
  #attachment?: BusAttachment;
  /** Pushes that arrive while the join is in progress; sent right after the join response. */
  #heldPushes?: Push[];
  /** Work to do once the current request's response is sent (announcements to the room). */
  #afterResponse: Array<() => Promise<void>> = [];
  /** This peer's SFU objects, so bad ids and wrong transport directions get precise errors here. */
  readonly #transports = new Map<string, TransportDirection>();
  readonly #producers = new Map<string, ProducerInfo>();
  readonly #consumers = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;
  #socketOpen = true;
  #released?: Promise<void>;

  readonly #handlers: Handlers = {
    join: (data) => this.#join(data),
    createTransport: (data) => this.#createTransport(data),
    connectTransport: (data) => this.#connectTransport(data),
    restartIce: (data) => this.#restartIce(data),
    produce: (data) => this.#produce(data),
    closeProducer: (data) => this.#closeProducer(data),
    setMuted: (data) => this.#setMuted(data),
    consume: (data) => this.#consume(data),
    resumeConsumer: (data) => this.#resumeConsumer(data),
    leave: () => this.#leave(),
  };

  constructor(deps: PeerSessionDeps, sink: SocketSink, context: { remoteAddress?: string } = {}) {
    this.#deps = deps;
    this.#sink = sink;
    this.#log = log.child({ remoteAddress: context.remoteAddress });
  }

  get phase(): PeerSessionPhase {
    return this.#phase;
  }
  get roomId(): string {
    return this.#joined?.roomId ?? '';
  }
  get peerId(): string {
    return this.#joined?.peerId ?? '';
  }

  /** One inbound text frame. */
  onMessage(frame: string): void {
    const request = parseRequest(frame);
    if (!request.ok) {
      this.#deps.metrics.messageHandled(request.method ?? 'unknown', toErrorBody(request.error).code);
      this.#log.debug({ err: request.error, id: request.id }, 'rejected message');
      this.#send({ id: request.id, ok: false, error: toErrorBody(request.error) });
      return;
    }
    if (this.#pending >= MAX_PENDING_REQUESTS) {
      const error = new UnavailableError(`too many requests in flight (${MAX_PENDING_REQUESTS}); wait for responses`);
      this.#deps.metrics.messageHandled(request.method, ErrorCode.Unavailable);
      this.#send({ id: request.id, ok: false, error: toErrorBody(error) });
      return;
    }
    this.#pending += 1;
    void this.#enqueue(async () => {
      this.#pending -= 1;
      // The socket closed while this request waited: nobody to answer, and the release is queued
      // next. Only a `leave` is still honoured, so its reason ('left') is what gets recorded.
      if (!this.#socketOpen && request.method !== 'leave') return;
      const handler = this.#handlers[request.method] as (data: unknown) => Promise<unknown>;
      let response: ResponseEnvelope;
      try {
        response = { id: request.id, ok: true, data: await handler(request.data) };
      } catch (error) {
        const body = toErrorBody(error);
        if (body.code === ErrorCode.Internal) {
          this.#log.error({ err: error, method: request.method, ...this.#ids() }, 'request failed');
        } else {
          this.#log.debug({ err: error, method: request.method, code: body.code, ...this.#ids() }, 'request refused');
        }
        response = { id: request.id, ok: false, error: body };
        this.#afterResponse = [];
      }
      this.#deps.metrics.messageHandled(request.method, response.ok ? 'ok' : response.error.code);
      this.#send(response);
      const after = this.#afterResponse;
      this.#afterResponse = [];
      for (const work of after) await work();
    });
  }

  /** One inbound binary frame: the protocol is JSON text only. */
  onBinaryMessage(): void {
    this.#deps.metrics.messageHandled('unknown', ErrorCode.BadJson);
    this.#send({
      id: null,
      ok: false,
      error: { code: ErrorCode.BadJson, message: 'binary frames are not part of the protocol; send JSON text frames' },
    });
  }

  /**
   * The socket closed (by the client, a reload, the idle timeout or server shutdown). Releases the
   * peer after the request in progress, if any, has finished. Resolves when the release is done.
   */
  socketClosed(reason: LeaveReason = 'disconnected'): Promise<void> {
    this.#socketOpen = false;
    return this.#enqueue(() => this.#releaseOnce(reason));
  }

  handleSfuEvent(event: SfuEvent__Output): void {
    void this.#enqueue(() => this.#onSfuEvent(event));
  }

  // ------------------------------------------------------------------------------------------
  // Request handlers

  async #join({ roomId, displayName }: RequestData<'join'>): Promise<ResponseData<'join'>> {
    if (this.#phase === 'joined') throw new InvalidStateError(`already joined room ${JSON.stringify(this.roomId)}; join only once per connection`);
    if (this.#phase === 'closed') throw new InvalidStateError('this connection has left its room; open a new connection to join again');
    const started = performance.now();
    const { state, bus, sessions, sfuDirectory } = this.#deps;
    const peerId = randomUUID();
    const sessionId = randomUUID();
    this.#phase = 'joining';
    this.#heldPushes = [];

    // Attach to the room's pushes before taking a seat in the room state, so that nobody who joins
    // around the same time can be missed: peers listed in our response were marked joined before we
    // took our seat; anyone marked later announces itself with a peerJoined that reaches us (held
    // until our response is out, and dropped if that peer is in our list after all).
    const rollback: Array<() => Promise<unknown>> = [];
    try {
      const attachment = await bus.attach(roomId, peerId, (push) => this.#onPush(push));
      this.#attachment = attachment;
      rollback.push(() => attachment.detach());

      const added = await state.addPeer(roomId, { peerId, displayName, producers: [] }, { maxPeers: this.#deps.maxPeersPerRoom });
      if (!added.added) {
        throw new InvalidStateError(`room ${JSON.stringify(roomId)} is full (${this.#deps.maxPeersPerRoom} peers at most)`);
      }
      rollback.push(async () => {
        if (await state.removePeer(roomId, peerId)) {
          // Others may already have seen us in their join's peer list.
          await bus.publishToRoom(roomId, { event: 'peerLeft', data: { peerId, reason: 'join_failed' } }, { exceptPeerId: peerId });
        }
      });

      const sfu = await sfuDirectory.gatewayForRoom(roomId);
      // Undone on any failure, including a session row or an SFU registration that completed after
      // our side gave up (closing an unknown session or peer is a no-op).
      rollback.push(() => sessions.sessionEnded(sessionId, 'join_failed'));
      rollback.push(() => sfu.closePeer({ peer: { roomId, peerId }, reason: 'join_failed' }));
      // The session record and the SFU round trip are independent: doing them at once takes one of
      // them off the join latency. allSettled, so no rollback runs while the other is in flight.
      const [recorded, capabilities] = await Promise.allSettled([
        sessions
          .ensureRoom(roomId)
          .then(() => sessions.sessionStarted({ sessionId, roomId, peerId, displayName, instanceId: this.#deps.instanceId })),
        sfu.getRouterRtpCapabilities({ peer: { roomId, peerId } }),
      ]);
      if (recorded.status === 'rejected') throw recorded.reason;
      if (capabilities.status === 'rejected') throw capabilities.reason;
      const { rtpCapabilitiesJson } = capabilities.value;
      const routerRtpCapabilities = parseSfuJson('getRouterRtpCapabilities', 'rtp_capabilities_json', rtpCapabilitiesJson);
      await state.markJoined(roomId, peerId);

      this.#joined = { roomId, peerId, sessionId, sfu };
      this.#phase = 'joined';
      this.#log = this.#log.child({ roomId, peerId });
      this.#deps.localPeers.add(this);
      this.#deps.metrics.observeJoin((performance.now() - started) / 1000);
      this.#log.info({ displayName, sessionId, peers: added.others.length + 1 }, 'peer joined');

      const known = new Set(added.others.map((peer) => peer.peerId));
      const me: PeerInfo = { peerId, displayName, audioMuted: true, videoMuted: true, producers: [] };
      this.#afterResponse.push(async () => {
        this.#flushHeldPushes(known);
        // A socket that closed during the join is released right after this; no need to announce it.
        if (this.#socketOpen) await this.#announce({ event: 'peerJoined', data: { peer: me } });
      });
      return { peerId, roomId, routerRtpCapabilities, peers: added.others };
    } catch (error) {
      this.#phase = 'connected';
      this.#heldPushes = undefined;
      this.#attachment = undefined;
      for (const undo of rollback.reverse()) {
        await undo().catch((undoError: unknown) =>
          this.#log.warn({ err: undoError, roomId, peerId }, 'could not undo part of a failed join'),
        );
      }
      throw error;
    }
  }

  async #createTransport({ direction }: RequestData<'createTransport'>): Promise<ResponseData<'createTransport'>> {
    const { sfu, peer } = this.#requireJoined('createTransport');
    const response = await sfu.createWebRtcTransport({ peer, direction: toSfuDirection(direction) });
    this.#transports.set(response.transportId, direction);
    return transportFromSfu(response);
  }

  async #connectTransport({ transportId, dtlsParameters }: RequestData<'connectTransport'>): Promise<ResponseData<'connectTransport'>> {
    const { sfu, peer } = this.#requireJoined('connectTransport');
    this.#requireTransport(transportId);
    await sfu.connectWebRtcTransport({
      peer,
      transportId,
      dtlsParameters: { role: dtlsParameters.role ?? 'auto', fingerprints: dtlsParameters.fingerprints },
    });
    return {};
  }

  async #restartIce({ transportId }: RequestData<'restartIce'>): Promise<ResponseData<'restartIce'>> {
    const { sfu, peer } = this.#requireJoined('restartIce');
    this.#requireTransport(transportId);
    const response = await sfu.restartIce({ peer, transportId });
    return { iceParameters: iceParametersFromSfu(response.iceParameters) };
  }

  async #produce(data: RequestData<'produce'>): Promise<ResponseData<'produce'>> {
    const { sfu, peer, roomId, peerId } = this.#requireJoined('produce');
    const { transportId, kind, source, rtpParameters, paused } = data;
    if (this.#requireTransport(transportId) !== 'send') {
      throw new InvalidStateError(`transport ${JSON.stringify(transportId)} is a recv transport; produce needs a send transport`);
    }
    if (SOURCE_KIND[source] !== kind) {
      throw new ValidationError(`produce: source "${source}" carries ${SOURCE_KIND[source]}, not ${kind}`);
    }
    const existing = this.#producerFor(source);
    if (existing) {
      throw new InvalidStateError(`this peer already has a ${source} producer (${existing.producerId}); close it first`);
    }
    const before = this.#mediaState();
    const { producerId } = await sfu.produce({
      peer,
      transportId,
      kind: toSfuKind(kind),
      rtpParametersJson: JSON.stringify(rtpParameters),
      source,
      paused,
    });
    const producer: ProducerInfo = { producerId, kind, source, paused };
    try {
      await this.#deps.state.addProducer(roomId, peerId, producer);
    } catch (error) {
      await sfu.closeProducer({ peer, producerId }).catch(() => undefined);
      throw error;
    }
    this.#producers.set(producerId, producer);
    this.#afterResponse.push(async () => {
      await this.#announce({ event: 'newProducer', data: { peerId, producer } });
      await this.#announceMediaIfChanged(before);
    });
    return { producerId };
  }

  async #closeProducer({ producerId }: RequestData<'closeProducer'>): Promise<ResponseData<'closeProducer'>> {
    const { sfu, peer } = this.#requireJoined('closeProducer');
    if (!this.#producers.has(producerId)) {
      throw new NotFoundError(`producer ${JSON.stringify(producerId)} is not one of this peer's producers`);
    }
    try {
      await sfu.closeProducer({ peer, producerId });
    } catch (error) {
      // NOT_FOUND: the SFU has closed it already (e.g. its worker died, or the ProducerClosed event
      // was lost while the event stream was down). Refusing here would keep the producer in the
      // room state for good and block this source; the outcome the client asked for is reached.
      if (!(error instanceof SfuCallError && error.grpcCode === GrpcStatus.NOT_FOUND)) throw error;
      this.#log.warn({ producerId, err: error }, 'producer already gone on the SFU; forgetting it');
    }
    await this.#forgetProducer(producerId);
    return {};
  }

  async #setMuted({ source, muted }: RequestData<'setMuted'>): Promise<ResponseData<'setMuted'>> {
    const { sfu, peer, roomId, peerId } = this.#requireJoined('setMuted');
    const producer = this.#producerFor(source);
    if (producer && producer.paused !== muted) {
      const request = { peer, producerId: producer.producerId };
      const { paused } = muted ? await sfu.pauseProducer(request) : await sfu.resumeProducer(request);
      producer.paused = paused;
      await this.#deps.state.setProducerPaused(roomId, peerId, producer.producerId, paused);
    }
    const now = this.#mediaState();
    // Announced after every setMuted, changed or not: the server's state is authoritative and a
    // client that missed an update converges on the next one.
    this.#afterResponse.push(() => this.#announce({ event: 'peerMediaChanged', data: { peerId, ...now } }));
    return now;
  }

  async #consume({ transportId, producerId, rtpCapabilities }: RequestData<'consume'>): Promise<ResponseData<'consume'>> {
    const { sfu, peer } = this.#requireJoined('consume');
    if (this.#requireTransport(transportId) !== 'recv') {
      throw new InvalidStateError(`transport ${JSON.stringify(transportId)} is a send transport; consume needs a recv transport`);
    }
    const peers = await this.#deps.state.listPeers(peer.roomId);
    if (!peers.some((candidate) => candidate.producers.some((producer) => producer.producerId === producerId))) {
      throw new NotFoundError(`producer ${JSON.stringify(producerId)} is not a producer in room ${JSON.stringify(peer.roomId)}`);
    }
    const response = await sfu.consume({
      peer,
      transportId,
      producerId,
      rtpCapabilitiesJson: JSON.stringify(rtpCapabilities),
    });
    const parsedSource = MediaSource.safeParse(response.source);
    if (!parsedSource.success) {
      await sfu.closeConsumer({ peer, consumerId: response.consumerId }).catch(() => undefined);
      throw new Error(`producer ${producerId} has source ${JSON.stringify(response.source)}, which the protocol does not know`);
    }
    this.#consumers.add(response.consumerId);
    return {
      consumerId: response.consumerId,
      producerId: response.producerId,
      peerId: response.producerPeerId,
      kind: fromSfuKind(response.kind),
      source: parsedSource.data,
      rtpParameters: parseSfuJson('consume', 'rtp_parameters_json', response.rtpParametersJson),
      producerPaused: response.producerPaused,
    };
  }

  async #resumeConsumer({ consumerId }: RequestData<'resumeConsumer'>): Promise<ResponseData<'resumeConsumer'>> {
    const { sfu, peer } = this.#requireJoined('resumeConsumer');
    if (!this.#consumers.has(consumerId)) {
      throw new NotFoundError(`consumer ${JSON.stringify(consumerId)} is not one of this peer's consumers`);
    }
    await sfu.resumeConsumer({ peer, consumerId });
    return {};
  }

  async #leave(): Promise<ResponseData<'leave'>> {
    this.#requireJoined('leave');
    // Already inside this session's queue: release directly (queuing it would wait for ourselves).
    await this.#releaseOnce('left');
    return {};
  }

  // ------------------------------------------------------------------------------------------
  // SFU events about this peer (routed here by LocalPeerRegistry)

  async #onSfuEvent(event: SfuEvent__Output): Promise<void> {
    if (this.#phase !== 'joined') return;
    switch (event.event) {
      case 'consumerClosed': {
        const { consumerId, reason } = event.consumerClosed!;
        this.#consumers.delete(consumerId);
        this.#send({ event: 'consumerClosed', data: { consumerId, reason } });
        return;
      }
      case 'consumerScore': {
        const { consumerId, score, producerScore } = event.consumerScore!;
        this.#send({ event: 'consumerScore', data: { consumerId, score, producerScore } });
        return;
      }
      case 'transportStateChanged': {
        const { transportId, iceState, dtlsState } = event.transportStateChanged!;
        if (iceState === 'closed' || dtlsState === 'closed') this.#transports.delete(transportId);
        this.#send({ event: 'transportState', data: { transportId, iceState, dtlsState } });
        return;
      }
      case 'producerClosed': {
        // The producer died on the SFU (e.g. its transport failed): tell the room as for closeProducer.
        const { producerId } = event.producerClosed!;
        if (this.#producers.has(producerId)) await this.#forgetProducer(producerId);
        return;
      }
      default:
        // Producer scores, consumer pause/resume and room closure have no push in protocol v1.
        return;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Helpers

  #requireJoined(method: Method): Joined & { peer: { roomId: string; peerId: string } } {
    if (this.#phase !== 'joined' || !this.#joined) {
      throw new InvalidStateError(
        this.#phase === 'closed'
          ? `${method} after leave: this connection has left its room`
          : `${method} before join: send join first`,
      );
    }
    const { roomId, peerId } = this.#joined;
    return { ...this.#joined, peer: { roomId, peerId } };
  }

  #requireTransport(transportId: string): TransportDirection {
    const direction = this.#transports.get(transportId);
    if (!direction) throw new NotFoundError(`transport ${JSON.stringify(transportId)} is not one of this peer's transports`);
    return direction;
  }

  #producerFor(source: MediaSource): ProducerInfo | undefined {
    return producerFor({ producers: [...this.#producers.values()] }, source);
  }

  #mediaState(): { audioMuted: boolean; videoMuted: boolean } {
    return mediaState({ producers: [...this.#producers.values()] });
  }

  /** A producer is gone (closed by us or by the SFU): update state and tell the others. */
  async #forgetProducer(producerId: string): Promise<void> {
    const { roomId, peerId } = this.#joined!;
    const before = this.#mediaState();
    this.#producers.delete(producerId);
    await this.#deps.state.removeProducer(roomId, peerId, producerId);
    await this.#announce({ event: 'producerClosed', data: { peerId, producerId } });
    await this.#announceMediaIfChanged(before);
  }

  async #announceMediaIfChanged(before: { audioMuted: boolean; videoMuted: boolean }): Promise<void> {
    const now = this.#mediaState();
    if (now.audioMuted !== before.audioMuted || now.videoMuted !== before.videoMuted) {
      await this.#announce({ event: 'peerMediaChanged', data: { peerId: this.peerId, ...now } });
    }
  }

  /** A push to everyone else in the room (on any instance). */
  async #announce(push: Push): Promise<void> {
    if (!this.#joined) return;
    const { roomId, peerId } = this.#joined;
    try {
      await this.#deps.bus.publishToRoom(roomId, push, { exceptPeerId: peerId });
    } catch (error) {
      this.#log.error({ err: error, event: push.event }, 'could not publish to the room');
    }
  }

  /**
   * A push from the room bus for this peer. Held until the join response is out: keyed on
   * `#heldPushes` rather than on the phase, because the phase turns 'joined' inside the handler,
   * a few microtasks before the response is sent, and a push in that gap would overtake it.
   */
  #onPush(push: Push): void {
    if (this.#heldPushes) this.#heldPushes.push(push);
    else if (this.#phase === 'joined') this.#send(push);
  }

  #flushHeldPushes(alreadyListed: ReadonlySet<string>): void {
    const held = this.#heldPushes ?? [];
    this.#heldPushes = undefined;
    for (const push of held) {
      // A peer that joined during our join can be both in our `peers` list and announced: once is enough.
      if (push.event === 'peerJoined' && alreadyListed.has(push.data.peer.peerId)) continue;
      this.#send(push);
    }
  }

  /**
   * Releases everything the peer holds, once (leave and socket close may both ask): SFU objects, room
   * state, session row, and the room's view of it. Must run inside this session's queue.
   */
  #releaseOnce(reason: LeaveReason): Promise<void> {
    this.#released ??= (async () => {
      const joined = this.#joined;
      const wasJoined = this.#phase === 'joined';
      this.#phase = 'closed';
      if (!wasJoined || !joined) return;
      const { roomId, peerId, sessionId, sfu } = joined;
      const { state, bus, sessions, localPeers } = this.#deps;
      localPeers.remove(this);
      await this.#attempt('detach from the room bus', () => this.#attachment!.detach());
      const removed = await this.#attempt('remove the peer from the room state', () => state.removePeer(roomId, peerId));
      if (removed) {
        await this.#attempt('announce peerLeft', () =>
          bus.publishToRoom(roomId, { event: 'peerLeft', data: { peerId, reason } }, { exceptPeerId: peerId }),
        );
      }
      await Promise.all([
        this.#attempt('close the peer on the SFU', () => sfu.closePeer({ peer: { roomId, peerId }, reason })),
        this.#attempt('record the end of the session', () => sessions.sessionEnded(sessionId, reason)),
      ]);
      this.#transports.clear();
      this.#producers.clear();
      this.#consumers.clear();
      this.#log.info({ reason, sessionId }, 'peer left');
    })();
    return this.#released;
  }

  /** Runs one clean-up step; a failure is logged and the remaining steps still run. */
  async #attempt<T>(what: string, step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step();
    } catch (error) {
      this.#log.error({ err: error }, `could not ${what}`);
      return undefined;
    }
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task).catch((error: unknown) => {
      // Handlers catch their own errors; reaching this is a bug, and it must not stop later tasks.
      this.#log.error({ err: error }, 'peer session task failed');
    });
    this.#queue = run;
    return run;
  }

  #send(message: ResponseEnvelope | Push): void {
    if (this.#socketOpen) this.#sink.send(message);
  }

  #ids(): { roomId?: string; peerId?: string } {
    return this.#joined ? { roomId: this.#joined.roomId, peerId: this.#joined.peerId } : {};
  }
}
