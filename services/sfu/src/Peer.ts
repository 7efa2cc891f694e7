/**
 * One peer in one room: its WebRTC transports and the producers and consumers on them. Every lookup
 * goes through the peer's own maps, so an id belonging to another peer is simply "not found" — the
 * ownership check the proto promises.
 *
 * mediasoup events on the peer's objects become SfuEvents (for the peer as owner). While the peer or
 * its room is closing, the events its own objects fire are not published: the owner is going away
 * and RoomClosed / the caller's own request already says so.
 */
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import type { RoomPeer } from '@lab/proto/sfu';
import { DeadlineExceededError, FailedPreconditionError, NotFoundError, ResourceExhaustedError, UnavailableError } from './errors.ts';
import type { SfuEventInit } from './EventFeed.ts';

export type PublishEvent = (event: SfuEventInit) => void;

export type TransportDirectionLabel = 'send' | 'recv' | 'unspecified';

/** How WebRTC transports listen; the same for every transport of the SFU (from config). */
export type WebRtcTransportSettings = {
  listenIp: string;
  announcedAddress?: string;
  minPort: number;
  maxPort: number;
};

/**
 * The most of each object one peer may hold (config.limits). Signaling enforces lower caps of its
 * own; these are the SFU's defence when a caller does not, so one peer cannot take every port.
 */
export type PeerLimits = {
  maxTransportsPerPeer: number;
  maxProducersPerPeer: number;
  maxConsumersPerPeer: number;
};

/**
 * What the mediasoup worker (RTC/PortManager.cpp) says when it cannot give a new transport a port:
 * every port of the range is bound, or the process ran out of file descriptors. Neither is the
 * caller's fault nor a bug: UNAVAILABLE, and retrying later (or on another SFU) can work.
 */
const NO_PORT_ERROR = /no more available ports|port bind failed due to too many open files/;

/** Kept in mediasoup's appData of a producer, and echoed to consumers of it. */
export type ProducerAppData = { peerId: string; source: string };
/** Kept in mediasoup's appData of a consumer. */
export type ConsumerAppData = { peerId: string; producerPeerId: string; source: string };
/** Kept in mediasoup's appData of a transport. */
export type TransportAppData = { peerId: string; direction: TransportDirectionLabel };

export type PeerOptions = {
  id: string;
  /** The peer's name in metrics labels (from signaling; docs/metrics.md). */
  displayName: string;
  roomId: string;
  router: ms.Router;
  transportSettings: WebRtcTransportSettings;
  limits: PeerLimits;
  publish: PublishEvent;
  /** True while the room is closing: events of the peer's objects are then not published. */
  roomClosing: () => boolean;
  /** Told of each producer the peer creates (the room observes audio ones for its active speaker). */
  producerCreated?: (producer: ms.Producer<ProducerAppData>) => void;
  log: Logger;
};

/** What `signal` means in every create method: the gRPC call that asked for it is still waiting. */
type CreateOptions = { signal: AbortSignal };

export class Peer {
  readonly id: string;
  readonly displayName: string;
  readonly roomId: string;
  readonly #router: ms.Router;
  readonly #transportSettings: WebRtcTransportSettings;
  readonly #limits: PeerLimits;
  /** Creations awaiting mediasoup, counted against the limits so concurrent requests cannot overshoot them. */
  readonly #creating = { transports: 0, producers: 0, consumers: 0 };
  readonly #publish: PublishEvent;
  readonly #producerCreated: ((producer: ms.Producer<ProducerAppData>) => void) | undefined;
  readonly #roomClosing: () => boolean;
  readonly #log: Logger;
  readonly #transports = new Map<string, ms.WebRtcTransport<TransportAppData>>();
  /** Transports whose connect() was called (successfully or still running): a second one is refused. */
  readonly #connectedTransports = new Set<string>();
  readonly #producers = new Map<string, ms.Producer<ProducerAppData>>();
  readonly #consumers = new Map<string, ms.Consumer<ConsumerAppData>>();
  #closed = false;

  constructor(options: PeerOptions) {
    this.id = options.id;
    this.displayName = options.displayName;
    this.roomId = options.roomId;
    this.#router = options.router;
    this.#transportSettings = options.transportSettings;
    this.#limits = options.limits;
    this.#publish = options.publish;
    this.#producerCreated = options.producerCreated;
    this.#roomClosing = options.roomClosing;
    this.#log = options.log.child({ roomId: options.roomId, peerId: options.id });
  }

  get transportCount(): number {
    return this.#transports.size;
  }
  get producerCount(): number {
    return this.#producers.size;
  }
  get consumerCount(): number {
    return this.#consumers.size;
  }

  /** The peer's open transports, producers and consumers (telemetry reads their stats). */
  transports(): ms.WebRtcTransport<TransportAppData>[] {
    return [...this.#transports.values()];
  }
  producers(): ms.Producer<ProducerAppData>[] {
    return [...this.#producers.values()];
  }
  consumers(): ms.Consumer<ConsumerAppData>[] {
    return [...this.#consumers.values()];
  }

  /** The peer's producer with that id, if it has one (used by Room to find a producer to consume). */
  findProducer(producerId: string): ms.Producer<ProducerAppData> | undefined {
    return this.#producers.get(producerId);
  }

  // ---- transports ------------------------------------------------------------------------------

  async createWebRtcTransport(direction: TransportDirectionLabel, { signal }: CreateOptions): Promise<ms.WebRtcTransport<TransportAppData>> {
    this.#assertOpen();
    const { listenIp, announcedAddress, minPort, maxPort } = this.#transportSettings;
    // Same port range for every worker: each worker's port manager skips ports already bound by
    // another worker, so dividing the range is not needed (mediasoup ≥ 3.12 listenInfos.portRange).
    const listen = (protocol: 'udp' | 'tcp'): ms.TransportListenInfo => ({
      protocol,
      ip: listenIp,
      ...(announcedAddress ? { announcedAddress } : {}),
      portRange: { min: minPort, max: maxPort },
    });
    const transport = await this.#creatingOne('transports', this.#transports.size, this.#limits.maxTransportsPerPeer, async () => {
      try {
        return await this.#router.createWebRtcTransport<TransportAppData>({
          listenInfos: [listen('udp'), listen('tcp')],
          enableUdp: true,
          enableTcp: true,
          preferUdp: true,
          // Start video at a useful bitrate instead of mediasoup's 600 kbps default; BWE adapts it.
          initialAvailableOutgoingBitrate: 1_000_000,
          appData: { peerId: this.id, direction },
        });
      } catch (error) {
        if (error instanceof Error && NO_PORT_ERROR.test(error.message)) {
          throw new UnavailableError(`no media port free in ${minPort}..${maxPort} for a new transport (${error.message})`, { cause: error });
        }
        throw error;
      }
    });
    this.#keepOrClose(transport, signal, 'transport');
    this.#transports.set(transport.id, transport);
    transport.observer.once('close', () => {
      this.#transports.delete(transport.id);
      this.#connectedTransports.delete(transport.id);
    });
    const publishState = () => {
      if (this.#silenced()) return;
      this.#publish({
        roomId: this.roomId,
        peerId: this.id,
        transportStateChanged: {
          transportId: transport.id,
          iceState: transport.iceState,
          dtlsState: transport.dtlsState,
        },
      });
    };
    transport.on('icestatechange', publishState);
    transport.on('dtlsstatechange', publishState);
    this.#log.debug({ transportId: transport.id, direction }, 'transport created');
    return transport;
  }

  async connectWebRtcTransport(transportId: string, dtlsParameters: ms.DtlsParameters): Promise<void> {
    const transport = this.#transport(transportId);
    if (this.#connectedTransports.has(transportId)) {
      throw new FailedPreconditionError(`transport_id ${transportId} is already connected`);
    }
    this.#connectedTransports.add(transportId);
    try {
      await transport.connect({ dtlsParameters });
    } catch (error) {
      this.#connectedTransports.delete(transportId);
      throw error;
    }
  }

  async restartIce(transportId: string): Promise<ms.IceParameters> {
    return this.#transport(transportId).restartIce();
  }

  closeTransport(transportId: string): void {
    this.#transport(transportId).close();
  }

  // ---- producers -------------------------------------------------------------------------------

  async produce(
    request: { transportId: string; kind: ms.MediaKind; rtpParameters: ms.RtpParameters; source: string; paused: boolean },
    { signal }: CreateOptions,
  ): Promise<ms.Producer<ProducerAppData>> {
    const transport = this.#transport(request.transportId);
    const producer = await this.#creatingOne('producers', this.#producers.size, this.#limits.maxProducersPerPeer, () =>
      transport.produce<ProducerAppData>({
        kind: request.kind,
        rtpParameters: request.rtpParameters,
        paused: request.paused,
        appData: { peerId: this.id, source: request.source },
      }),
    );
    this.#keepOrClose(producer, signal, 'producer', transport);
    this.#producers.set(producer.id, producer);
    this.#producerCreated?.(producer);
    producer.observer.once('close', () => this.#producers.delete(producer.id));
    producer.on('transportclose', () => {
      if (this.#silenced()) return;
      this.#publish({
        roomId: this.roomId,
        peerId: this.id,
        producerClosed: { producerId: producer.id, reason: 'transportclose' },
      });
    });
    producer.on('score', (scores) => {
      if (this.#silenced()) return;
      this.#publish({
        roomId: this.roomId,
        peerId: this.id,
        producerScore: { producerId: producer.id, scores: scores.map((entry) => entry.score) },
      });
    });
    this.#log.debug({ producerId: producer.id, kind: producer.kind, source: request.source }, 'producer created');
    return producer;
  }

  closeProducer(producerId: string): void {
    this.#producer(producerId).close();
  }

  async pauseProducer(producerId: string): Promise<ms.Producer<ProducerAppData>> {
    const producer = this.#producer(producerId);
    await producer.pause();
    return producer;
  }

  async resumeProducer(producerId: string): Promise<ms.Producer<ProducerAppData>> {
    const producer = this.#producer(producerId);
    await producer.resume();
    return producer;
  }

  // ---- consumers -------------------------------------------------------------------------------

  /** Consumes `producer` (of any peer in the room, possibly this one) on one of this peer's transports, paused. */
  async consume(
    request: { transportId: string; producer: ms.Producer<ProducerAppData>; rtpCapabilities: ms.RtpCapabilities },
    { signal }: CreateOptions,
  ): Promise<ms.Consumer<ConsumerAppData>> {
    const transport = this.#transport(request.transportId);
    const { producer } = request;
    if (!this.#router.canConsume({ producerId: producer.id, rtpCapabilities: request.rtpCapabilities })) {
      throw new FailedPreconditionError(
        `rtp_capabilities_json cannot receive producer ${producer.id} (${producer.kind}): no codec in common`,
      );
    }
    const consumer = await this.#creatingOne('consumers', this.#consumers.size, this.#limits.maxConsumersPerPeer, () =>
      transport.consume<ConsumerAppData>({
        producerId: producer.id,
        rtpCapabilities: request.rtpCapabilities,
        // Paused until the browser has set up its receiver (ResumeConsumer): the first packet it gets
        // then belongs to a key frame mediasoup requests on resume.
        paused: true,
        appData: { peerId: this.id, producerPeerId: producer.appData.peerId, source: producer.appData.source },
      }),
    );
    this.#keepOrClose(consumer, signal, 'consumer', transport);
    this.#consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.#consumers.delete(consumer.id));
    const publishClosed = (reason: 'producerclose' | 'transportclose') => {
      if (this.#silenced()) return;
      this.#publish({
        roomId: this.roomId,
        peerId: this.id,
        consumerClosed: { consumerId: consumer.id, producerId: consumer.producerId, reason },
      });
    };
    consumer.on('producerclose', () => publishClosed('producerclose'));
    consumer.on('transportclose', () => publishClosed('transportclose'));
    consumer.on('producerpause', () => {
      if (this.#silenced()) return;
      this.#publish({
        roomId: this.roomId,
        peerId: this.id,
        consumerProducerPaused: { consumerId: consumer.id, producerId: consumer.producerId },
      });
    });
    consumer.on('producerresume', () => {
      if (this.#silenced()) return;
      this.#publish({
        roomId: this.roomId,
        peerId: this.id,
        consumerProducerResumed: { consumerId: consumer.id, producerId: consumer.producerId },
      });
    });
    consumer.on('score', (score) => {
      if (this.#silenced()) return;
      this.#publish({
        roomId: this.roomId,
        peerId: this.id,
        consumerScore: { consumerId: consumer.id, score: score.score, producerScore: score.producerScore },
      });
    });
    this.#log.debug({ consumerId: consumer.id, producerId: producer.id }, 'consumer created');
    return consumer;
  }

  async resumeConsumer(consumerId: string): Promise<ms.Consumer<ConsumerAppData>> {
    const consumer = this.#consumer(consumerId);
    await consumer.resume();
    return consumer;
  }

  async pauseConsumer(consumerId: string): Promise<ms.Consumer<ConsumerAppData>> {
    const consumer = this.#consumer(consumerId);
    await consumer.pause();
    return consumer;
  }

  closeConsumer(consumerId: string): void {
    this.#consumer(consumerId).close();
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Closes every transport (and so every producer and consumer) of the peer. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const transport of [...this.#transports.values()]) transport.close();
    this.#transports.clear();
    this.#producers.clear();
    this.#consumers.clear();
  }

  snapshot(): RoomPeer {
    return {
      peerId: this.id,
      transportIds: [...this.#transports.keys()],
      producerIds: [...this.#producers.keys()],
      consumerIds: [...this.#consumers.keys()],
    };
  }

  // ---- internals -------------------------------------------------------------------------------

  #silenced(): boolean {
    return this.#closed || this.#roomClosing() || this.#router.closed;
  }

  /**
   * Runs `create` unless the peer already has (or is creating) `max` of `what`: RESOURCE_EXHAUSTED
   * then, and nothing is created.
   */
  async #creatingOne<T>(what: 'transports' | 'producers' | 'consumers', held: number, max: number, create: () => Promise<T>): Promise<T> {
    if (held + this.#creating[what] >= max) {
      throw new ResourceExhaustedError(`peer ${this.id} already has ${held} ${what} (${this.#creating[what]} being created); the SFU allows ${max} per peer`);
    }
    this.#creating[what] += 1;
    try {
      return await create();
    } finally {
      this.#creating[what] -= 1;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new NotFoundError(`peer ${this.id} is not in room ${this.roomId}`);
  }

  /**
   * Called right after mediasoup created `resource` for a request: if nobody wants it any more (the
   * call was cancelled or its deadline passed, the peer left, the transport closed meanwhile), close
   * it at once so nothing leaks, and fail the request.
   */
  #keepOrClose(resource: { close(): void }, signal: AbortSignal, what: string, transport?: ms.WebRtcTransport): void {
    let problem: Error | undefined;
    if (signal.aborted) {
      problem = new DeadlineExceededError(`the call ended (deadline or cancel) while the ${what} was being created; it was closed`);
    } else if (this.#closed) {
      problem = new NotFoundError(`peer ${this.id} left room ${this.roomId} while the ${what} was being created`);
    } else if (transport?.closed) {
      problem = new NotFoundError(`transport_id ${transport.id} closed while the ${what} was being created`);
    }
    if (problem) {
      resource.close();
      throw problem;
    }
  }

  #transport(transportId: string): ms.WebRtcTransport<TransportAppData> {
    this.#assertOpen();
    const transport = this.#transports.get(transportId);
    if (!transport) throw new NotFoundError(`transport_id ${transportId} not found for peer ${this.id}`);
    return transport;
  }

  #producer(producerId: string): ms.Producer<ProducerAppData> {
    this.#assertOpen();
    const producer = this.#producers.get(producerId);
    if (!producer) throw new NotFoundError(`producer_id ${producerId} not found for peer ${this.id}`);
    return producer;
  }

  #consumer(consumerId: string): ms.Consumer<ConsumerAppData> {
    this.#assertOpen();
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) throw new NotFoundError(`consumer_id ${consumerId} not found for peer ${this.id}`);
    return consumer;
  }
}
