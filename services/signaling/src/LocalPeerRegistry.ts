/**
 * The joined peers whose sockets are on THIS instance. SFU events are acted upon by the instance that
 * holds the concerned peer (so with several instances each event is handled once), shutdown releases
 * them, and the presence gauges count them.
 */
import type { SfuEvent__Output } from '@lab/proto/sfu';
import type { SignalingMetrics } from './metrics.ts';

export interface LocalPeer {
  readonly roomId: string;
  readonly peerId: string;
  /** Acts on an SFU event about this peer (pushes to its socket, updates room state). */
  handleSfuEvent(event: SfuEvent__Output): void;
}

export class LocalPeerRegistry {
  readonly #peers = new Map<string, LocalPeer>();
  readonly #roomSizes = new Map<string, number>();
  readonly #metrics: SignalingMetrics;

  constructor(metrics: SignalingMetrics) {
    this.#metrics = metrics;
  }

  add(peer: LocalPeer): void {
    if (this.#peers.has(peer.peerId)) return;
    this.#peers.set(peer.peerId, peer);
    this.#roomSizes.set(peer.roomId, (this.#roomSizes.get(peer.roomId) ?? 0) + 1);
    this.#report();
  }

  remove(peer: LocalPeer): void {
    if (this.#peers.get(peer.peerId) !== peer) return;
    this.#peers.delete(peer.peerId);
    const size = (this.#roomSizes.get(peer.roomId) ?? 1) - 1;
    if (size > 0) this.#roomSizes.set(peer.roomId, size);
    else this.#roomSizes.delete(peer.roomId);
    this.#report();
  }

  get size(): number {
    return this.#peers.size;
  }

  /** Hands an SFU event to the local peer it concerns; false when that peer is not on this instance. */
  routeSfuEvent(event: SfuEvent__Output): boolean {
    const peer = this.#peers.get(event.peerId);
    if (!peer || peer.roomId !== event.roomId) return false;
    peer.handleSfuEvent(event);
    return true;
  }

  #report(): void {
    this.#metrics.presenceChanged(this.#roomSizes.size, this.#peers.size);
  }
}
