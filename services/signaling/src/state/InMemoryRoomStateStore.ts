/** RoomStateStore in this process's memory: correct for one signaling instance. */
import type { PeerInfo, ProducerInfo } from '@lab/proto/signaling';
import {
  DuplicatePeerError,
  DuplicateProducerSourceError,
  producerFor,
  toPeerInfo,
  type AddPeerResult,
  type PeerRecord,
  type RoomStateStore,
} from './RoomStateStore.ts';

interface StoredPeer extends PeerRecord {
  joined: boolean;
  /** Set by markJoined. */
  metricsName?: string;
}

export class InMemoryRoomStateStore implements RoomStateStore {
  /** roomId → peerId → record; Maps keep insertion (= join) order. */
  readonly #rooms = new Map<string, Map<string, StoredPeer>>();

  async addPeer(roomId: string, peer: PeerRecord, limits: { maxPeers: number }): Promise<AddPeerResult> {
    const room = this.#rooms.get(roomId) ?? new Map<string, StoredPeer>();
    if (room.has(peer.peerId)) throw new DuplicatePeerError(`peer ${peer.peerId} is already in room ${roomId}`);
    if (room.size >= limits.maxPeers) return { added: false, reason: 'room_full', peerCount: room.size };
    const others = this.#joinedPeers(room);
    // Stored as a copy so later changes to the caller's object cannot leak in (as with a remote store).
    room.set(peer.peerId, { ...structuredClone(peer), joined: false });
    this.#rooms.set(roomId, room);
    return { added: true, others };
  }

  async markJoined(roomId: string, peerId: string, metricsName: string): Promise<boolean> {
    const peer = this.#rooms.get(roomId)?.get(peerId);
    if (!peer) return false;
    peer.joined = true;
    peer.metricsName = metricsName;
    return true;
  }

  async removePeer(roomId: string, peerId: string): Promise<PeerInfo | undefined> {
    const room = this.#rooms.get(roomId);
    const peer = room?.get(peerId);
    if (!room || !peer) return undefined;
    room.delete(peerId);
    if (room.size === 0) this.#rooms.delete(roomId);
    return toPeerInfo(peer);
  }

  async getPeer(roomId: string, peerId: string): Promise<PeerInfo | undefined> {
    const peer = this.#rooms.get(roomId)?.get(peerId);
    return peer && toPeerInfo(peer);
  }

  async listPeers(roomId: string): Promise<PeerInfo[]> {
    const room = this.#rooms.get(roomId);
    return room ? this.#joinedPeers(room) : [];
  }

  async metricsNames(roomId: string): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const peer of this.#rooms.get(roomId)?.values() ?? []) {
      if (peer.joined && peer.metricsName !== undefined) names.set(peer.peerId, peer.metricsName);
    }
    return names;
  }

  async addProducer(roomId: string, peerId: string, producer: ProducerInfo): Promise<PeerInfo | undefined> {
    const peer = this.#rooms.get(roomId)?.get(peerId);
    if (!peer) return undefined;
    const existing = producerFor(peer, producer.source);
    if (existing) {
      throw new DuplicateProducerSourceError(
        `peer ${peerId} already has a ${producer.source} producer (${existing.producerId})`,
      );
    }
    peer.producers.push({ ...producer });
    return toPeerInfo(peer);
  }

  async removeProducer(roomId: string, peerId: string, producerId: string): Promise<PeerInfo | undefined> {
    const peer = this.#rooms.get(roomId)?.get(peerId);
    const index = peer?.producers.findIndex((producer) => producer.producerId === producerId) ?? -1;
    if (!peer || index < 0) return undefined;
    peer.producers.splice(index, 1);
    return toPeerInfo(peer);
  }

  async setProducerPaused(
    roomId: string,
    peerId: string,
    producerId: string,
    paused: boolean,
  ): Promise<PeerInfo | undefined> {
    const peer = this.#rooms.get(roomId)?.get(peerId);
    const producer = peer?.producers.find((candidate) => candidate.producerId === producerId);
    if (!peer || !producer) return undefined;
    producer.paused = paused;
    return toPeerInfo(peer);
  }

  async close(): Promise<void> {
    this.#rooms.clear();
  }

  #joinedPeers(room: Map<string, StoredPeer>): PeerInfo[] {
    return [...room.values()].filter((peer) => peer.joined).map(toPeerInfo);
  }
}
