/**
 * Behaviour every RoomBus must have, as a suite over a factory (two bus handles that stand for two
 * signaling instances sharing one backend; the in-process bus passes the same handle twice). Delivery
 * may be asynchronous, so assertions wait for it.
 */
import { randomUUID } from 'node:crypto';
import type { Push } from '@lab/proto/signaling';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { RoomBus } from '../RoomBus.ts';

export interface BusPair {
  /** Where peers attach ("instance A"). */
  local: RoomBus;
  /** Where pushes may be published from ("instance B"); may be the same object. */
  remote: RoomBus;
  close(): Promise<void>;
}

const left = (peerId: string): Push => ({ event: 'peerLeft', data: { peerId, reason: 'left' } });

/** Time to let a wrongly delivered push arrive before asserting it did not. */
const QUIET_MS = 100;

export function describeRoomBusContract(name: string, createBuses: () => Promise<BusPair>): void {
  describe(`RoomBus contract: ${name}`, () => {
    let buses: BusPair;
    let roomId: string;

    beforeEach(async () => {
      buses = await createBuses();
      roomId = `room-${randomUUID()}`;
    });
    afterEach(async () => {
      await buses.close();
    });

    test('a room push reaches every attached peer of the room except the excluded one', async () => {
      const got: Record<string, Push[]> = { a: [], b: [], c: [] };
      for (const peerId of ['a', 'b', 'c']) await buses.local.attach(roomId, peerId, (push) => got[peerId]!.push(push));
      await buses.remote.publishToRoom(roomId, left('x'), { exceptPeerId: 'b' });
      await vi.waitFor(() => {
        expect(got.a).toEqual([left('x')]);
        expect(got.c).toEqual([left('x')]);
      });
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      expect(got.b).toEqual([]);
    });

    test('pushes do not cross rooms; a peer push reaches only that peer', async () => {
      const inRoom: Push[] = [];
      const elsewhere: Push[] = [];
      const target: Push[] = [];
      await buses.local.attach(roomId, 'a', (push) => inRoom.push(push));
      await buses.local.attach(roomId, 't', (push) => target.push(push));
      await buses.local.attach(`${roomId}-2`, 'a', (push) => elsewhere.push(push));
      await buses.remote.publishToPeer(roomId, 't', left('just-for-t'));
      await buses.remote.publishToRoom(roomId, left('room'));
      await vi.waitFor(() => expect(target).toEqual([left('just-for-t'), left('room')]));
      await vi.waitFor(() => expect(inRoom).toEqual([left('room')]));
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      expect(elsewhere).toEqual([]);
    });

    test('pushes from one publisher arrive in publish order', async () => {
      const got: string[] = [];
      await buses.local.attach(roomId, 'a', (push) => got.push((push.data as { peerId: string }).peerId));
      const sent = Array.from({ length: 50 }, (_, index) => `p${index}`);
      for (const peerId of sent) await buses.remote.publishToRoom(roomId, left(peerId));
      await vi.waitFor(() => expect(got).toEqual(sent));
    });

    test('after detach nothing more is delivered; detach is idempotent', async () => {
      const got: Push[] = [];
      const attachment = await buses.local.attach(roomId, 'a', (push) => got.push(push));
      await attachment.detach();
      await attachment.detach();
      await buses.remote.publishToRoom(roomId, left('x'));
      await buses.remote.publishToPeer(roomId, 'a', left('y'));
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      expect(got).toEqual([]);
    });

    test('a throwing listener does not stop delivery to the others', async () => {
      const got: Push[] = [];
      await buses.local.attach(roomId, 'bad', () => {
        throw new Error('listener bug');
      });
      await buses.local.attach(roomId, 'good', (push) => got.push(push));
      await buses.remote.publishToRoom(roomId, left('x'));
      await vi.waitFor(() => expect(got).toEqual([left('x')]));
    });

    test('each listener gets its own copy of the push', async () => {
      const seen: Push[] = [];
      await buses.local.attach(roomId, 'a', (push) => {
        (push.data as { peerId: string }).peerId = 'mutated';
      });
      await buses.local.attach(roomId, 'b', (push) => seen.push(push));
      const push = left('x');
      await buses.remote.publishToRoom(roomId, push);
      await vi.waitFor(() => expect(seen).toEqual([left('x')]));
      expect(push).toEqual(left('x'));
    });
  });
}
