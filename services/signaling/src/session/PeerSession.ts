/**
 * One per WebSocket: the protocol's handlers over the session's parts, each with one job —
 * RequestQueue (one request at a time, one response each), Membership (the phases, join and
 * release), PeerMedia (transports, producers, consumers), sfuEvents (what the SFU tells about this
 * peer) and telemetry/BrowserStats (the page's reportStats samples). It also times the join's
 * phases as the page lives them (socket open → joined → first consume answered).
 *
 * A joined session outlives a lost socket for the resume grace (ResumableSessions): pushes are held
 * meanwhile, and a new socket whose first request is `resume` takes the session over — that socket's
 * own PeerSession then only forwards to it.
 */
import { performance } from 'node:perf_hooks';
import type { SfuEvent__Output } from '@lab/proto/sfu';
import type { Method, Push, RequestData, ResponseData, ResponseEnvelope } from '@lab/proto/signaling';
import type { LeaveReason } from '../db/SessionRepository.ts';
import { InvalidStateError, NotFoundError } from '../errors.ts';
import type { LocalPeer } from '../LocalPeerRegistry.ts';
import { moduleLogger } from '../logger.ts';
import type { ParsedRequest } from '../protocol/parseRequest.ts';
import { BrowserStats } from '../telemetry/BrowserStats.ts';
import { Membership, type PeerSessionPhase } from './Membership.ts';
import { PeerMedia } from './PeerMedia.ts';
import { RequestQueue } from './RequestQueue.ts';
import type { PeerSessionDeps, SessionContext, SocketSink } from './SessionContext.ts';
import type { ParkedSession } from './ResumableSessions.ts';
import { applySfuEvent } from './sfuEvents.ts';

export type { PeerSessionDeps, SocketSink } from './SessionContext.ts';
export type { PeerSessionPhase } from './Membership.ts';

const log = moduleLogger('PeerSession');

/** Pushes held for a session waiting to be resumed; a room busier than this is better rejoined. */
const MAX_HELD_PUSHES = 256;

type Handlers = { [M in Method]: (data: RequestData<M>) => Promise<ResponseData<M>> };

export class PeerSession implements LocalPeer, ParkedSession {
  readonly #context: SessionContext;
  /** The socket; undefined while the session waits to be resumed. */
  #sink: SocketSink | undefined;
  /** Pushes that came while the session waited to be resumed; sent after the resume response. */
  #heldPushes?: Push[];
  #resumeToken = '';
  /** When the socket of a session waiting for a resume was lost: its end time if none comes. */
  #lostAt?: Date;
  /** The waiting session this socket resumed: everything of this socket now goes to it. */
  #resumed?: PeerSession;
  readonly #queue: RequestQueue;
  readonly #membership: Membership;
  readonly #media: PeerMedia;
  readonly #stats: BrowserStats;
  readonly #handlers: Handlers;
  #socketOpen = true;
  readonly #openedAt = performance.now();
  /** When the join was answered; undefined until then and again once the first consume was. */
  #joinAnsweredAt?: number;

  constructor(deps: PeerSessionDeps, sink: SocketSink, context: { remoteAddress?: string } = {}) {
    this.#sink = sink;
    this.#context = {
      deps,
      remoteAddress: context.remoteAddress ?? '',
      closeForPolicyViolation: (reason) => {
        if (this.#socketOpen) sink.closeForPolicyViolation(reason);
      },
      log: log.child({ remoteAddress: context.remoteAddress }),
      isOpen: () => this.#socketOpen,
      send: (message: ResponseEnvelope | Push) => this.#send(message),
      afterResponse: (work) => this.#queue.afterResponse(work),
    };
    this.#stats = new BrowserStats({ metrics: deps.metrics, state: deps.state });
    this.#membership = new Membership(this.#context, {
      self: this,
      onRelease: () => {
        this.#media.clear();
        this.#stats.clear();
      },
    });
    this.#media = new PeerMedia(this.#context, this.#membership, {
      onConsumerGone: (consumerId) => this.#stats.consumerGone(consumerId),
      onProducerGone: (source) => this.#stats.sourceGone(source),
    });
    this.#queue = new RequestQueue(this.#context, {
      handle: (request) => this.#handle(request),
      ids: () => this.#ids(),
      answered: (method, ok) => this.#answered(method, ok),
    });
    const media = this.#media;
    this.#handlers = {
      join: async (data) => {
        const joined = await this.#membership.join(data);
        this.#resumeToken = deps.resumable.enabled ? deps.resumable.newToken() : '';
        return { ...joined, resumeToken: this.#resumeToken };
      },
      resume: (data) => this.#resume(data.resumeToken),
      createTransport: (data) => media.createTransport(data),
      connectTransport: (data) => media.connectTransport(data),
      restartIce: (data) => media.restartIce(data),
      produce: (data) => media.produce(data),
      closeProducer: (data) => media.closeProducer(data),
      setMuted: (data) => media.setMuted(data),
      consume: (data) => media.consume(data),
      resumeConsumer: (data) => media.resumeConsumer(data),
      leave: () => this.#membership.leave(),
      reportStats: async (sample) => {
        await this.#stats.report(sample, this.#membership.requireJoined('reportStats'), media);
        return {};
      },
    };
  }

  get phase(): PeerSessionPhase {
    return this.#membership.phase;
  }
  get roomId(): string {
    return this.#membership.joined?.roomId ?? '';
  }
  get peerId(): string {
    return this.#membership.joined?.peerId ?? '';
  }

  /** One inbound text frame. */
  onMessage(frame: string): void {
    if (this.#resumed) this.#resumed.onMessage(frame);
    else this.#queue.onFrame(frame);
  }

  /** One inbound binary frame: the protocol is JSON text only. */
  onBinaryMessage(): void {
    if (this.#resumed) this.#resumed.onBinaryMessage();
    else this.#queue.onBinaryFrame();
  }

  /**
   * The socket closed (by the client, a reload, the idle timeout or server shutdown). A joined
   * session whose socket was `lost` (no close from the page: the network or a crash) waits for a
   * resume when resuming is on; otherwise
   * the peer is released after the request in progress, if any, has finished. Resolves when the
   * release is done (at once when the session waits).
   */
  socketClosed(reason: LeaveReason = 'disconnected', options: { lost?: boolean } = {}): Promise<void> {
    if (this.#resumed) return this.#resumed.socketClosed(reason, options);
    this.#socketOpen = false;
    this.#sink = undefined;
    // The session ended now, even if its release waits behind a request in progress or a resume.
    const endedAt = new Date();
    const { resumable } = this.#context.deps;
    if (options.lost && this.#resumeToken && resumable.enabled && this.#membership.phase === 'joined') {
      this.#lostAt = endedAt;
      this.#heldPushes = [];
      resumable.park(this.#resumeToken, this);
      this.#context.log.info('socket lost; holding the session for a resume');
      return Promise.resolve();
    }
    return this.#release(reason, endedAt);
  }

  /** The resume grace passed: the peer is released as its socket's close would have, at that time. */
  expire(): Promise<void> {
    this.#heldPushes = undefined;
    return this.#release('disconnected', this.#lostAt);
  }

  handleSfuEvent(event: SfuEvent__Output): void {
    if (event.event === 'roomClosed') {
      // Every transport, producer and consumer of the room went with its router.
      this.mediaLost(`room closed on the SFU: ${event.roomClosed?.reason ?? 'unknown'}`);
      return;
    }
    void this.#queue.enqueue(async () => {
      if (this.#membership.phase === 'joined') await applySfuEvent(event, this.#media, (push) => this.#context.send(push));
    });
  }

  /**
   * The SFU no longer holds this peer's media. The session forgets it (the room hears its producers
   * close), registers the peer on the SFU again when one serves, and tells the page to set its media
   * up again (`mediaReset`, with the room as it is now).
   */
  mediaLost(reason: string): void {
    void this.#queue.enqueue(async () => {
      const joined = this.#membership.joined;
      if (this.#membership.phase !== 'joined' || !joined) return;
      this.#context.log.warn({ reason }, 'the SFU lost this peer\'s media; resetting it');
      this.#membership.mediaLost();
      await this.#media.lost();
      // Registered again now, so the page's createTransport finds a router; while no SFU serves, that
      // createTransport registers it (and answers `unavailable` until one does).
      await this.#membership.ensureOnSfu('createTransport').catch((error: unknown) =>
        this.#context.log.warn({ err: error }, 'could not register the peer on the SFU again yet'),
      );
      const peers = (await this.#context.deps.state.listPeers(joined.roomId)).filter((peer) => peer.peerId !== joined.peerId);
      this.#context.deps.metrics.mediaReset();
      this.#context.send({ event: 'mediaReset', data: { reason, peers } });
    });
  }

  #release(reason: LeaveReason, endedAt = new Date()): Promise<void> {
    this.#context.deps.resumable.forget(this.#resumeToken);
    return this.#queue.enqueue(() => this.#membership.release(reason, endedAt));
  }

  /** `resume` on a new socket: takes over the waiting session of `token` (see the file comment). */
  async #resume(token: string): Promise<ResponseData<'resume'>> {
    if (this.#membership.phase !== 'connected') {
      throw new InvalidStateError('resume must be the first request on a new connection');
    }
    const waiting = this.#context.deps.resumable.take<PeerSession>(token);
    if (!waiting) {
      throw new NotFoundError('no session to resume: it ended (the resume grace passed) or another server held it; join again');
    }
    const joined = waiting.#membership.joined!;
    waiting.#sink = this.#sink;
    waiting.#socketOpen = true;
    // From here on this socket's own session is only a door to the waiting one (see onMessage). A
    // request the page sent behind `resume` is already in this session's queue: closing it refuses
    // that one (invalid_state) instead of, say, joining a second peer on this socket.
    this.#resumed = waiting;
    this.#membership.release('left').catch(() => undefined);
    const peers = (await this.#context.deps.state.listPeers(joined.roomId)).filter((peer) => peer.peerId !== joined.peerId);
    this.#context.afterResponse(async () => waiting.#flushHeldPushes());
    this.#context.deps.metrics.sessionResumed();
    waiting.#context.log.info('session resumed on a new socket');
    // Pushes sent before the server noticed the lost socket went with it: the current speaker is in the answer.
    const activeSpeakerPeerId = this.#context.deps.localPeers.speakers.current(joined.roomId);
    return { peerId: joined.peerId, roomId: joined.roomId, peers, activeSpeakerPeerId };
  }

  #send(message: ResponseEnvelope | Push): void {
    if (this.#heldPushes) {
      // Responses belong to the lost socket's requests: the page has given up on them.
      if (!('event' in message)) return;
      this.#heldPushes.push(message);
      if (this.#heldPushes.length > MAX_HELD_PUSHES) {
        this.#context.log.warn({ held: this.#heldPushes.length }, 'too many pushes held for a resume; releasing the session');
        void this.expire();
      }
      return;
    }
    if (this.#socketOpen) this.#sink?.send(message);
  }

  #flushHeldPushes(): void {
    const held = this.#heldPushes ?? [];
    this.#heldPushes = undefined;
    for (const push of held) this.#send(push);
  }

  #handle(request: ParsedRequest): Promise<unknown> {
    return (this.#handlers[request.method] as (data: unknown) => Promise<unknown>)(request.data);
  }

  /** The join's phases, from the page's side: socket open → join answered → first consume answered. */
  #answered(method: Method, ok: boolean): void {
    if (!ok) return;
    const { metrics } = this.#context.deps;
    if (method === 'join') {
      this.#joinAnsweredAt = performance.now();
      metrics.observeJoinPhase('socket_to_joined', (this.#joinAnsweredAt - this.#openedAt) / 1000);
    } else if (method === 'consume' && this.#joinAnsweredAt !== undefined) {
      metrics.observeJoinPhase('joined_to_first_consume', (performance.now() - this.#joinAnsweredAt) / 1000);
      this.#joinAnsweredAt = undefined;
    }
  }

  #ids(): { roomId?: string; peerId?: string } {
    const joined = this.#membership.joined;
    return joined ? { roomId: joined.roomId, peerId: joined.peerId } : {};
  }
}
