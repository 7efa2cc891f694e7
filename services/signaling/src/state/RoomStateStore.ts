/**
 * Who is in which room and what they send: the room state every signaling instance must agree on.
 * Behind this interface so that several instances can share it (a Redis implementation is planned);
 * hence every method is async, returns copies, and makes its check-and-change atomic (room capacity,
 * removal that happens once). Callers never assume a room's peers are connected to their instance.
 */
import type { MediaSource, PeerInfo, ProducerInfo } from '@lab/proto/signaling';

/** What the store keeps per peer; the muted flags of PeerInfo are derived from the producers. */
export interface PeerRecord {
  peerId: string;
  displayName: string;
  /** At most one per source, in creation order. */
  producers: ProducerInfo[];
}

export type AddPeerResult =
  | { added: true; /** Everyone else who has joined (see markJoined), in join order. */ others: PeerInfo[] }
  | { added: false; reason: 'room_full'; peerCount: number };

export interface RoomStateStore {
  /**
   * Adds the peer as *joining* unless the room already has `maxPeers` peers, joining ones included
   * (checked and done atomically). A joining peer holds its seat but is not listed to others until
   * markJoined(): so a newcomer either finds it in its peer list or later gets its peerJoined push,
   * not neither and (nearly) never both. Throws when a peer with the same id is already in the room.
   */
  addPeer(roomId: string, peer: PeerRecord, limits: { maxPeers: number }): Promise<AddPeerResult>;
  /**
   * The peer's join completed: from now on it is listed, under the metrics name decided at join
   * (telemetry/metricsName.ts; it labels the browser-reported series of its streams, which other
   * peers' sessions export, hence kept here). False when the peer is unknown.
   */
  markJoined(roomId: string, peerId: string, metricsName: string): Promise<boolean>;
  /**
   * Removes the peer and returns what was stored, or undefined when it was not there: of several
   * concurrent removals exactly one gets the peer, which makes "peerLeft is announced once" easy.
   */
  removePeer(roomId: string, peerId: string): Promise<PeerInfo | undefined>;
  /** The peer, joined or still joining. */
  getPeer(roomId: string, peerId: string): Promise<PeerInfo | undefined>;
  /** The room's joined peers in join order (empty for an unknown room). */
  listPeers(roomId: string): Promise<PeerInfo[]>;
  /** The metrics names of the room's joined peers, by peer id (empty for an unknown room). */
  metricsNames(roomId: string): Promise<Map<string, string>>;
  /** Adds a producer; throws when the peer already has one for that source. Undefined: unknown peer. */
  addProducer(roomId: string, peerId: string, producer: ProducerInfo): Promise<PeerInfo | undefined>;
  /** Removes a producer; returns the peer afterwards, or undefined when peer or producer is unknown. */
  removeProducer(roomId: string, peerId: string, producerId: string): Promise<PeerInfo | undefined>;
  /** Sets a producer's paused flag; returns the peer afterwards, or undefined when unknown. */
  setProducerPaused(roomId: string, peerId: string, producerId: string, paused: boolean): Promise<PeerInfo | undefined>;
  close(): Promise<void>;
}

/** A source's producer of a peer, if any. */
export function producerFor(peer: Pick<PeerRecord, 'producers'>, source: MediaSource): ProducerInfo | undefined {
  return peer.producers.find((producer) => producer.source === source);
}

/** Mic muted = no mic producer or a paused one; same for the camera. Shared by every implementation. */
export function mediaState(peer: Pick<PeerRecord, 'producers'>): { audioMuted: boolean; videoMuted: boolean } {
  const mic = producerFor(peer, 'mic');
  const camera = producerFor(peer, 'camera');
  return { audioMuted: !mic || mic.paused, videoMuted: !camera || camera.paused };
}

/** The protocol's view of a stored peer (a fresh copy). */
export function toPeerInfo(peer: PeerRecord): PeerInfo {
  return {
    peerId: peer.peerId,
    displayName: peer.displayName,
    ...mediaState(peer),
    producers: peer.producers.map((producer) => ({ ...producer })),
  };
}

export class DuplicatePeerError extends Error {
  override name = 'DuplicatePeerError';
}
export class DuplicateProducerSourceError extends Error {
  override name = 'DuplicateProducerSourceError';
}
