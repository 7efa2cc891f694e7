/**
 * Calls survive what breaks, in real browsers against real processes of a lab of this file's own
 * (support/faults/FaultLab): a mediasoup worker, the SFU and signaling are killed with SIGKILL under
 * a live call, and one page's socket is cut and blocked. After each fault every page must receive
 * video and audio from every other page again by itself — no reload, no click — with one tile per
 * person and nothing left behind. The time from the fault to media flowing again in every page is
 * recorded in the verdict.
 */
import { expect, test, uniqueRoomId, type Participants } from '../support/fixtures.ts';
import type { CallPage } from '../support/CallPage.ts';
import { sessionsOfRoom } from '../support/database.ts';
import { FaultLab } from '../support/faults/FaultLab.ts';
import { mediaFlowingAgainAt, mediaResetsAtLeast } from '../support/faults/recovery.ts';
import { TcpProxy } from '../support/faults/TcpProxy.ts';
import { expectEveryoneFlowing, expectMediaFlowing } from '../support/mediaFlow.ts';
import { getRoom } from '../support/sfu.ts';
import { CALL_TAG } from '../support/verdict.ts';

/** Short, so the signaling crash test sees the SFU let go of the dead instance's peers in seconds. */
const LEASE_SECONDS = 3;
const INSTANCE_GRACE_SECONDS = 3;
const NEWCOMER_SETTLE_MS = 4_000;
/**
 * A bound for the test on a loaded 2-core machine; the recovery times themselves (goal: 5 s, 2 s
 * for a socket) are in the verdicts and measured by `npm run bench -- recovery`.
 */
const RECOVERY_LIMIT_MS = 20_000;

let lab: FaultLab;

test.beforeAll(async () => {
  lab = await FaultLab.start({
    env: {
      SFU_SIGNALING_LEASE_SECONDS: String(LEASE_SECONDS),
      // The restarted signaling instance closes the dead one's sessions once its heartbeat is this stale.
      SIGNALING_INSTANCE_HEARTBEAT_SECONDS: '1',
      SIGNALING_INSTANCE_GRACE_SECONDS: String(INSTANCE_GRACE_SECONDS),
    },
  });
});
test.afterAll(async () => {
  await lab?.stop();
});

async function joinAll(pages: CallPage[], room: string): Promise<void> {
  for (const page of pages) await page.joinViaForm(room);
  for (const page of pages) await expect(page.tiles).toHaveCount(pages.length - 1);
}

/** Browsers named `names` on this file's lab, in a call in `room` with media flowing between all of them. */
async function callOf(participants: Participants, names: string[], room: string): Promise<CallPage[]> {
  const pages = await Promise.all(names.map((name) => participants.launch(name, { baseUrl: lab.httpUrl })));
  await joinAll(pages, room);
  await expectEveryoneFlowing(pages);
  return pages;
}

/** Every page shows exactly one tile per other page, under that page's current peer id. */
async function expectOneTileEach(pages: CallPage[]): Promise<void> {
  for (const page of pages) {
    for (const other of pages) {
      if (other === page) continue;
      await expect(page.tileOf(other)).toHaveCount(1);
      await expect(page.tileOf(other)).toHaveAttribute('data-peer-id', await other.peerId());
    }
    await expect(page.tiles).toHaveCount(pages.length - 1);
  }
}

/** The producer ids the SFU holds in the room. */
async function producersOnSfu(room: string): Promise<string[]> {
  const snapshot = await getRoom(lab.sfuAddress, room);
  return snapshot.peers.flatMap((peer) => peer.producerIds).sort();
}

test('a killed mediasoup worker: every page sets its media up again by itself, and a newcomer receives everyone', { tag: CALL_TAG }, async ({
  participants,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-worker-kill');
  verdict.room(room);
  const pages = await callOf(participants, ['alice', 'bob'], room);

  const killedAt = performance.now();
  const workerPid = await lab.killWorkerOf(room);
  await mediaResetsAtLeast(pages, 1);
  const flowingAt = await mediaFlowingAgainAt(pages, killedAt);
  verdict.figure('worker kill → media flowing in every page', flowingAt - killedAt, 'ms');
  expect(flowingAt - killedAt).toBeGreaterThan(0);
  expect(flowingAt - killedAt).toBeLessThan(RECOVERY_LIMIT_MS);
  await expectEveryoneFlowing(pages, verdict);
  await expectOneTileEach(pages);
  const after = await getRoom(lab.sfuAddress, room);
  expect(after.workerPid, 'the room lives on another (new) worker').not.toBe(workerPid);

  await test.step('a third page joins afterwards and receives everyone; no ghost producer is offered', async () => {
    const carol = await participants.launch('carol', { baseUrl: lab.httpUrl });
    await carol.joinViaForm(room);
    const everyone = [...pages, carol];
    await expectOneTileEach(everyone);
    // The newcomer starts four streams one after another: its window is measured once they have all
    // run for a few seconds, at the same 85% of the senders' rate.
    await expectMediaFlowing(carol, pages, verdict, { settleMs: NEWCOMER_SETTLE_MS });
    await expect(carol.errorBanner).toBeHidden();
    // Every producer a page receives exists on the SFU, and the SFU holds exactly 2 per page.
    const onSfu = await producersOnSfu(room);
    expect(onSfu).toHaveLength(2 * everyone.length);
  });
});

test('a killed and restarted SFU: the call comes back in every page without a reload', { tag: CALL_TAG }, async ({ participants, verdict }) => {
  const room = uniqueRoomId('e2e-sfu-restart');
  verdict.room(room);
  const pages = await callOf(participants, ['alice', 'bob'], room);

  const killedAt = performance.now();
  await lab.killSfu();
  await lab.startSfu();
  verdict.figure('SFU kill → SFU serving again', performance.now() - killedAt, 'ms');
  await mediaResetsAtLeast(pages, 1);
  const flowingAt = await mediaFlowingAgainAt(pages, killedAt);
  verdict.figure('SFU kill → media flowing in every page', flowingAt - killedAt, 'ms');
  expect(flowingAt - killedAt).toBeLessThan(RECOVERY_LIMIT_MS);
  await expectEveryoneFlowing(pages, verdict);
  await expectOneTileEach(pages);
  for (const page of pages) await expect(page.errorBanner).toBeHidden();
});

test('a killed and restarted signaling: pages reconnect, rejoin with one tile each; the SFU and PostgreSQL keep nothing of the dead instance', { tag: CALL_TAG }, async ({
  participants,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-signaling-restart');
  verdict.room(room);
  const pages = await callOf(participants, ['alice', 'bob'], room);
  const oldPeerIds = await Promise.all(pages.map((page) => page.peerId()));

  const killedAt = performance.now();
  await lab.killSignaling();
  for (const page of pages) await expect(page.page.getByTestId('reconnecting-banner')).toBeVisible();
  await lab.startSignaling();
  await mediaResetsAtLeast(pages, 1);
  const flowingAt = await mediaFlowingAgainAt(pages, killedAt);
  verdict.figure('signaling kill → media flowing in every page', flowingAt - killedAt, 'ms');
  expect(flowingAt - killedAt).toBeLessThan(RECOVERY_LIMIT_MS);
  for (const page of pages) await expect(page.page.getByTestId('reconnecting-banner')).toBeHidden();
  await expectOneTileEach(pages);
  await expectEveryoneFlowing(pages, verdict);

  await test.step(`within the lease grace (${LEASE_SECONDS} s) the SFU holds none of the dead instance's peers`, async () => {
    await expect
      .poll(async () => (await getRoom(lab.sfuAddress, room)).peers.map((peer) => peer.peerId).filter((id) => oldPeerIds.includes(id)), {
        timeout: (LEASE_SECONDS + 5) * 1000,
      })
      .toEqual([]);
    const held = (await getRoom(lab.sfuAddress, room)).peers.map((peer) => peer.peerId).sort();
    expect(held).toEqual((await Promise.all(pages.map((page) => page.peerId()))).sort());
  });

  await test.step(`PostgreSQL: the dead instance's sessions are closed as instance_lost (grace ${INSTANCE_GRACE_SECONDS} s)`, async () => {
    const oldSessions = async () => (await sessionsOfRoom(lab.databaseUrl, room)).filter((s) => oldPeerIds.includes(s.peer_id));
    await expect.poll(async () => (await oldSessions()).map((s) => s.leave_reason), { timeout: (INSTANCE_GRACE_SECONDS + 10) * 1000 }).toEqual([
      'instance_lost',
      'instance_lost',
    ]);
  });
});

test("one page's socket cut, then blocked for 5 s: that page resumes as the same participant, the others never see a second tile", { tag: CALL_TAG }, async ({
  participants,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-socket-drop');
  verdict.room(room);
  const proxy = await TcpProxy.start(lab.signalingPort);
  try {
    const alice = await participants.launch('alice', { baseUrl: lab.httpUrl });
    // bob reaches signaling through the proxy (the page's origin is the proxy), media goes to the SFU directly.
    const bob = await participants.launch('bob', { baseUrl: `http://localhost:${proxy.port}` });
    const pages = [alice, bob];
    await joinAll(pages, room);
    await expectEveryoneFlowing(pages);
    const bobPeerId = await bob.peerId();

    const cutAt = performance.now();
    expect(proxy.cut()).toBeGreaterThan(0);
    await expect(bob.page.getByTestId('reconnecting-banner')).toBeHidden({ timeout: 10_000 });
    await expect.poll(() => bob.page.evaluate(() => window.__lab?.connection)).toBe('connected');
    verdict.figure('socket cut → session resumed', performance.now() - cutAt, 'ms');
    expect(await bob.peerId(), 'the same participant').toBe(bobPeerId);
    await expectOneTileEach(pages);
    await expectEveryoneFlowing(pages, verdict);
    // The session goes on over the new socket: a mute reaches alice.
    await bob.micButton.click();
    await expect.poll(async () => (await alice.participants()).find((p) => p.peerId === bobPeerId)?.audioMuted).toBe(true);

    await proxy.block(5_000);
    await bob.micButton.click();
    await expect.poll(async () => (await alice.participants()).find((p) => p.peerId === bobPeerId)?.audioMuted).toBe(false);
    expect(await bob.peerId()).toBe(bobPeerId);
    await expectOneTileEach(pages);
    await expectEveryoneFlowing(pages, verdict);

    const sessions = await sessionsOfRoom(lab.databaseUrl, room);
    expect(sessions.filter((s) => s.left_at === null).map((s) => s.peer_id).sort()).toEqual(
      (await Promise.all(pages.map((page) => page.peerId()))).sort(),
    );
    expect(sessions).toHaveLength(2);
  } finally {
    await proxy.close();
  }
});
