/**
 * roomId → Room. Rooms are created on demand (a router on the least loaded worker) when a peer
 * joins, and forgotten when they close. Concurrent joins of a new room share one router creation.
 */
import type { Logger } from 'pino';
import { DeadlineExceededError, NotFoundError } from './errors.ts';
import type { PeerLimits, PublishEvent, Peer, WebRtcTransportSettings } from './Peer.ts';
import { ACTIVE_SPEAKER_INTERVAL_MS } from './ActiveSpeaker.ts';
import { ROOM_MEDIA_CODECS, Room, type RoomCloseReason } from './Room.ts';
import type { WorkerPool } from './WorkerPool.ts';

export type RoomRegistryOptions = {
  /** Where new rooms get their router (least loaded worker). */
  pool: WorkerPool;
  /** How every WebRTC transport listens (from config), handed down to each room's peers. */
  transportSettings: WebRtcTransportSettings;
  /** The most transports, producers and consumers one peer may hold (from config). */
  peerLimits: PeerLimits;
  /** Sink of the SfuEvents the rooms and their peers emit (the EventFeed, in production). */
  publish: PublishEvent;
  log: Logger;
};

export class RoomRegistry {
  readonly #options: RoomRegistryOptions;
  readonly #rooms = new Map<string, Room>();
  /** Rooms whose router is being created: later joiners wait for the same one. */
  readonly #opening = new Map<string, Promise<Room>>();

  constructor(options: RoomRegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#rooms.size;
  }

  /** Every open room. */
  rooms(): Room[] {
    return [...this.#rooms.values()];
  }

  /** The open room, or undefined. */
  find(roomId: string): Room | undefined {
    return this.#rooms.get(roomId);
  }

  /** The open room; NotFoundError otherwise. */
  get(roomId: string): Room {
    const room = this.#rooms.get(roomId);
    if (!room) throw new NotFoundError(`room ${roomId} not found`);
    return room;
  }

  /** The peer in the open room; NotFoundError when either is unknown. */
  peer(roomId: string, peerId: string): { room: Room; peer: Peer } {
    const room = this.get(roomId);
    return { room, peer: room.peer(peerId) };
  }

  /**
   * Adds the peer to the room (named `displayName` in metrics), opening the room first when needed.
   * If the call ends (`signal`)
   * while the router is being created, the peer is not added and a room left without peers is
   * closed, so an abandoned request leaves nothing behind.
   */
  async join(roomId: string, peerId: string, signal: AbortSignal, displayName = peerId): Promise<{ room: Room; peer: Peer }> {
    for (;;) {
      const room = await this.#open(roomId);
      // Another joiner may have abandoned (and so closed) the room while we waited: open a new one.
      if (room.closed) continue;
      if (signal.aborted) {
        if (room.peerCount === 0) room.close('abandoned');
        throw new DeadlineExceededError('the call ended (deadline or cancel) while the room was being opened');
      }
      return { room, peer: room.join(peerId, displayName) };
    }
  }

  /** Closes every room (shutdown). */
  closeAll(reason: RoomCloseReason): void {
    for (const room of [...this.#rooms.values()]) room.close(reason);
  }

  #open(roomId: string): Promise<Room> {
    const open = this.#rooms.get(roomId);
    if (open) return Promise.resolve(open);
    let opening = this.#opening.get(roomId);
    if (!opening) {
      opening = this.#create(roomId).finally(() => this.#opening.delete(roomId));
      this.#opening.set(roomId, opening);
    }
    return opening;
  }

  async #create(roomId: string): Promise<Room> {
    const { pool, transportSettings, peerLimits, publish, log } = this.#options;
    const { router, workerPid } = await pool.createRouter({ mediaCodecs: ROOM_MEDIA_CODECS });
    // Fails only when the router is already gone (its worker died): the room then closes below.
    const speakerObserver = await router
      .createActiveSpeakerObserver({ interval: ACTIVE_SPEAKER_INTERVAL_MS })
      .catch((error: unknown) => {
        if (!router.closed) throw error;
        return undefined;
      });
    const room = new Room({ id: roomId, router, speakerObserver, workerPid, transportSettings, peerLimits, publish, log });
    this.#rooms.set(roomId, room);
    room.once('close', () => {
      if (this.#rooms.get(roomId) === room) this.#rooms.delete(roomId);
    });
    // The worker may have died while the router was being created: the router is then closed
    // already and 'workerclose' will never fire for it.
    if (router.closed) room.close('worker died');
    return room;
  }
}
