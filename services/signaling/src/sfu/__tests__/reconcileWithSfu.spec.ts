/**
 * What signaling does when an SFU's event stream comes back: every local peer the SFU no longer holds
 * is told its media is lost, the others are left alone, and rooms the SFU could not answer for are
 * checked again until they are (or the stream drops again).
 */
import type { GetRoomResponse__Output } from '@lab/proto/sfu';
import { pino } from 'pino';
import { describe, expect, test, vi } from 'vitest';
import type { LocalPeer } from '../../LocalPeerRegistry.ts';
import { reconcileUntilChecked, reconcileWithSfu } from '../reconcileWithSfu.ts';
import type { SfuDirectory } from '../SfuDirectory.ts';
import type { SfuApi, SfuGateway } from '../SfuGateway.ts';

const log = pino({ level: 'silent' });

function peer(roomId: string, peerId: string) {
  return { roomId, peerId, handleSfuEvent: vi.fn(), mediaLost: vi.fn() } satisfies LocalPeer;
}

function room(peerIds: string[]): GetRoomResponse__Output {
  return {
    exists: peerIds.length > 0,
    routerId: 'r',
    workerPid: 1,
    peers: peerIds.map((peerId) => ({ peerId, transportIds: [], producerIds: [], consumerIds: [] })),
    transportCount: 0,
    producerCount: 0,
    consumerCount: 0,
  };
}

function setup(getRoom: (roomId: string) => Promise<GetRoomResponse__Output>) {
  const gateway = { address: 'sfu-1', getRoom: vi.fn(({ roomId }: { roomId: string }) => getRoom(roomId)) } as unknown as SfuApi;
  const directory: SfuDirectory = { gatewayForRoom: async () => gateway, gateways: () => [gateway as unknown as SfuGateway] };
  const held = peer('a', 'alice');
  const lostInA = peer('a', 'bob');
  const lostRoom = peer('b', 'carol');
  const localPeers = {
    byRoom: () =>
      new Map<string, LocalPeer[]>([
        ['a', [held, lostInA]],
        ['b', [lostRoom]],
      ]),
  };
  return { gateway, directory, localPeers, held, lostInA, lostRoom };
}

describe('reconcileWithSfu', () => {
  test('peers the SFU no longer holds (a room it lost entirely, or one peer of a room) are told; held ones are not', async () => {
    const { gateway, directory, localPeers, held, lostInA, lostRoom } = setup(async (roomId) => (roomId === 'a' ? room(['alice']) : room([])));
    expect(await reconcileWithSfu(gateway, directory, localPeers, log)).toEqual({ rooms: 2, peersLost: 2, unchecked: 0 });
    expect(held.mediaLost).not.toHaveBeenCalled();
    expect(lostInA.mediaLost).toHaveBeenCalledOnce();
    expect(lostRoom.mediaLost).toHaveBeenCalledOnce();
  });

  test('a room the SFU did not answer for is checked again until it is, and nothing is declared lost meanwhile', async () => {
    let failures = 2;
    const { gateway, directory, localPeers, held, lostRoom } = setup(async (roomId) => {
      if (roomId === 'b' && failures-- > 0) throw new Error('DEADLINE_EXCEEDED');
      return roomId === 'a' ? room(['alice', 'bob']) : room([]);
    });
    await reconcileUntilChecked(gateway, directory, localPeers, log, () => true, () => 1);
    expect(gateway.getRoom).toHaveBeenCalledTimes(6);
    expect(lostRoom.mediaLost).toHaveBeenCalledOnce();
    expect(held.mediaLost).not.toHaveBeenCalled();
  });

  test('stops checking once the stream is gone again (the next reconnection starts over)', async () => {
    const { gateway, directory, localPeers, lostRoom } = setup(async () => {
      throw new Error('UNAVAILABLE');
    });
    let passes = 0;
    await reconcileUntilChecked(gateway, directory, localPeers, log, () => passes++ < 3, () => 1);
    expect(gateway.getRoom).toHaveBeenCalledTimes(6);
    expect(lostRoom.mediaLost).not.toHaveBeenCalled();
  });
});
