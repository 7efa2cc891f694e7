/**
 * A joined peer's media on the SFU: its transports, producers and consumers, the requests that create
 * and change them, and what follows when the SFU closes one of them on its own. The session keeps
 * its own list of them so that bad ids and wrong transport directions get precise errors here,
 * without a round trip, and so that a consumer's stream can be named in browser-reported metrics.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  MediaSource,
  type MediaKind,
  type ProducerInfo,
  type RequestData,
  type ResponseData,
  type TransportDirection,
} from '@lab/proto/signaling';
import { InvalidStateError, LimitExceededError, NotFoundError, SfuCallError, ValidationError } from '../errors.ts';
import type { LimitName } from '../metrics.ts';
import { fromSfuKind, iceParametersFromSfu, parseSfuJson, toSfuDirection, toSfuKind, transportFromSfu } from '../sfu/sfuMapping.ts';
import { mediaState, producerFor } from '../state/RoomStateStore.ts';
import type { JoinedPeer, Membership } from './Membership.ts';
import { MediaStateAnnouncer } from './MediaStateAnnouncer.ts';
import type { SessionContext } from './SessionContext.ts';

/**
 * Shortest time between two peerMediaChanged of one peer: fast enough that people see a mute at
 * once, slow enough that a client toggling in a loop cannot flood the room.
 */
export const MEDIA_ANNOUNCE_WINDOW_MS = 100;

/** Which source may carry which kind. */
const SOURCE_KIND = { mic: 'audio', camera: 'video', screen: 'video' } as const satisfies Record<MediaSource, string>;

/** What one of this peer's consumers receives: whose track, of which kind and source. */
export interface ConsumedStream {
  producerPeerId: string;
  kind: MediaKind;
  source: MediaSource;
}

export interface PeerMediaOptions {
  /** A consumer of this peer is gone (the SFU closed it). */
  onConsumerGone(consumerId: string): void;
  /** This peer's producer of `source` is gone (closed on request or by the SFU). */
  onProducerGone(source: MediaSource): void;
}

export class PeerMedia {
  readonly #context: SessionContext;
  readonly #membership: Pick<Membership, 'requireJoined' | 'announce' | 'joined' | 'phase' | 'ensureOnSfu'>;
  readonly #options: PeerMediaOptions;
  readonly #transports = new Map<string, TransportDirection>();
  readonly #producers = new Map<string, ProducerInfo>();
  readonly #consumers = new Map<string, ConsumedStream>();
  readonly #mediaAnnouncer: MediaStateAnnouncer;

  constructor(
    context: SessionContext,
    membership: Pick<Membership, 'requireJoined' | 'announce' | 'joined' | 'phase' | 'ensureOnSfu'>,
    options: PeerMediaOptions,
  ) {
    this.#context = context;
    this.#membership = membership;
    this.#options = options;
    this.#mediaAnnouncer = new MediaStateAnnouncer({
      windowMs: MEDIA_ANNOUNCE_WINDOW_MS,
      current: () => this.#mediaState(),
      publish: async (state) => {
        const joined = this.#membership.joined;
        if (joined) await this.#membership.announce({ event: 'peerMediaChanged', data: { peerId: joined.peerId, ...state } });
      },
      active: () => this.#membership.phase === 'joined',
    });
  }

  /** What consumer `consumerId` of this peer receives; undefined when it is not (or no longer) one. */
  consumer(consumerId: string): ConsumedStream | undefined {
    return this.#consumers.get(consumerId);
  }

  /** Whether this peer has a producer of `source` now. */
  sends(source: MediaSource): boolean {
    return this.#producerFor(source) !== undefined;
  }

  async createTransport({ direction }: RequestData<'createTransport'>): Promise<ResponseData<'createTransport'>> {
    this.#membership.requireJoined('createTransport');
    this.#requireRoomFor('transports_per_peer', 'createTransport', this.#transports.size, this.#context.deps.limits.maxTransportsPerPeer, 'transports');
    // After a mediaReset the page starts again here: the peer is registered on the SFU anew first.
    const { sfu, peer } = await this.#membership.ensureOnSfu('createTransport');
    const response = await sfu.createWebRtcTransport({ peer, direction: toSfuDirection(direction) });
    this.#transports.set(response.transportId, direction);
    return transportFromSfu(response);
  }

  async connectTransport({ transportId, dtlsParameters }: RequestData<'connectTransport'>): Promise<ResponseData<'connectTransport'>> {
    const { sfu, peer } = this.#membership.requireJoined('connectTransport');
    this.#requireTransport(transportId);
    await sfu.connectWebRtcTransport({
      peer,
      transportId,
      dtlsParameters: { role: dtlsParameters.role ?? 'auto', fingerprints: dtlsParameters.fingerprints },
    });
    return {};
  }

  async restartIce({ transportId }: RequestData<'restartIce'>): Promise<ResponseData<'restartIce'>> {
    const { sfu, peer } = this.#membership.requireJoined('restartIce');
    this.#requireTransport(transportId);
    const response = await sfu.restartIce({ peer, transportId });
    return { iceParameters: iceParametersFromSfu(response.iceParameters) };
  }

  async produce(data: RequestData<'produce'>): Promise<ResponseData<'produce'>> {
    const { sfu, peer, roomId, peerId } = this.#membership.requireJoined('produce');
    const { transportId, kind, source, rtpParameters, paused } = data;
    this.#requireRoomFor('producers_per_peer', 'produce', this.#producers.size, this.#context.deps.limits.maxProducersPerPeer, 'producers');
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
      await this.#context.deps.state.addProducer(roomId, peerId, producer);
    } catch (error) {
      await sfu.closeProducer({ peer, producerId }).catch(() => undefined);
      throw error;
    }
    this.#producers.set(producerId, producer);
    this.#context.afterResponse(async () => {
      await this.#membership.announce({ event: 'newProducer', data: { peerId, producer } });
      await this.#mediaAnnouncer.announceNow();
    });
    return { producerId };
  }

  async closeProducer({ producerId }: RequestData<'closeProducer'>): Promise<ResponseData<'closeProducer'>> {
    const joined = this.#membership.requireJoined('closeProducer');
    const { sfu, peer } = joined;
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
      this.#context.log.warn({ producerId, err: error }, 'producer already gone on the SFU; forgetting it');
    }
    await this.#forgetProducer(producerId, joined);
    return {};
  }

  async setMuted({ source, muted }: RequestData<'setMuted'>): Promise<ResponseData<'setMuted'>> {
    const { sfu, peer, roomId, peerId } = this.#membership.requireJoined('setMuted');
    const producer = this.#producerFor(source);
    if (producer && producer.paused !== muted) {
      const request = { peer, producerId: producer.producerId };
      const { paused } = muted ? await sfu.pauseProducer(request) : await sfu.resumeProducer(request);
      producer.paused = paused;
      await this.#context.deps.state.setProducerPaused(roomId, peerId, producer.producerId, paused);
    }
    // Announced when the state changed, at most once per MEDIA_ANNOUNCE_WINDOW_MS (the last change
    // of a burst at the end of the window), so a toggling loop cannot flood the room.
    this.#context.afterResponse(() => this.#mediaAnnouncer.changed());
    return this.#mediaState();
  }

  async consume({ transportId, producerId, rtpCapabilities }: RequestData<'consume'>): Promise<ResponseData<'consume'>> {
    const { sfu, peer } = this.#membership.requireJoined('consume');
    this.#requireRoomFor('consumers_per_peer', 'consume', this.#consumers.size, this.#context.deps.limits.maxConsumersPerPeer, 'consumers');
    if (this.#requireTransport(transportId) !== 'recv') {
      throw new InvalidStateError(`transport ${JSON.stringify(transportId)} is a send transport; consume needs a recv transport`);
    }
    const peers = await this.#context.deps.state.listPeers(peer.roomId);
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
    const stream: ConsumedStream = { producerPeerId: response.producerPeerId, kind: fromSfuKind(response.kind), source: parsedSource.data };
    this.#consumers.set(response.consumerId, stream);
    return {
      consumerId: response.consumerId,
      producerId: response.producerId,
      peerId: stream.producerPeerId,
      kind: stream.kind,
      source: stream.source,
      rtpParameters: parseSfuJson('consume', 'rtp_parameters_json', response.rtpParametersJson),
      producerPaused: response.producerPaused,
    };
  }

  async resumeConsumer({ consumerId }: RequestData<'resumeConsumer'>): Promise<ResponseData<'resumeConsumer'>> {
    const { sfu, peer } = this.#membership.requireJoined('resumeConsumer');
    if (!this.#consumers.has(consumerId)) {
      throw new NotFoundError(`consumer ${JSON.stringify(consumerId)} is not one of this peer's consumers`);
    }
    await sfu.resumeConsumer({ peer, consumerId });
    return {};
  }

  /** The SFU closed one of this peer's consumers (its producer or transport went away). */
  consumerClosed(consumerId: string): void {
    if (this.#consumers.delete(consumerId)) this.#options.onConsumerGone(consumerId);
  }

  /** The SFU closed one of this peer's transports. */
  transportClosed(transportId: string): void {
    this.#transports.delete(transportId);
  }

  /** The SFU closed one of this peer's producers on its own (e.g. its transport failed): tell the room as for closeProducer. */
  async producerClosed(producerId: string): Promise<void> {
    const joined = this.#membership.joined;
    if (joined && this.#producers.has(producerId)) await this.#forgetProducer(producerId, joined);
  }

  /**
   * The SFU lost all of this peer's media (mediaReset): its producers leave the room state and the
   * others hear `producerClosed` (their consumers of them are gone too), and the session forgets its
   * transports and consumers. The page then sets its media up again from scratch.
   */
  async lost(): Promise<void> {
    const joined = this.#membership.joined;
    if (joined) {
      for (const producerId of [...this.#producers.keys()]) await this.#forgetProducer(producerId, joined);
    }
    for (const consumerId of [...this.#consumers.keys()]) this.consumerClosed(consumerId);
    this.#transports.clear();
  }

  /** The peer left: its SFU objects are gone with it. */
  clear(): void {
    this.#mediaAnnouncer.clear();
    this.#transports.clear();
    this.#producers.clear();
    this.#consumers.clear();
  }

  /** Refuses (limit_exceeded) a request that would give the peer more than `max` of something. */
  #requireRoomFor(limit: LimitName, method: string, count: number, max: number, what: string): void {
    if (count < max) return;
    this.#context.deps.metrics.limitHit(limit);
    throw new LimitExceededError(`${method}: this peer already has ${count} ${what}, the most allowed (${max})`);
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
  async #forgetProducer(producerId: string, { roomId, peerId }: JoinedPeer): Promise<void> {
    const producer = this.#producers.get(producerId);
    this.#producers.delete(producerId);
    if (producer) this.#options.onProducerGone(producer.source);
    await this.#context.deps.state.removeProducer(roomId, peerId, producerId);
    await this.#membership.announce({ event: 'producerClosed', data: { peerId, producerId } });
    await this.#mediaAnnouncer.announceNow();
  }
}
