/**
 * The joined peers whose sockets are on THIS instance. SFU events are acted upon by the instance that
 * holds the concerned peer (so with several instances each event is handled once), shutdown releases
 * them, and the presence gauges count them.
 */
import type { SfuEvent__Output } from '@lab/proto/sfu';
import type { SignalingMetrics } from './metrics.ts';
import { ActiveSpeakers } from './ActiveSpeakers.ts';

export interface LocalPeer {
  readonly roomId: string;
  readonly peerId: string;
  /** Acts on an SFU event about this peer, or about its whole room (RoomClosed, ActiveSpeakerChanged). */
  handleSfuEvent(event: SfuEvent__Output): void;
  /** The SFU no longer holds this peer's media (found by reconciliation): tell its page to set it up again. */
  mediaLost(reason: string): void;
}

export class LocalPeerRegistry {
  readonly #peers = new Map<string, LocalPeer>();
  readonly #roomSizes = new Map<string, number>();
  readonly #metrics: SignalingMetrics;
  /** Who speaks in each room, from the events routed here (for joins and resumes). */
  readonly speakers = new ActiveSpeakers((roomId) => this.#roomSizes.has(roomId));

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
    else {
      this.#roomSizes.delete(peer.roomId);
      this.speakers.forget(peer.roomId);
    }
    this.#report();
  }

  get size(): number {
    return this.#peers.size;
  }

  /** Every local peer, grouped by room. */
  byRoom(): Map<string, LocalPeer[]> {
    const rooms = new Map<string, LocalPeer[]>();
    for (const peer of this.#peers.values()) {
      const list = rooms.get(peer.roomId);
      if (list) list.push(peer);
      else rooms.set(peer.roomId, [peer]);
    }
    return rooms;
  }

  /**
   * Hands an SFU event to the local peer it concerns — to every local peer of the room for a
   * room-wide one (RoomClosed, ActiveSpeakerChanged) — and returns whether any peer here took it.
   * Every instance watches every room's events, so a room-wide event reaches each peer of the room
   * exactly once, through the instance that holds its socket, without a relay over the room bus.
   */
  routeSfuEvent(event: SfuEvent__Output): boolean {
    if (event.event === 'activeSpeakerChanged') this.speakers.changed(event.roomId, event.peerId || null);
    if (event.event === 'roomClosed') this.speakers.forget(event.roomId);
    if (event.event === 'roomClosed' || event.event === 'activeSpeakerChanged') {
      const peers = this.byRoom().get(event.roomId) ?? [];
      for (const peer of peers) peer.handleSfuEvent(event);
      return peers.length > 0;
    }
    const peer = this.#peers.get(event.peerId);
    if (!peer || peer.roomId !== event.roomId) return false;
    peer.handleSfuEvent(event);
    return true;
  }

  #report(): void {
    this.#metrics.presenceChanged(this.#roomSizes.size, this.#peers.size);
  }
}
