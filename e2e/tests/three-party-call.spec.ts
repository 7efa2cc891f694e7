/**
 * The proof: three people in three separate browsers hold a call through the real page,
 * the SFU and signaling; every step is asserted on what the pages show and receive, then on what
 * the SFU (gRPC) and PostgreSQL hold once everyone has left.
 */
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { CALL_TAG } from '../support/verdict.ts';
import { sessionsOfRoom } from '../support/database.ts';
import { expectMediaFlowing } from '../support/mediaFlow.ts';
import { getRoom } from '../support/sfu.ts';
import { timedClick, watchTile, type TileCondition } from '../support/propagation.ts';
import type { CallPage } from '../support/CallPage.ts';
import type { Locator } from '@playwright/test';

/** The bar for mute / camera-off / leave reaching the others. */
const PROPAGATION_MS = 1_000;

test('three browsers hold a call: video and audio flow, mute and leave reach the others within 1 s, nothing is left behind', { tag: CALL_TAG }, async ({
  participants,
  lab,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-3p');
  verdict.room(room);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => participants.launch(name)));
  const everyone = [alice!, bob!, carol!];
  const others = (me: CallPage) => everyone.filter((p) => p !== me);

  await test.step('alice joins through the form, bob and carol through a link (room filled in, each types a name)', async () => {
    await alice!.joinViaForm(room);
    await bob!.joinViaLink(room);
    await carol!.joinViaLink(room);
    for (const p of everyone) verdict.participant(p.name).peerId = await p.peerId();
  });

  await test.step('each page shows one tile per other participant, with their name', async () => {
    for (const me of everyone) {
      await expect(me.tiles).toHaveCount(2);
      for (const other of others(me)) {
        const tile = me.tileOf(other);
        await expect(tile).toHaveCount(1);
        await expect(tile).toHaveAttribute('data-peer-id', await other.peerId());
        await expect(tile.getByTestId('participant-name')).toHaveText(other.name);
        await expect(tile.getByTestId('mic-state')).toHaveAttribute('data-state', 'unmuted');
        await expect(tile.getByTestId('camera-state')).toHaveAttribute('data-state', 'on');
      }
    }
  });

  await test.step('each decodes video from both others and receives their audio, at ≥ 85% of what each sent over 3 s', async () => {
    await Promise.all(everyone.map((me) => expectMediaFlowing(me, others(me), verdict)));
    for (const me of everyone) {
      const firstFrame = await me.timeToFirstFrameMs();
      expect(firstFrame, `${me.name} should have presented a remote frame`).not.toBeNull();
      // Join click → first frame means something only for those who joined someone already there.
      if (me !== alice) verdict.participant(me.name).timeToFirstFrameMs = firstFrame;
      for (const other of others(me)) await expect(me.tileOf(other).getByTestId('participant-video')).toBeVisible();
    }
  });

  /**
   * Clicks `button` in `actor`'s page and asserts each observer shows `condition` within 1 s of the
   * click, as Playwright sees it and as measured inside the pages (recorded in the verdict).
   */
  const expectSeenWithin1s = async (
    actor: CallPage,
    button: Locator,
    observers: CallPage[],
    conditionFor: Omit<TileCondition, 'tileOf'>,
    label: string,
    expectation: (observer: CallPage) => Promise<void>,
  ) => {
    const watches = await Promise.all(
      observers.map((observer) => watchTile(observer, { tileOf: actor.name, ...conditionFor } as TileCondition)),
    );
    const clickedAt = await timedClick(button);
    await Promise.all(observers.map(expectation));
    for (const [i, observer] of observers.entries()) {
      const ms = (await watches[i]!.seenAt()) - clickedAt;
      verdict.timing(`${label} seen by ${observer.name}`, ms);
      // Shown before the click would mean the page showed it for another reason: not a propagation time.
      expect(ms, `${label} seen by ${observer.name} after the click, not before`).toBeGreaterThanOrEqual(0);
      expect(ms, `${label} should reach ${observer.name} within ${PROPAGATION_MS} ms of the click`).toBeLessThan(PROPAGATION_MS);
    }
  };

  await test.step('bob mutes: alice and carol show it within 1 s', async () => {
    await expectSeenWithin1s(
      bob!,
      bob!.micButton,
      [alice!, carol!],
      { indicator: 'mic-state', state: 'muted' },
      "bob's mute",
      (observer) =>
        expect(observer.tileOf(bob!).getByTestId('mic-state')).toHaveAttribute('data-state', 'muted', { timeout: PROPAGATION_MS }),
    );
    for (const observer of [alice!, carol!]) {
      await expect(observer.tileOf(bob!).getByTestId('mic-state')).toHaveText('muted');
    }
    await expect(bob!.micButton).toHaveAttribute('data-state', 'muted');
  });

  await test.step('bob turns his camera off: alice and carol show it within 1 s', async () => {
    await expectSeenWithin1s(
      bob!,
      bob!.cameraButton,
      [alice!, carol!],
      { indicator: 'camera-state', state: 'off' },
      "bob's camera-off",
      (observer) =>
        expect(observer.tileOf(bob!).getByTestId('camera-state')).toHaveAttribute('data-state', 'off', { timeout: PROPAGATION_MS }),
    );
    for (const observer of [alice!, carol!]) {
      await expect(observer.tileOf(bob!).getByTestId('camera-state')).toHaveText('off');
      await expect(observer.tileOf(bob!).getByTestId('participant-video')).toBeHidden();
    }
    // His own preview is gone too.
    await expect(bob!.localVideo).toBeHidden();
    // The others' state is untouched.
    await expect(alice!.tileOf(carol!).getByTestId('mic-state')).toHaveAttribute('data-state', 'unmuted');
    await expect(alice!.tileOf(carol!).getByTestId('camera-state')).toHaveAttribute('data-state', 'on');
  });

  await test.step("bob's paused producers deliver nothing more to alice and carol", async () => {
    const bobId = await bob!.peerId();
    const counters = async (observer: CallPage) => {
      const stats = await observer.statsFrom(bobId);
      // bob's consumers stay, paused; without their figures "nothing more" would hold trivially.
      expect(stats?.video, `${observer.name} should still report bob's video`).toBeTruthy();
      expect(stats?.audio, `${observer.name} should still report bob's audio`).toBeTruthy();
      return { frames: stats?.video?.framesDecoded ?? 0, packets: stats?.audio?.packetsReceived ?? 0 };
    };
    const before = await Promise.all([alice!, carol!].map(counters));
    await alice!.page.waitForTimeout(2_000);
    const after = await Promise.all([alice!, carol!].map(counters));
    // Normally ~100 audio packets and ~40-60 frames in 2 s; a few may still be in flight.
    for (const i of [0, 1]) {
      expect(after[i]!.packets - before[i]!.packets).toBeLessThan(10);
      expect(after[i]!.frames - before[i]!.frames).toBeLessThan(5);
    }
  });

  await test.step('carol leaves: alice and bob drop her tile within 1 s', async () => {
    await expectSeenWithin1s(
      carol!,
      carol!.leaveButton,
      [alice!, bob!],
      { gone: true },
      "carol's leave",
      (observer) => expect(observer.tileOf(carol!)).toHaveCount(0, { timeout: PROPAGATION_MS }),
    );
    for (const observer of [alice!, bob!]) await expect(observer.tiles).toHaveCount(1);
    await expect(carol!.callState).toHaveAttribute('data-state', 'left');
  });

  // Bob sends nothing now (muted, camera off), so the remaining flow to check is alice → bob.
  await test.step("after carol left, bob still receives alice's video and audio", async () => {
    await expectMediaFlowing(bob!, [alice!]);
  });

  await test.step('alice and bob leave', async () => {
    await alice!.leaveButton.click();
    await bob!.leaveButton.click();
    await expect(alice!.callState).toHaveAttribute('data-state', 'left');
    await expect(bob!.callState).toHaveAttribute('data-state', 'left');
  });

  await test.step('the SFU holds nothing for the room any more: no router, no transport (gRPC GetRoom)', async () => {
    await expect
      .poll(
        async () => {
          const state = await getRoom(lab.sfuAddress, room);
          return { routerExists: state.exists, transports: state.transportCount, peers: state.peers.length };
        },
        { message: `GetRoom(${room}) should report the room's router closed and nothing in it`, timeout: 5_000 },
      )
      .toEqual({ routerExists: false, transports: 0, peers: 0 });
  });

  await test.step('PostgreSQL has the three sessions, each ended', async () => {
    const peerIds = Object.fromEntries(everyone.map((p) => [p.name, verdict.data.participants[p.name]?.peerId]));
    await expect
      .poll(async () => (await sessionsOfRoom(lab.databaseUrl, room)).filter((s) => s.left_at !== null).length, {
        message: 'all three sessions should get left_at',
        timeout: 5_000,
      })
      .toBe(3);
    const sessions = await sessionsOfRoom(lab.databaseUrl, room);
    expect(sessions.map((s) => s.display_name).sort()).toEqual(['alice', 'bob', 'carol']);
    for (const session of sessions) {
      expect(session.room_id).toBe(room);
      expect(session.peer_id).toBe(peerIds[session.display_name]);
      expect(session.left_at!.getTime()).toBeGreaterThanOrEqual(session.joined_at.getTime());
      expect(session.leave_reason).toBe('left');
    }
  });
});
