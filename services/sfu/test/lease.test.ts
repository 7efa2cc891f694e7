/**
 * Signaling instances' leases against the real SFU process: the peers a signaling instance
 * registered live while that instance keeps a WatchEvents stream open; once its last stream has been
 * gone for the grace period they are closed (nothing of a crashed instance stays behind), while a
 * stream that comes back within the grace keeps them, and other instances' peers are never touched.
 */
import { describe, expect, it } from 'vitest';
import { call, watchEvents } from './sfuClient.ts';
import { eventually, newRoomId } from './sfuCalls.ts';
import { useSfu } from './useSfu.ts';

const GRACE_SECONDS = 1;

describe('signaling instance leases', () => {
  const lab = useSfu({ SFU_WORKERS: '1', SFU_SIGNALING_LEASE_SECONDS: String(GRACE_SECONDS) });

  const register = (roomId: string, peerId: string, signalingInstance: string) =>
    call((o, cb) => lab.client.GetRouterRtpCapabilities({ peer: { roomId, peerId }, signalingInstance }, o, cb));
  const createTransport = (roomId: string, peerId: string) =>
    call((o, cb) => lab.client.CreateWebRtcTransport({ peer: { roomId, peerId }, direction: 'TRANSPORT_DIRECTION_SEND' }, o, cb));
  const peersOf = async (roomId: string) => {
    const room = await call<{ exists: boolean; peers: { peerId: string; transportIds: string[] }[] }>((o, cb) =>
      lab.client.GetRoom({ roomId }, o, cb),
    );
    return room.exists ? room.peers.map((peer) => peer.peerId).sort() : [];
  };
  const metric = async (name: string) => {
    const text = await (await fetch(lab.sfu.metricsUrl)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ')[1] ?? NaN);
  };

  it("closes a lost instance's peers after the grace, and only those", async () => {
    const roomId = newRoomId();
    const closedBefore = await metric('sfu_signaling_lease_peers_closed_total');
    const lost = await watchEvents(lab.client, [], 'signaling-lost');
    const alive = await watchEvents(lab.client, [], 'signaling-alive');
    await register(roomId, 'alice', 'signaling-lost');
    await createTransport(roomId, 'alice');
    await register(roomId, 'bob', 'signaling-alive');
    await register(roomId, 'carol', ''); // no lease: kept until ClosePeer
    expect(await peersOf(roomId)).toEqual(['alice', 'bob', 'carol']);

    lost.cancel();
    const cancelledAt = performance.now();
    // Still there inside the grace: a stream that drops and resubscribes loses nothing.
    await new Promise((resolve) => setTimeout(resolve, (GRACE_SECONDS * 1000) / 2));
    expect(await peersOf(roomId)).toEqual(['alice', 'bob', 'carol']);

    const peers = await eventually(() => peersOf(roomId), (ids) => !ids.includes('alice'), 5_000);
    const waitedMs = performance.now() - cancelledAt;
    expect(peers).toEqual(['bob', 'carol']);
    expect(waitedMs).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 * 0.9);
    expect(await metric('sfu_signaling_lease_peers_closed_total')).toBe(closedBefore + 1);
    alive.cancel();
  });

  it('keeps the peers of an instance whose stream comes back within the grace', async () => {
    const roomId = newRoomId();
    const first = await watchEvents(lab.client, [], 'signaling-flaky');
    await register(roomId, 'dave', 'signaling-flaky');
    first.cancel();
    await new Promise((resolve) => setTimeout(resolve, (GRACE_SECONDS * 1000) / 3));
    const second = await watchEvents(lab.client, [], 'signaling-flaky');
    await new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 1000 * 2));
    expect(await peersOf(roomId)).toEqual(['dave']);
    second.cancel();
    // And with no stream at all, it goes after the grace.
    expect(await eventually(() => peersOf(roomId), (ids) => ids.length === 0, 5_000)).toEqual([]);
  });

  it('does not keep a peer whose instance never subscribed', async () => {
    const roomId = newRoomId();
    await register(roomId, 'erin', 'signaling-never-subscribed');
    expect(await eventually(() => peersOf(roomId), (ids) => ids.length === 0, 5_000)).toEqual([]);
  });
});
