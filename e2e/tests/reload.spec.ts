/**
 * Reloading a tab rejoins the call (the URL carries the room, the tab's sessionStorage the name) and
 * leaves no ghost behind: the old socket closes on unload, the server ends the old session as
 * "disconnected", and the other participant ends with exactly one tile for the reloaded person,
 * with media flowing both ways.
 */
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { CALL_TAG } from '../support/verdict.ts';
import { sessionsOfRoom } from '../support/database.ts';
import { expectMediaFlowing } from '../support/mediaFlow.ts';

test('a participant who reloads comes back as one tile, media flows again both ways, the old session ends "disconnected"', { tag: CALL_TAG }, async ({
  participants,
  lab,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-reload');
  verdict.room(room);
  const [alice, bob] = await Promise.all([participants.launch('alice'), participants.launch('bob')]);

  await alice.joinViaForm(room);
  await bob.joinViaForm(room);
  const bobFirstPeerId = await bob.peerId();
  await expect(alice.tileOf(bob)).toHaveAttribute('data-peer-id', bobFirstPeerId);
  await expectMediaFlowing(alice, [bob]);

  await test.step('bob reloads his tab and is back in the call without a click', async () => {
    // The join put the room into the URL and bob's name into this tab's sessionStorage (never into
    // the URL, which may be shared), so the reloaded page joins by itself.
    expect(new URL(bob.page.url()).searchParams.get('room')).toBe(room);
    expect(new URL(bob.page.url()).searchParams.has('name'), 'the address bar carries no name').toBe(false);
    await bob.page.reload();
    await bob.expectJoined();
    await expect(bob.tileOf(alice).getByTestId('participant-name')).toHaveText('alice');
    expect(new URL(bob.page.url()).search).toBe(`?room=${room}`);
  });
  const bobSecondPeerId = await bob.peerId();
  expect(bobSecondPeerId).not.toBe(bobFirstPeerId);
  verdict.participant('alice').peerId = await alice.peerId();
  verdict.participant('bob').peerId = bobSecondPeerId;

  await test.step('alice shows exactly one tile for bob: the new one (the ghost is gone)', async () => {
    await expect(alice.tileOf(bob)).toHaveAttribute('data-peer-id', bobSecondPeerId);
    await expect(alice.tileOf(bob)).toHaveCount(1);
    await expect(alice.tiles).toHaveCount(1);
    expect((await alice.participants()).map((p) => p.peerId)).toEqual([bobSecondPeerId]);
    await expect(bob.tiles).toHaveCount(1);
    await expect(bob.tileOf(alice)).toHaveCount(1);
  });

  await test.step('video and audio flow again both ways', async () => {
    await Promise.all([expectMediaFlowing(alice, [bob], verdict), expectMediaFlowing(bob, [alice], verdict)]);
    verdict.participant('bob').timeToFirstFrameMs = await bob.timeToFirstFrameMs();
  });

  await test.step('PostgreSQL: bob\'s first session ended as "disconnected", his second is open', async () => {
    await expect
      .poll(async () => (await sessionsOfRoom(lab.databaseUrl, room)).find((s) => s.peer_id === bobFirstPeerId)?.leave_reason ?? null, {
        message: "bob's first session should be ended",
        timeout: 5_000,
      })
      .toBe('disconnected');
    const sessions = await sessionsOfRoom(lab.databaseUrl, room);
    const first = sessions.find((s) => s.peer_id === bobFirstPeerId)!;
    expect(first.display_name).toBe('bob');
    expect(first.left_at).not.toBeNull();
    const second = sessions.find((s) => s.peer_id === bobSecondPeerId);
    expect(second?.display_name).toBe('bob');
    expect(second?.left_at).toBeNull();
    expect(sessions).toHaveLength(3);
  });
});
