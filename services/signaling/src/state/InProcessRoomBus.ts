/** RoomBus within one process: a publish calls the attached listeners directly, in attach order. */
import type { Push } from '@lab/proto/signaling';
import { moduleLogger } from '../logger.ts';
import type { BusAttachment, PushListener, RoomBus } from './RoomBus.ts';

const log = moduleLogger('InProcessRoomBus');

export class InProcessRoomBus implements RoomBus {
  /** roomId → peerId → listeners (a Set: the same peer attached twice gets each push twice, visibly). */
  readonly #rooms = new Map<string, Map<string, Set<PushListener>>>();

  async attach(roomId: string, peerId: string, listener: PushListener): Promise<BusAttachment> {
    const room = this.#rooms.get(roomId) ?? new Map<string, Set<PushListener>>();
    this.#rooms.set(roomId, room);
    const listeners = room.get(peerId) ?? new Set<PushListener>();
    room.set(peerId, listeners);
    // A wrapper per attachment, so attaching the same function twice still yields two detachable entries.
    const entry: PushListener = (push) => listener(push);
    listeners.add(entry);
    return {
      detach: async () => {
        listeners.delete(entry);
        if (listeners.size === 0 && room.get(peerId) === listeners) room.delete(peerId);
        if (room.size === 0 && this.#rooms.get(roomId) === room) this.#rooms.delete(roomId);
      },
    };
  }

  async publishToRoom(roomId: string, push: Push, options: { exceptPeerId?: string } = {}): Promise<void> {
    const room = this.#rooms.get(roomId);
    if (!room) return;
    for (const [peerId, listeners] of [...room]) {
      if (peerId !== options.exceptPeerId) this.#deliver(roomId, peerId, listeners, push);
    }
  }

  async publishToPeer(roomId: string, peerId: string, push: Push): Promise<void> {
    const listeners = this.#rooms.get(roomId)?.get(peerId);
    if (listeners) this.#deliver(roomId, peerId, listeners, push);
  }

  async close(): Promise<void> {
    this.#rooms.clear();
  }

  #deliver(roomId: string, peerId: string, listeners: Set<PushListener>, push: Push): void {
    // Each listener gets its own copy, as it would from a serializing (Redis) bus.
    for (const listener of [...listeners]) {
      try {
        listener(structuredClone(push));
      } catch (error) {
        log.error({ err: error, roomId, peerId, event: push.event }, 'push listener threw');
      }
    }
  }
}
