/**
 * One participation in a room: the signaling socket plus a mediasoup-client Device with a send and a
 * receive transport. It turns the protocol's requests and pushes into media (produce the local mic
 * and camera, consume every producer of every other peer) and reports what happens as typed events;
 * the store (state/CallStore.tsx) turns those into what the page shows.
 */
import { Device } from 'mediasoup-client';
import type { Consumer, Producer, RtpCapabilities, RtpParameters, Transport } from 'mediasoup-client/types';
import type { MediaKind, MediaSource, PeerInfo, ProducerInfo, PushData } from '@lab/proto/signaling';
import { Emitter } from '../lib/Emitter.ts';
import { SignalingClient, type SocketFactory } from '../signaling/SignalingClient.ts';
import type { LocalMedia } from './LocalMedia.ts';
import type { PeerReceiveStats } from '@lab/proto/lab-surface';
import { audioReceiveStats, videoReceiveStats } from './receiverStats.ts';

export interface RemotePeer {
  peerId: string;
  displayName: string;
  audioMuted: boolean;
  videoMuted: boolean;
}

export interface RemoteTrack {
  peerId: string;
  consumerId: string;
  source: MediaSource;
  kind: MediaKind;
  track: MediaStreamTrack;
}

export type CallSessionEvents = {
  /** The server took us into the room (the join is answered; media is still being set up). */
  entered: [{ peerId: string; roomId: string }];
  /** A peer appeared or its name / mute state changed. */
  peer: [RemotePeer];
  /** A peer's mic / camera changed (authoritative, from the server). */
  peerMedia: [{ peerId: string; audioMuted: boolean; videoMuted: boolean }];
  peerRemoved: [peerId: string, reason: string];
  trackAdded: [RemoteTrack];
  trackRemoved: [{ peerId: string; consumerId: string; source: MediaSource }];
  /** The server's (authoritative) view of this peer's mic / camera. */
  localMuted: [{ audioMuted: boolean; videoMuted: boolean }];
  /** Something failed but the call goes on (one consume, a mute request, an ICE restart). */
  error: [Error];
  /** The session is over: `left` on request, `lost` when the server or network ended it. */
  ended: [{ reason: 'left' | 'lost'; error?: Error }];
};

export interface CallSessionOptions {
  signalingUrl: string;
  /** Where the local mic and camera tracks come from. */
  localMedia: Pick<LocalMedia, 'track'>;
  /** Initial mic / camera state chosen on the join form. */
  audioMuted: boolean;
  videoMuted: boolean;
  createSocket?: SocketFactory;
  /** A client for `signalingUrl` opened ahead of time (see CallStore); default: a new one. */
  signaling?: SignalingClient;
  /** Default: a Device for this browser. Unit tests pass one with mediasoup-client's FakeHandler. */
  device?: Device;
}

interface ConsumerEntry {
  consumer: Consumer;
  peerId: string;
  source: MediaSource;
}

export class CallSession extends Emitter<CallSessionEvents> {
  readonly #options: CallSessionOptions;
  readonly #signaling: SignalingClient;
  readonly #device: Device;
  readonly #producers = new Map<MediaSource, Producer>();
  readonly #consumers = new Map<string, ConsumerEntry>();
  /** Producers being consumed or already consumed; a producer can be announced twice (join + push). */
  readonly #consumedProducerIds = new Set<string>();
  /** Peers that left; a late push must not bring their tile back. */
  readonly #departedPeerIds = new Set<string>();
  /** Producers that closed; a consume of one still being set up must not bring its track back. */
  readonly #closedProducerIds = new Set<string>();
  #sendTransport: Transport | undefined;
  #recvTransport: Transport | undefined;
  /** Resolves once the receive transport exists, so pushes that arrive earlier can wait for it. */
  readonly #recvReady: Promise<Transport>;
  #resolveRecvReady!: (transport: Transport) => void;
  /** Mute requests run one after another, so fast clicks reach the server in click order. */
  #muteChain: Promise<unknown> = Promise.resolve();
  #peerId: string | undefined;
  #roomId: string | undefined;
  #joined = false;
  #ended = false;

  constructor(options: CallSessionOptions) {
    super();
    this.#options = options;
    this.#device = options.device ?? new Device();
    this.#signaling = options.signaling ?? new SignalingClient({ url: options.signalingUrl, createSocket: options.createSocket });
    this.#recvReady = new Promise((resolve) => (this.#resolveRecvReady = resolve));
    this.#listenToPushes();
  }

  get peerId(): string | undefined {
    return this.#peerId;
  }

  get roomId(): string | undefined {
    return this.#roomId;
  }

  /**
   * Connects, joins the room, opens both transports, starts sending the local tracks and receiving
   * everyone else. Rejects (after releasing everything) if any step fails.
   */
  async join(roomId: string, displayName: string): Promise<{ peerId: string; roomId: string }> {
    try {
      await this.#signaling.connect();
      const joining = this.#signaling.request('join', { roomId, displayName });
      // Pipelined behind the join: the server answers a socket's requests in order, so this one is
      // handled as soon as the join is, instead of a round trip after the join's answer reaches us.
      // If the join fails this fails too; the join's error is the one reported.
      const recvTransportRequested = this.#signaling.request('createTransport', { direction: 'recv' });
      recvTransportRequested.catch(() => {});
      const joined = await joining;
      this.#peerId = joined.peerId;
      this.#roomId = joined.roomId;
      this.emit('entered', { peerId: joined.peerId, roomId: joined.roomId });
      // The server validates capabilities field by field; the protocol only promises an object.
      const deviceLoaded = this.#device.load({ routerRtpCapabilities: joined.routerRtpCapabilities as unknown as RtpCapabilities });

      for (const peer of joined.peers) this.#upsertPeer(peer);
      // Receiving what is already there comes first: the first remote frame is what a joining person
      // waits for. The server answers a socket's requests in order, so anything we send for our own
      // media (the send transport, produce) would queue ahead of the consume and resume requests, and
      // starting the encoders competes for CPU: sending starts once the consumers are set up, which
      // delays what the others see of us by one round trip (~15 ms).
      this.#recvTransport = await this.#createTransport('recv', deviceLoaded, recvTransportRequested);
      this.#resolveRecvReady(this.#recvTransport);
      // Video first: mediasoup-client negotiates one consumer at a time, and a face is what people
      // wait for (audio is a few tens of milliseconds behind).
      const existing = joined.peers.flatMap((peer) => peer.producers.map((producer) => ({ peerId: peer.peerId, producer })));
      existing.sort((a, b) => Number(b.producer.kind === 'video') - Number(a.producer.kind === 'video'));
      await Promise.all(existing.map(({ peerId, producer }) => this.#consumeInBackground(peerId, producer)));

      this.#sendTransport = await this.#createTransport('send', deviceLoaded);
      await this.#produceLocalTracks();
      this.#joined = true;
      return { peerId: joined.peerId, roomId: joined.roomId };
    } catch (error) {
      this.#teardown();
      throw error;
    }
  }

  /** Mic mute / camera off (and back): pauses the local producer at once, then tells the server. */
  setMuted(source: MediaSource, muted: boolean): Promise<void> {
    const run = async () => {
      const producer = this.#producers.get(source);
      if (!muted && !producer) {
        throw new Error(source === 'mic' ? 'There is no microphone to unmute.' : 'There is no camera to turn on.');
      }
      const wasPaused = producer?.paused ?? true;
      if (muted) producer?.pause();
      else producer?.resume();
      try {
        const state = await this.#signaling.request('setMuted', { source, muted });
        this.emit('localMuted', state);
      } catch (error) {
        // Keep the local producer consistent with what the server (and the others) believe.
        if (wasPaused) producer?.pause();
        else producer?.resume();
        throw error;
      }
    };
    const result = this.#muteChain.then(run, run);
    this.#muteChain = result.catch(() => {});
    return result;
  }

  /** Figures of what this page receives from each other peer (see window.__lab.stats()). */
  async receiveStats(): Promise<PeerReceiveStats[]> {
    const byPeer = new Map<string, PeerReceiveStats>();
    await Promise.all(
      [...this.#consumers.values()].map(async ({ consumer, peerId }) => {
        if (consumer.closed) return;
        const entry = byPeer.get(peerId) ?? { peerId, video: null, audio: null };
        byPeer.set(peerId, entry);
        let report: RTCStatsReport;
        try {
          report = await consumer.getStats();
        } catch (error) {
          // Closed while we asked (its peer left): it simply has no figures any more.
          if (consumer.closed) return;
          throw error;
        }
        if (consumer.kind === 'video') entry.video = videoReceiveStats(report);
        else entry.audio = audioReceiveStats(report);
      }),
    );
    return [...byPeer.values()];
  }

  /** Leaves the room politely (the server records "left"), then releases everything. */
  async leave(): Promise<void> {
    if (this.#ended) return;
    let failure: unknown;
    if (this.#signaling.connected) {
      try {
        await this.#signaling.request('leave', {});
      } catch (error) {
        // Leaving goes on regardless: the socket close below also makes the server drop us.
        failure = error;
      }
    }
    this.#end('left');
    if (failure) throw failure;
  }

  /**
   * Drops the connection without a leave request, as a closing tab does (the server records
   * "disconnected"). Used on page unload so the next page load rejoins cleanly.
   */
  disconnect(): void {
    this.#end('lost');
  }

  #end(reason: 'left' | 'lost', error?: Error): void {
    if (this.#ended) return;
    this.#teardown(reason === 'left' ? 1000 : 1001);
    this.emit('ended', { reason, error });
  }

  #teardown(closeCode = 1000): void {
    this.#ended = true;
    for (const producer of this.#producers.values()) producer.close();
    this.#producers.clear();
    for (const { consumer } of this.#consumers.values()) consumer.close();
    this.#consumers.clear();
    this.#sendTransport?.close();
    this.#recvTransport?.close();
    this.#signaling.close(closeCode, closeCode === 1000 ? 'left' : 'going away');
  }

  /** Asks the server for the transport (unless already `requested`) while the device may still be loading: neither needs the other. */
  async #createTransport(
    direction: 'send' | 'recv',
    deviceLoaded: Promise<void>,
    requested = this.#signaling.request('createTransport', { direction }),
  ): Promise<Transport> {
    const [params] = await Promise.all([requested, deviceLoaded]);
    const options = {
      id: params.transportId,
      iceParameters: params.iceParameters,
      // The schema checks the candidate fields; mediasoup-client's type narrows `type` to a union.
      iceCandidates: params.iceCandidates as Parameters<Device['createSendTransport']>[0]['iceCandidates'],
      dtlsParameters: params.dtlsParameters as Parameters<Device['createSendTransport']>[0]['dtlsParameters'],
    };
    const transport =
      direction === 'send' ? this.#device.createSendTransport(options) : this.#device.createRecvTransport(options);

    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#signaling
        .request('connectTransport', { transportId: transport.id, dtlsParameters })
        .then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = appData.source as MediaSource;
        this.#signaling
          .request('produce', {
            transportId: transport.id,
            kind,
            source,
            rtpParameters: rtpParameters as unknown as Record<string, unknown>,
            paused: appData.paused === true,
          })
          .then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') void this.#restartIce(transport, direction);
    });
    return transport;
  }

  /** One ICE restart when a transport fails (e.g. the network changed); the call goes on meanwhile. */
  async #restartIce(transport: Transport, direction: 'send' | 'recv'): Promise<void> {
    if (this.#ended || transport.closed) return;
    try {
      const { iceParameters } = await this.#signaling.request('restartIce', { transportId: transport.id });
      await transport.restartIce({ iceParameters });
    } catch (error) {
      this.emit('error', new Error(`The ${direction} media connection failed and could not be restored: ${messageOf(error)}`));
    }
  }

  async #produceLocalTracks(): Promise<void> {
    const transport = this.#sendTransport!;
    const sources: { source: MediaSource; muted: boolean }[] = [
      { source: 'mic', muted: this.#options.audioMuted },
      { source: 'camera', muted: this.#options.videoMuted },
    ];
    for (const { source, muted } of sources) {
      const track = this.#options.localMedia.track(source);
      if (!track) continue;
      const producer = await transport.produce({
        track,
        // The local preview keeps using the track; LocalMedia stops it when the call ends.
        stopTracks: false,
        appData: { source, paused: muted },
      });
      this.#producers.set(source, producer);
      if (muted) {
        producer.pause();
        // Make the server's (and so everyone's) view match the join form's choice.
        await this.#signaling.request('setMuted', { source, muted: true }).then((state) => this.emit('localMuted', state));
      }
    }
  }

  #upsertPeer(peer: PeerInfo): void {
    if (this.#departedPeerIds.has(peer.peerId) || peer.peerId === this.#peerId) return;
    this.emit('peer', {
      peerId: peer.peerId,
      displayName: peer.displayName,
      audioMuted: peer.audioMuted,
      videoMuted: peer.videoMuted,
    });
  }

  /** Consumes without throwing (a failure is reported as an 'error' event); settles when done. */
  #consumeInBackground(peerId: string, producer: ProducerInfo): Promise<void> {
    return this.#consume(peerId, producer).catch((error: unknown) => {
      this.#consumedProducerIds.delete(producer.producerId);
      // A consume that failed because the call ended, its peer left or its producer closed meanwhile
      // (the server then answers not_found) lost nothing anyone would see: not worth a banner.
      if (this.#unwanted(peerId, producer.producerId)) return;
      this.emit('error', new Error(`Cannot receive ${producer.source} from a participant: ${messageOf(error)}`));
    });
  }

  /** What a consume is setting up is no longer wanted: the call ended, its peer left or its producer closed. */
  #unwanted(peerId: string, producerId: string): boolean {
    return this.#ended || this.#departedPeerIds.has(peerId) || this.#closedProducerIds.has(producerId);
  }

  async #consume(peerId: string, producer: ProducerInfo): Promise<void> {
    if (this.#consumedProducerIds.has(producer.producerId) || this.#unwanted(peerId, producer.producerId)) return;
    this.#consumedProducerIds.add(producer.producerId);
    const transport = await this.#recvReady;
    const params = await this.#signaling.request('consume', {
      transportId: transport.id,
      producerId: producer.producerId,
      rtpCapabilities: this.#device.rtpCapabilities as unknown as Record<string, unknown>,
    });
    if (this.#unwanted(params.peerId, params.producerId)) return;
    const consumer = await transport.consume({
      id: params.consumerId,
      producerId: params.producerId,
      kind: params.kind,
      rtpParameters: params.rtpParameters as unknown as RtpParameters,
      appData: { peerId: params.peerId, source: params.source },
    });
    // transport.consume() can wait for the transport's DTLS connect round trip: the peer may have
    // left, its producer closed or the call ended meanwhile, and #removePeer / the producerClosed
    // handler / #teardown could not see this consumer yet.
    if (this.#unwanted(params.peerId, params.producerId)) {
      consumer.close();
      return;
    }
    this.#consumers.set(consumer.id, { consumer, peerId: params.peerId, source: params.source });
    // The page attaches the track while the server still holds the consumer paused, so the media
    // element is ready when the first frame arrives instead of starting up after it (~90 ms).
    this.emit('trackAdded', {
      peerId: params.peerId,
      consumerId: consumer.id,
      source: params.source,
      kind: params.kind,
      track: consumer.track,
    });
    try {
      // The server creates consumers paused so no media is lost before this side is ready.
      await this.#signaling.request('resumeConsumer', { consumerId: consumer.id });
    } catch (error) {
      this.#closeConsumer(consumer.id);
      throw error;
    }
  }

  #closeConsumer(consumerId: string): void {
    const entry = this.#consumers.get(consumerId);
    if (!entry) return;
    this.#consumers.delete(consumerId);
    this.#consumedProducerIds.delete(entry.consumer.producerId);
    entry.consumer.close();
    this.emit('trackRemoved', { peerId: entry.peerId, consumerId, source: entry.source });
  }

  #listenToPushes(): void {
    const s = this.#signaling;
    s.on('peerJoined', ({ peer }) => {
      // A peer id is never reused, but the same person may come back (reload) under a new one.
      this.#upsertPeer(peer);
      for (const producer of peer.producers) void this.#consumeInBackground(peer.peerId, producer);
    });
    s.on('peerLeft', ({ peerId, reason }) => this.#removePeer(peerId, reason));
    s.on('newProducer', ({ peerId, producer }) => void this.#consumeInBackground(peerId, producer));
    s.on('producerClosed', ({ producerId }) => {
      this.#closedProducerIds.add(producerId);
      for (const [consumerId, entry] of this.#consumers) {
        if (entry.consumer.producerId === producerId) this.#closeConsumer(consumerId);
      }
    });
    s.on('consumerClosed', ({ consumerId }) => this.#closeConsumer(consumerId));
    s.on('peerMediaChanged', (data: PushData<'peerMediaChanged'>) => {
      if (data.peerId === this.#peerId) {
        this.emit('localMuted', { audioMuted: data.audioMuted, videoMuted: data.videoMuted });
      } else {
        this.emit('peerMedia', data);
      }
    });
    s.on('protocolError', (error) => this.emit('error', error));
    s.on('close', ({ code, reason }) => {
      // While joining, the failing request rejects join() instead.
      if (this.#ended || !this.#joined) return;
      this.#end('lost', new Error(`Lost the connection to the server (code ${code}${reason ? `: ${reason}` : ''}).`));
    });
    // consumerScore and transportState are informational; the page does not display them yet.
  }

  #removePeer(peerId: string, reason: string): void {
    this.#departedPeerIds.add(peerId);
    for (const [consumerId, entry] of this.#consumers) {
      if (entry.peerId === peerId) this.#closeConsumer(consumerId);
    }
    this.emit('peerRemoved', peerId, reason);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
