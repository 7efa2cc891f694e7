/**
 * Behaviour every RoomStateStore must have, as a suite over a factory: the in-memory store runs it
 * now, the Redis store will run the very same suite. Each test uses its own room ids so a shared
 * backend needs no cleaning between tests.
 */
import { randomUUID } from 'node:crypto';
import type { ProducerInfo } from '@lab/proto/signaling';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { PeerRecord, RoomStateStore } from '../RoomStateStore.ts';

export function describeRoomStateStoreContract(name: string, createStore: () => Promise<RoomStateStore>): void {
  describe(`RoomStateStore contract: ${name}`, () => {
    let store: RoomStateStore;
    let roomId: string;
    const limits = { maxPeers: 3 };
    const peer = (peerId: string, displayName = peerId): PeerRecord => ({ peerId, displayName, producers: [] });
    const mic = (producerId: string, paused = false): ProducerInfo => ({ producerId, kind: 'audio', source: 'mic', paused });
    const camera = (producerId: string, paused = false): ProducerInfo => ({ producerId, kind: 'video', source: 'camera', paused });

    beforeEach(async () => {
      store = await createStore();
      roomId = `room-${randomUUID()}`;
    });
    afterEach(async () => {
      await store.close();
    });

    /** Adds and marks joined (metrics name: the display name), as a completed join does. */
    const join = async (id: string, displayName = id) => {
      const result = await store.addPeer(roomId, peer(id, displayName), limits);
      expect(await store.markJoined(roomId, id, displayName)).toBe(true);
      return result;
    };

    test('addPeer returns the joined peers already there, in join order, with derived media state', async () => {
      expect(await join('a', 'Ann')).toEqual({ added: true, others: [] });
      await store.addProducer(roomId, 'a', mic('m1'));
      expect(await join('b', 'Bob')).toEqual({
        added: true,
        others: [{ peerId: 'a', displayName: 'Ann', audioMuted: false, videoMuted: true, producers: [mic('m1')] }],
      });
      const third = await join('c');
      expect(third.added && third.others.map((other) => other.peerId)).toEqual(['a', 'b']);
      expect((await store.listPeers(roomId)).map((other) => other.peerId)).toEqual(['a', 'b', 'c']);
    });

    test('a joining peer holds a seat but is listed only once marked joined', async () => {
      await join('a');
      await store.addPeer(roomId, peer('b'), limits);
      expect((await store.listPeers(roomId)).map((other) => other.peerId)).toEqual(['a']);
      expect(await store.getPeer(roomId, 'b')).toMatchObject({ peerId: 'b' });
      const third = await store.addPeer(roomId, peer('c'), limits);
      expect(third.added && third.others.map((other) => other.peerId)).toEqual(['a']);
      expect(await store.addPeer(roomId, peer('d'), limits)).toMatchObject({ added: false, peerCount: 3 });
      await store.markJoined(roomId, 'c', 'c');
      await store.markJoined(roomId, 'b', 'b');
      // Listed in seat (arrival) order, not in the order the joins completed.
      expect((await store.listPeers(roomId)).map((other) => other.peerId)).toEqual(['a', 'b', 'c']);
      expect(await store.markJoined(roomId, 'nobody', 'nobody')).toBe(false);
    });

    test('a full room refuses the next peer without adding it', async () => {
      for (const id of ['a', 'b', 'c']) await join(id);
      expect(await store.addPeer(roomId, peer('d'), limits)).toEqual({ added: false, reason: 'room_full', peerCount: 3 });
      expect(await store.getPeer(roomId, 'd')).toBeUndefined();
      await store.removePeer(roomId, 'b');
      expect((await store.addPeer(roomId, peer('d'), limits)).added).toBe(true);
    });

    test('concurrent joins never exceed the limit', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, index) => store.addPeer(roomId, peer(`p${index}`), limits)),
      );
      expect(results.filter((result) => result.added)).toHaveLength(limits.maxPeers);
      for (let index = 0; index < 10; index++) await store.markJoined(roomId, `p${index}`, `p${index}`);
      expect(await store.listPeers(roomId)).toHaveLength(limits.maxPeers);
    });

    test('the same peer id twice is an error', async () => {
      await store.addPeer(roomId, peer('a'), limits);
      await expect(store.addPeer(roomId, peer('a'), limits)).rejects.toThrow(/already/);
    });

    test('rooms are independent', async () => {
      const otherRoom = `${roomId}-other`;
      await join('a');
      expect((await store.addPeer(otherRoom, peer('a'), { maxPeers: 1 })).added).toBe(true);
      expect(await store.listPeers(otherRoom)).toEqual([]);
      expect(await store.listPeers(`${roomId}-unknown`)).toEqual([]);
    });

    test('metricsNames gives the joined peers\' metrics names, so another session can label their streams', async () => {
      await join('a', 'Ann');
      await join('b', 'Ann #b');
      await store.addPeer(roomId, peer('c'), limits); // still joining: no name yet
      expect(await store.metricsNames(roomId)).toEqual(new Map([['a', 'Ann'], ['b', 'Ann #b']]));
      await store.removePeer(roomId, 'a');
      expect(await store.metricsNames(roomId)).toEqual(new Map([['b', 'Ann #b']]));
      expect(await store.metricsNames(`${roomId}-unknown`)).toEqual(new Map());
    });

    test('removePeer returns the peer exactly once, even when removals race', async () => {
      await join('a', 'Ann');
      const removals = await Promise.all([store.removePeer(roomId, 'a'), store.removePeer(roomId, 'a'), store.removePeer(roomId, 'a')]);
      expect(removals.filter(Boolean)).toEqual([{ peerId: 'a', displayName: 'Ann', audioMuted: true, videoMuted: true, producers: [] }]);
      expect(await store.listPeers(roomId)).toEqual([]);
      expect(await store.removePeer(roomId, 'never-there')).toBeUndefined();
    });

    test('producers: one per source; pausing derives muted flags; removal restores them', async () => {
      await store.addPeer(roomId, peer('a'), limits);
      expect(await store.addProducer(roomId, 'a', mic('m1'))).toMatchObject({ audioMuted: false, videoMuted: true });
      await expect(store.addProducer(roomId, 'a', mic('m2'))).rejects.toThrow(/already has a mic producer/);
      expect(await store.addProducer(roomId, 'a', camera('c1'))).toMatchObject({ audioMuted: false, videoMuted: false });

      expect(await store.setProducerPaused(roomId, 'a', 'm1', true)).toMatchObject({
        audioMuted: true,
        videoMuted: false,
        producers: [mic('m1', true), camera('c1')],
      });
      expect(await store.removeProducer(roomId, 'a', 'c1')).toMatchObject({ videoMuted: true, producers: [mic('m1', true)] });
      expect(await store.removeProducer(roomId, 'a', 'c1')).toBeUndefined();
      expect(await store.setProducerPaused(roomId, 'a', 'nope', true)).toBeUndefined();
      expect(await store.addProducer(roomId, 'ghost', mic('m3'))).toBeUndefined();
    });

    test('returned objects are copies: mutating them does not change the store', async () => {
      const original = peer('a');
      await store.addPeer(roomId, original, limits);
      await store.markJoined(roomId, 'a', 'a');
      original.displayName = 'changed';
      const listed = await store.listPeers(roomId);
      listed[0]!.displayName = 'changed too';
      listed[0]!.producers.push(mic('fake'));
      expect(await store.getPeer(roomId, 'a')).toEqual({ peerId: 'a', displayName: 'a', audioMuted: true, videoMuted: true, producers: [] });
    });
  });
}
