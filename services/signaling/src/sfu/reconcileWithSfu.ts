/**
 * After an SFU's event stream comes back (the SFU restarted, or the network between us dropped), the
 * events of the gap are lost for good: the feed has no replay. So every local peer of a room on that
 * SFU is checked against what the SFU holds now (GetRoom), and a peer the SFU no longer knows is told
 * its media is lost (its page then sets it up again, see PeerSession.mediaLost).
 */
import type { Logger } from 'pino';
import type { LocalPeerRegistry } from '../LocalPeerRegistry.ts';
import type { SfuDirectory } from './SfuDirectory.ts';
import type { SfuApi } from './SfuGateway.ts';

export interface Reconciliation {
  /** Rooms on this SFU with local peers. */
  rooms: number;
  /** Local peers the SFU no longer held (told their media is lost). */
  peersLost: number;
  /** Rooms that could not be checked (GetRoom failed). */
  unchecked: number;
}

/** One pass over the local peers' rooms on `gateway`'s SFU. */
export async function reconcileWithSfu(
  gateway: SfuApi,
  directory: SfuDirectory,
  localPeers: Pick<LocalPeerRegistry, 'byRoom'>,
  log: Logger,
): Promise<Reconciliation> {
  let rooms = 0;
  let peersLost = 0;
  let unchecked = 0;
  for (const [roomId, peers] of localPeers.byRoom()) {
    if ((await directory.gatewayForRoom(roomId)) !== gateway) continue;
    rooms += 1;
    let held: Set<string>;
    try {
      const room = await gateway.getRoom({ roomId });
      held = new Set(room.exists ? room.peers.map((peer) => peer.peerId) : []);
    } catch (error) {
      log.warn({ err: error, roomId, sfu: gateway.address }, 'could not check a room against the SFU');
      unchecked += 1;
      continue;
    }
    for (const peer of peers) {
      if (held.has(peer.peerId)) continue;
      peersLost += 1;
      peer.mediaLost('the SFU no longer holds this peer (it restarted, or lost the room)');
    }
  }
  return { rooms, peersLost, unchecked };
}

/**
 * Passes until every room was checked, waiting longer after each pass that left some unchecked
 * (an SFU that has just come back may not answer at once); stops when `connected()` turns false (the
 * next reconnection starts over).
 */
export async function reconcileUntilChecked(
  gateway: SfuApi,
  directory: SfuDirectory,
  localPeers: Pick<LocalPeerRegistry, 'byRoom'>,
  log: Logger,
  connected: () => boolean,
  retryDelayMs = (pass: number) => Math.min(500 * 2 ** pass, 10_000),
): Promise<void> {
  for (let pass = 0; connected(); pass++) {
    const result = await reconcileWithSfu(gateway, directory, localPeers, log);
    log.info({ sfu: gateway.address, ...result }, 'checked local peers against the SFU after its event stream came back');
    if (result.unchecked === 0) return;
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(pass)));
  }
}
