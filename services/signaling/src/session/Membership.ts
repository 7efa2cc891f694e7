/**
 * A session's membership of its room, and the phases it goes through:
 *
 *   connected ──join──▶ joined ──leave / socket close / idle timeout──▶ closed
 *        └──────────────── socket close ─────────────────────────────────▲
 *
 * `join` must come first and only once (a failed join returns to `connected`); every other method
 * needs `joined`; nothing works once `closed` (a client that left opens a new socket to join again).
 * The join takes a seat in the room state, records the session, registers the peer on the SFU and
 * announces it; the release gives all of that back, exactly once, however the session ends.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Method, PeerInfo, Push, RequestData, ResponseData } from '@lab/proto/signaling';
import type { LeaveReason } from '../db/SessionRepository.ts';
import { InvalidStateError, RateLimitedError } from '../errors.ts';
import type { LocalPeer } from '../LocalPeerRegistry.ts';
import { parseSfuJson } from '../sfu/sfuMapping.ts';
import type { SfuApi } from '../sfu/SfuGateway.ts';
import type { BusAttachment } from '../state/RoomBus.ts';
import { metricsName } from '../telemetry/metricsName.ts';
import { startSessionSpan } from '../telemetry/tracing.ts';
import type { SessionContext } from './SessionContext.ts';

export type PeerSessionPhase = 'connected' | 'joining' | 'joined' | 'closed';

/** Who the session is once joined. */
export interface JoinedPeer {
  roomId: string;
  peerId: string;
  sessionId: string;
  /** Its name in metrics labels, unique in the room (telemetry/metricsName.ts). */
  metricsName: string;
  /** The SFU node hosting the room. */
  sfu: SfuApi;
  /** The peer as SFU requests name it. */
  peer: { roomId: string; peerId: string };
}

export interface MembershipOptions {
  /** The session, as the registry of this instance's peers knows it. */
  self: LocalPeer;
  /** Forgets what the session keeps about the peer's media (its SFU objects are gone with the peer). */
  onRelease(): void;
}

export class Membership {
  readonly #context: SessionContext;
  readonly #options: MembershipOptions;
  #phase: PeerSessionPhase = 'connected';
  #joined?: JoinedPeer;
  #attachment?: BusAttachment;
  /** Pushes that arrive while the join is in progress; sent right after the join response. */
  #heldPushes?: Push[];
  #released?: Promise<void>;
  /** False once the SFU lost the peer (mediaLost) until it is registered there again (ensureOnSfu). */
  #onSfu = false;

  constructor(context: SessionContext, options: MembershipOptions) {
    this.#context = context;
    this.#options = options;
  }

  get phase(): PeerSessionPhase {
    return this.#phase;
  }

  get joined(): JoinedPeer | undefined {
    return this.#joined;
  }

  /** The joined peer, or the invalid_state error `method` deserves before join or after leave. */
  requireJoined(method: Method): JoinedPeer {
    if (this.#phase !== 'joined' || !this.#joined) {
      throw new InvalidStateError(
        this.#phase === 'closed' ? `${method} after leave: this connection has left its room` : `${method} before join: send join first`,
      );
    }
    return this.#joined;
  }

  async join({ roomId, displayName }: RequestData<'join'>): Promise<Omit<ResponseData<'join'>, 'resumeToken'>> {
    if (this.#phase === 'joined') throw new InvalidStateError(`already joined room ${JSON.stringify(this.#joined?.roomId)}; join only once per connection`);
    if (this.#phase === 'closed') throw new InvalidStateError('this connection has left its room; open a new connection to join again');
    const started = performance.now();
    const { deps } = this.#context;
    const { state, bus, sessions, sessionEnds, sfuDirectory } = deps;
    await this.#takeRoomCreation(roomId);
    const peerId = randomUUID();
    const sessionId = randomUUID();
    this.#phase = 'joining';
    this.#heldPushes = [];

    // Attach to the room's pushes before taking a seat in the room state, so that nobody who joins
    // around the same time can be missed: peers listed in our response were marked joined before we
    // took our seat; anyone marked later announces itself with a peerJoined that reaches us (held
    // until our response is out, and dropped if that peer is in our list after all).
    const rollback: Array<() => Promise<unknown>> = [];
    let databaseFailed = false;
    try {
      const attachment = await bus.attach(roomId, peerId, (push) => this.#onPush(push));
      this.#attachment = attachment;
      rollback.push(() => attachment.detach());

      const added = await state.addPeer(roomId, { peerId, displayName, producers: [] }, { maxPeers: deps.maxPeersPerRoom });
      if (!added.added) {
        throw new InvalidStateError(`room ${JSON.stringify(roomId)} is full (${deps.maxPeersPerRoom} peers at most)`);
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
      rollback.push(async () => {
        const ending = sessionEnds.record({ sessionId, reason: 'join_failed', endedAt: new Date() });
        // When the database is what failed, waiting for it again would delay the join's `unavailable`
        // answer by another query timeout: the queue writes the end once the database answers.
        if (!databaseFailed) await ending;
      });
      rollback.push(() => sfu.closePeer({ peer: { roomId, peerId }, reason: 'join_failed' }));
      const labelName = metricsName(displayName, peerId, added.others.map((other) => other.displayName));
      // The session record and the SFU round trip are independent: doing them at once takes one of
      // them off the join latency. allSettled, so no rollback runs while the other is in flight.
      const askedSfuAt = performance.now();
      const [recorded, capabilities] = await Promise.allSettled([
        sessions.ensureRoom(roomId).then(() => sessions.sessionStarted({ sessionId, roomId, peerId, displayName, instanceId: deps.instanceId })),
        sfu.getRouterRtpCapabilities({ peer: { roomId, peerId }, displayName: labelName, signalingInstance: deps.instanceId }),
      ]);
      if (recorded.status === 'rejected') {
        databaseFailed = true;
        throw recorded.reason;
      }
      if (capabilities.status === 'rejected') throw capabilities.reason;
      const { rtpCapabilitiesJson, activeSpeakerPeerId } = capabilities.value;
      const routerRtpCapabilities = parseSfuJson('getRouterRtpCapabilities', 'rtp_capabilities_json', rtpCapabilitiesJson);
      await state.markJoined(roomId, peerId, labelName);

      this.#joined = { roomId, peerId, sessionId, metricsName: labelName, sfu, peer: { roomId, peerId } };
      this.#phase = 'joined';
      this.#onSfu = true;
      this.#context.log = this.#context.log.child({ roomId, peerId });
      deps.localPeers.add(this.#options.self);
      const activeSpeaker = deps.localPeers.speakers.forJoin(roomId, askedSfuAt, activeSpeakerPeerId || null);
      deps.metrics.observeJoin((performance.now() - started) / 1000);
      this.#context.log.info({ displayName, sessionId, peers: added.others.length + 1 }, 'peer joined');

      const known = new Set(added.others.map((peer) => peer.peerId));
      const me: PeerInfo = { peerId, displayName, audioMuted: true, videoMuted: true, producers: [] };
      this.#context.afterResponse(async () => {
        this.#flushHeldPushes(known);
        // A socket that closed during the join is released right after this; no need to announce it.
        if (this.#context.isOpen()) await this.announce({ event: 'peerJoined', data: { peer: me } });
      });
      return { peerId, roomId, routerRtpCapabilities, peers: added.others, activeSpeakerPeerId: activeSpeaker };
    } catch (error) {
      this.#phase = 'connected';
      this.#heldPushes = undefined;
      this.#attachment = undefined;
      for (const undo of rollback.reverse()) {
        await undo().catch((undoError: unknown) =>
          this.#context.log.warn({ err: undoError, roomId, peerId }, 'could not undo part of a failed join'),
        );
      }
      throw error;
    }
  }

  /**
   * The SFU no longer holds this peer (its room's worker died, or the SFU restarted): the next media
   * request registers it again first.
   */
  mediaLost(): void {
    this.#onSfu = false;
  }

  /**
   * Registers the peer on the SFU again after mediaLost (GetRouterRtpCapabilities is idempotent per
   * peer; a room whose router is gone gets a new one). `unavailable` while no SFU serves.
   */
  async ensureOnSfu(method: Method): Promise<JoinedPeer> {
    const joined = this.requireJoined(method);
    if (this.#onSfu) return joined;
    const { sfu, peer, metricsName: displayName } = joined;
    await sfu.getRouterRtpCapabilities({ peer, displayName, signalingInstance: this.#context.deps.instanceId });
    if (this.#joined === joined) this.#onSfu = true;
    return joined;
  }

  async leave(): Promise<ResponseData<'leave'>> {
    this.requireJoined('leave');
    // Already inside this session's queue: release directly (queuing it would wait for ourselves).
    await this.release('left');
    return {};
  }

  /**
   * A join of a room nobody is in creates it (a router on the SFU, a room row): such joins count
   * against the client address's SIGNALING_ROOM_CREATIONS_PER_MINUTE, so one host cannot open rooms
   * by the hundred. Two joins racing into a new room may both count; that only errs on the strict side.
   */
  async #takeRoomCreation(roomId: string): Promise<void> {
    const { state, addressLimits, metrics } = this.#context.deps;
    if ((await state.listPeers(roomId)).length > 0) return;
    if (addressLimits.tryCreateRoom(this.#context.remoteAddress)) return;
    metrics.limitHit('room_creations_per_address');
    throw new RateLimitedError(
      `join: too many new rooms from this address (at most ${addressLimits.roomCreationsPerMinute} per minute); join an existing room or wait`,
    );
  }

  /** A push to everyone else in the room (on any instance); a failure is logged, not thrown. */
  async announce(push: Push): Promise<void> {
    if (!this.#joined) return;
    const { roomId, peerId } = this.#joined;
    try {
      await this.#context.deps.bus.publishToRoom(roomId, push, { exceptPeerId: peerId });
    } catch (error) {
      this.#context.log.error({ err: error, event: push.event }, 'could not publish to the room');
    }
  }

  /**
   * Releases everything the peer holds, once (leave and socket close may both ask): SFU objects, room
   * state, session row, and the room's view of it. Must run inside the session's queue. `endedAt`
   * (when the session ended: the socket's close) is the left_at written, however late the database takes it.
   */
  release(reason: LeaveReason, endedAt: Date = new Date()): Promise<void> {
    this.#released ??= (async () => {
      const joined = this.#joined;
      const wasJoined = this.#phase === 'joined';
      this.#phase = 'closed';
      if (!wasJoined || !joined) return;
      // Inside the `leave` request's span when asked for; a trace of its own after a socket closed.
      const span = startSessionSpan('release', 'internal');
      // Each step catches its own failure; 'internal' stays only if the release itself threw.
      let result: 'ok' | 'internal' = 'internal';
      try {
        await span.run(() => this.#releaseJoined(joined, reason, endedAt));
        result = 'ok';
      } finally {
        span.end(result, joined);
      }
    })();
    return this.#released;
  }

  async #releaseJoined({ roomId, peerId, sessionId, sfu }: JoinedPeer, reason: LeaveReason, endedAt: Date): Promise<void> {
    const { state, bus, sessionEnds, localPeers } = this.#context.deps;
    localPeers.remove(this.#options.self);
    await this.#attempt('detach from the room bus', () => this.#attachment!.detach());
    const removed = await this.#attempt('remove the peer from the room state', () => state.removePeer(roomId, peerId));
    if (removed) {
      await this.#attempt('announce peerLeft', () =>
        bus.publishToRoom(roomId, { event: 'peerLeft', data: { peerId, reason } }, { exceptPeerId: peerId }),
      );
    }
    await Promise.all([
      this.#attempt('close the peer on the SFU', () => sfu.closePeer({ peer: { roomId, peerId }, reason })),
      // Never fails: an end the database cannot take now is retried until it can (PendingSessionEnds).
      sessionEnds.record({ sessionId, reason, endedAt }),
    ]);
    this.#options.onRelease();
    this.#context.log.info({ reason, sessionId }, 'peer left');
  }

  /**
   * A push from the room bus for this peer. Held until the join response is out: keyed on
   * `#heldPushes` rather than on the phase, because the phase turns 'joined' inside the handler,
   * a few microtasks before the response is sent, and a push in that gap would overtake it.
   */
  #onPush(push: Push): void {
    if (this.#heldPushes) this.#heldPushes.push(push);
    else if (this.#phase === 'joined') this.#context.send(push);
  }

  #flushHeldPushes(alreadyListed: ReadonlySet<string>): void {
    const held = this.#heldPushes ?? [];
    this.#heldPushes = undefined;
    for (const push of held) {
      // A peer that joined during our join can be both in our `peers` list and announced: once is enough.
      if (push.event === 'peerJoined' && alreadyListed.has(push.data.peer.peerId)) continue;
      this.#context.send(push);
    }
  }

  /** Runs one clean-up step; a failure is logged and the remaining steps still run. */
  async #attempt<T>(what: string, step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step();
    } catch (error) {
      this.#context.log.error({ err: error }, `could not ${what}`);
      return undefined;
    }
  }
}
