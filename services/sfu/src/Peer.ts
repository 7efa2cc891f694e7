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
import { DeadlineExceededError, FailedPreconditionError, NotFoundError } from './errors.ts';
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

/** Kept in mediasoup's appData of a producer, and echoed to consumers of it. */
export type ProducerAppData = { peerId: string; source: string };
/** Kept in mediasoup's appData of a consumer. */
export type ConsumerAppData = { peerId: string; producerPeerId: string; source: string };

export type PeerOptions = {
  id: string;
  roomId: string;
  router: ms.Router;
  transportSettings: WebRtcTransportSettings;
  publish: PublishEvent;
  /** True while the room is closing: events of the peer's objects are then not published. */
  roomClosing: () => boolean;
  log: Logger;
};

/** What `signal` means in every create method: the gRPC call that asked for it is still waiting. */
type CreateOptions = { signal: AbortSignal };

export class Peer {
  readonly id: string;
  readonly roomId: string;
  readonly #router: ms.Router;
  readonly #transportSettings: WebRtcTransportSettings;
  readonly #publish: PublishEvent;
  readonly #roomClosing: () => boolean;
  readonly #log: Logger;
  readonly #transports = new Map<string, ms.WebRtcTransport>();
  /** Transports whose connect() was called (successfully or still running): a second one is refused. */
  readonly #connectedTransports = new Set<string>();
  readonly #producers = new Map<string, ms.Producer<ProducerAppData>>();
  readonly #consumers = new Map<string, ms.Consumer<ConsumerAppData>>();
  #closed = false;

  constructor(options: PeerOptions) {
    this.id = options.id;
    this.roomId = options.roomId;
    this.#router = options.router;
    this.#transportSettings = options.transportSettings;
    this.#publish = options.publish;
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

  /** The peer's producer with that id, if it has one (used by Room to find a producer to consume). */
  findProducer(producerId: string): ms.Producer<ProducerAppData> | undefined {
    return this.#producers.get(producerId);
  }

  // ---- transports ------------------------------------------------------------------------------

  async createWebRtcTransport(direction: TransportDirectionLabel, { signal }: CreateOptions): Promise<ms.WebRtcTransport> {
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
    const transport = await this.#router.createWebRtcTransport({
      listenInfos: [listen('udp'), listen('tcp')],
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      // Start video at a useful bitrate instead of mediasoup's 600 kbps default; BWE adapts it.
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { peerId: this.id, direction },
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
    const producer = await transport.produce<ProducerAppData>({
      kind: request.kind,
      rtpParameters: request.rtpParameters,
      paused: request.paused,
      appData: { peerId: this.id, source: request.source },
    });
    this.#keepOrClose(producer, signal, 'producer', transport);
    this.#producers.set(producer.id, producer);
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
    const consumer = await transport.consume<ConsumerAppData>({
      producerId: producer.id,
      rtpCapabilities: request.rtpCapabilities,
      // Paused until the browser has set up its receiver (ResumeConsumer): the first packet it gets
      // then belongs to a key frame mediasoup requests on resume.
      paused: true,
      appData: { peerId: this.id, producerPeerId: producer.appData.peerId, source: producer.appData.source },
    });
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

  #transport(transportId: string): ms.WebRtcTransport {
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
