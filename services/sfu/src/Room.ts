/**
 * A room: one mediasoup router (on one worker) and the peers in it. The room closes — router and
 * all — when its last peer leaves, when its worker dies, when its only joiner gave up while the
 * router was being created ('abandoned'), or at shutdown; it then publishes RoomClosed and emits
 * 'close' so the registry forgets it.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import type { GetRoomResponse } from '@lab/proto/sfu';
import { ActiveSpeaker } from './ActiveSpeaker.ts';
import { NotFoundError } from './errors.ts';
import { Peer, type PeerLimits, type ProducerAppData, type PublishEvent, type WebRtcTransportSettings } from './Peer.ts';

/**
 * The codecs every room offers. Opus and VP8 are what every browser sends; H264 (constrained
 * baseline, packetization-mode 1) for Safari and hardware encoders. Payload types are assigned by
 * mediasoup.
 */
export const ROOM_MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];

/** Why a room closed; also the RoomClosed event's `reason`. */
export type RoomCloseReason = 'last peer left' | 'worker died' | 'shutdown' | 'abandoned';

export type RoomEvents = {
  close: [reason: RoomCloseReason];
};

export type RoomOptions = {
  id: string;
  router: ms.Router;
  /** The router's active-speaker observer; without one the room publishes no ActiveSpeakerChanged. */
  speakerObserver?: ms.ActiveSpeakerObserver;
  workerPid: number;
  transportSettings: WebRtcTransportSettings;
  peerLimits: PeerLimits;
  publish: PublishEvent;
  log: Logger;
};

export class Room extends EventEmitter<RoomEvents> {
  readonly id: string;
  readonly workerPid: number;
  readonly #router: ms.Router;
  readonly #transportSettings: WebRtcTransportSettings;
  readonly #peerLimits: PeerLimits;
  readonly #publish: PublishEvent;
  readonly #log: Logger;
  readonly #peers = new Map<string, Peer>();
  readonly #activeSpeaker: ActiveSpeaker | undefined;
  #closed = false;

  constructor(options: RoomOptions) {
    super();
    this.id = options.id;
    this.workerPid = options.workerPid;
    this.#router = options.router;
    this.#transportSettings = options.transportSettings;
    this.#peerLimits = options.peerLimits;
    this.#publish = options.publish;
    this.#log = options.log.child({ roomId: options.id });
    if (options.speakerObserver) {
      // Published only while the room is open: a closing room says it all with RoomClosed.
      const publish: PublishEvent = (event) => {
        if (!this.#closed) this.#publish(event);
      };
      this.#activeSpeaker = new ActiveSpeaker({ roomId: options.id, observer: options.speakerObserver, publish, log: this.#log });
    }
    this.#router.once('workerclose', () => this.close('worker died'));
    this.#log.info({ routerId: this.#router.id, workerPid: this.workerPid }, 'room opened');
  }

  get closed(): boolean {
    return this.#closed;
  }

  get rtpCapabilities(): ms.RtpCapabilities {
    return this.#router.rtpCapabilities;
  }

  /** The peer published as the active speaker now; '' when nobody speaks. */
  get activeSpeakerPeerId(): string {
    return this.#activeSpeaker?.speakerPeerId ?? '';
  }

  get peerCount(): number {
    return this.#peers.size;
  }

  /**
   * The peer, added to the room if it is not there yet (GetRouterRtpCapabilities is idempotent per
   * peer; a later call keeps the first `displayName`).
   */
  join(peerId: string, displayName = peerId): Peer {
    if (this.#closed) throw new NotFoundError(`room ${this.id} is closed`);
    let peer = this.#peers.get(peerId);
    if (!peer) {
      peer = new Peer({
        id: peerId,
        displayName,
        roomId: this.id,
        router: this.#router,
        transportSettings: this.#transportSettings,
        limits: this.#peerLimits,
        publish: this.#publish,
        roomClosing: () => this.#closed,
        producerCreated: (producer) => void this.#activeSpeaker?.add(producer),
        log: this.#log,
      });
      this.#peers.set(peerId, peer);
      this.#log.info({ peerId, peers: this.#peers.size }, 'peer joined');
    }
    return peer;
  }

  /** The peers in the room now. */
  peers(): Peer[] {
    return [...this.#peers.values()];
  }

  /** The peer, if it is in the room. */
  findPeer(peerId: string): Peer | undefined {
    return this.#peers.get(peerId);
  }

  /** The peer; NotFoundError when it is not in the room. */
  peer(peerId: string): Peer {
    const peer = this.#peers.get(peerId);
    if (!peer) throw new NotFoundError(`peer ${peerId} not found in room ${this.id}`);
    return peer;
  }

  /**
   * Closes the peer's transports, producers and consumers and removes it; closes the room when it
   * was the last one. Unknown peer: `closed: false` (ClosePeer is idempotent).
   */
  leave(peerId: string, reason: string): { closed: boolean; roomClosed: boolean } {
    const peer = this.#peers.get(peerId);
    if (!peer) return { closed: false, roomClosed: false };
    this.#peers.delete(peerId);
    peer.close();
    this.#log.info({ peerId, reason, peers: this.#peers.size }, 'peer left');
    if (this.#peers.size === 0) {
      this.close('last peer left');
      return { closed: true, roomClosed: true };
    }
    return { closed: true, roomClosed: false };
  }

  /** A producer of any peer in the room, with its owner; NotFoundError otherwise. */
  findProducer(producerId: string): { producer: ms.Producer<ProducerAppData>; owner: Peer } {
    for (const owner of this.#peers.values()) {
      const producer = owner.findProducer(producerId);
      if (producer) return { producer, owner };
    }
    throw new NotFoundError(`producer_id ${producerId} not found in room ${this.id}`);
  }

  /** Closes the router (cascading to every transport, producer and consumer) and forgets the peers. Idempotent. */
  close(reason: RoomCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    // Router first, while the room is marked closed: the per-object close events it cascades into
    // are then not published one by one; RoomClosed below says it all.
    this.#router.close();
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    this.#log.info({ reason }, 'room closed');
    this.#publish({ roomId: this.id, peerId: '', roomClosed: { reason } });
    this.emit('close', reason);
  }

  snapshot(): GetRoomResponse {
    const peers = [...this.#peers.values()];
    const sum = (count: (peer: Peer) => number) => peers.reduce((total, peer) => total + count(peer), 0);
    return {
      exists: true,
      routerId: this.#router.id,
      workerPid: this.workerPid,
      peers: peers.map((peer) => peer.snapshot()),
      transportCount: sum((peer) => peer.transportCount),
      producerCount: sum((peer) => peer.producerCount),
      consumerCount: sum((peer) => peer.consumerCount),
    };
  }
}
