/**
 * Delivery of pushes to the peers of a room, wherever their sockets are. Every instance attaches its
 * local sockets; a publish reaches every attached socket of the room (or of one peer) on every
 * instance. In-process now; a Redis pub/sub implementation can fill the same interface, so publishing
 * is async and delivery may happen after `publish*` resolves.
 */
import type { Push } from '@lab/proto/signaling';

/** Receives the pushes for one attached peer. Should not throw; if it does, other peers still get theirs. */
export type PushListener = (push: Push) => void;

export interface BusAttachment {
  /** Stops delivery to this peer; idempotent. */
  detach(): Promise<void>;
}

export interface RoomBus {
  /** Starts delivering to `listener` the room's pushes and the pushes addressed to this peer. */
  attach(roomId: string, peerId: string, listener: PushListener): Promise<BusAttachment>;
  /** To every attached peer of the room, except `exceptPeerId` (usually the peer that caused it). */
  publishToRoom(roomId: string, push: Push, options?: { exceptPeerId?: string }): Promise<void>;
  /** To one peer of the room. */
  publishToPeer(roomId: string, peerId: string, push: Push): Promise<void>;
  close(): Promise<void>;
}
