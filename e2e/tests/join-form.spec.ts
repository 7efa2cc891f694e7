/**
 * The join form: bad input is explained and nothing is joined; the mic / camera buttons toggle the
 * local state before joining, and that choice is what the others see after joining; a shared link
 * carries the room only and opens this form with the room filled in.
 */
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { CALL_TAG } from '../support/verdict.ts';
import { expectMediaFlowing } from '../support/mediaFlow.ts';

test.describe('join form', () => {
  test('an invalid room name shows a clear error and does not join', async ({ participants }) => {
    const ada = await participants.launch('ada');
    await ada.openForm();

    await ada.submitJoinForm('not a room!');
    await expect(ada.errorBanner).toBeVisible();
    await expect(ada.errorBanner).toContainText('Invalid room name');
    await expect(ada.errorBanner).toContainText('A-Z, a-z, 0-9, "-" or "_"');
    await expect(ada.callState).toHaveAttribute('data-state', 'idle');
    expect(await ada.page.evaluate(() => window.__lab?.peerId ?? null)).toBeNull();

    await ada.submitJoinForm('room/with/slashes');
    await expect(ada.errorBanner).toContainText('Invalid room name');
    await expect(ada.callState).toHaveAttribute('data-state', 'idle');

    // An empty name is refused the same way.
    await ada.page.getByTestId('room-input').fill('fine-room');
    await ada.page.getByTestId('name-input').fill('   ');
    await ada.page.getByTestId('join-button').click();
    await expect(ada.errorBanner).toContainText('Invalid name: type your name, 1 to 64 characters.');
    // In words: the protocol's field name stays in the technical detail.
    await expect(ada.errorBanner).not.toContainText('displayName');
    await expect(ada.errorBanner).toHaveAttribute('data-detail', 'displayName must be 1..64 characters');
    await expect(ada.callState).toHaveAttribute('data-state', 'idle');

    // The banner can be dismissed, and a valid room then joins.
    await ada.page.getByRole('button', { name: 'Dismiss' }).click();
    await expect(ada.errorBanner).toBeHidden();
    await ada.submitJoinForm(uniqueRoomId('e2e-form'));
    await ada.expectJoined();
    await expect(ada.errorBanner).toBeHidden();
  });

  test('mic and camera buttons toggle the local state', async ({ participants }) => {
    const ada = await participants.launch('ada');
    await ada.openForm();
    // The preview's camera track is the one that will be sent: off must really disable it.
    const previewTrackEnabled = () =>
      ada.page.evaluate(() => {
        const video = document.querySelector<HTMLVideoElement>('[data-testid="local-video"]');
        return (video?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.enabled ?? null;
      });

    await expect(ada.localVideo).toBeVisible();
    await expect(ada.micButton).toHaveAttribute('data-state', 'unmuted');
    await expect(ada.cameraButton).toHaveAttribute('data-state', 'on');

    await ada.micButton.click();
    await expect(ada.micButton).toHaveAttribute('data-state', 'muted');
    await expect(ada.micButton).toHaveAttribute('aria-pressed', 'true');
    expect(await ada.page.evaluate(() => window.__lab!.local)).toEqual({ audioMuted: true, videoMuted: false });

    await ada.cameraButton.click();
    await expect(ada.cameraButton).toHaveAttribute('data-state', 'off');
    await expect(ada.localVideo).toBeHidden();
    await expect(ada.page.getByTestId('local-video-off')).toHaveText('Camera is off');
    expect(await previewTrackEnabled()).toBe(false);
    expect(await ada.page.evaluate(() => window.__lab!.local)).toEqual({ audioMuted: true, videoMuted: true });

    await ada.micButton.click();
    await ada.cameraButton.click();
    await expect(ada.micButton).toHaveAttribute('data-state', 'unmuted');
    await expect(ada.cameraButton).toHaveAttribute('data-state', 'on');
    await expect(ada.localVideo).toBeVisible();
    expect(await previewTrackEnabled()).toBe(true);
    expect(await ada.page.evaluate(() => window.__lab!.local)).toEqual({ audioMuted: false, videoMuted: false });
  });

  test('joining with the mic muted shows the others a muted tile', { tag: CALL_TAG }, async ({ participants, verdict }) => {
    const room = uniqueRoomId('e2e-form-muted');
    verdict.room(room);
    const [ada, bea] = await Promise.all([participants.launch('ada'), participants.launch('bea')]);
    await bea.joinViaForm(room);

    await ada.openForm();
    await ada.micButton.click();
    await expect(ada.micButton).toHaveAttribute('data-state', 'muted');
    await ada.submitJoinForm(room);
    await ada.expectJoined();

    await expect(bea.tileOf(ada).getByTestId('mic-state')).toHaveAttribute('data-state', 'muted');
    await expect(bea.tileOf(ada).getByTestId('camera-state')).toHaveAttribute('data-state', 'on');
    await expect(ada.micButton).toHaveAttribute('data-state', 'muted');
    expect((await bea.participants()).find((p) => p.displayName === 'ada')).toMatchObject({ audioMuted: true, videoMuted: false });
  });

  test('a shared link opened in another browser shows the form with the room filled and no name; joining works; leaving forgets the name', { tag: CALL_TAG }, async ({
    participants,
    lab,
    verdict,
  }) => {
    const room = uniqueRoomId('e2e-link');
    verdict.room(room);
    const [ada, bea] = await Promise.all([participants.launch('ada'), participants.launch('bea')]);
    await ada.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lab.httpUrl });
    await ada.joinViaForm(room);

    let link = '';
    await test.step("ada's address bar and the copy-link button carry the room only", async () => {
      expect(new URL(ada.page.url()).search).toBe(`?room=${room}`);
      await ada.page.getByTestId('copy-link-button').click();
      await expect(ada.page.getByTestId('link-copied')).toBeVisible();
      link = await ada.page.evaluate(() => navigator.clipboard.readText());
      expect(link).toBe(`${lab.httpUrl}/?room=${room}`);
      await expect(ada.announcer).toContainText('Link copied');
    });

    await test.step('bea opens it: the form, room filled in, name empty and focused; nothing joins by itself', async () => {
      await bea.page.goto(link);
      await expect(bea.page.getByTestId('join-button')).toBeVisible();
      await expect(bea.roomInput).toHaveValue(room);
      await expect(bea.nameInput).toHaveValue('');
      await expect(bea.nameInput).toBeFocused();
      await expect(bea.callState).toHaveAttribute('data-state', 'idle');
      await expect(ada.tiles).toHaveCount(0);
    });

    await test.step('bea types her name and joins; media flows both ways', async () => {
      await bea.nameInput.fill('bea');
      await bea.page.getByTestId('join-button').click();
      await bea.expectJoined();
      verdict.participant('ada').peerId = await ada.peerId();
      verdict.participant('bea').peerId = await bea.peerId();
      await expect(ada.tileOf(bea).getByTestId('participant-name')).toHaveText('bea');
      await Promise.all([expectMediaFlowing(ada, [bea], verdict), expectMediaFlowing(bea, [ada], verdict)]);
    });

    await test.step('an old link with a name does not join and loses the name from the address bar', async () => {
      const other = await participants.launch('cid');
      await other.page.goto(`${lab.httpUrl}/?room=${room}&name=cid`);
      await expect(other.roomInput).toHaveValue(room);
      await expect(other.nameInput).toHaveValue('');
      await expect(other.callState).toHaveAttribute('data-state', 'idle');
      expect(new URL(other.page.url()).search).toBe(`?room=${room}`);
      await expect(ada.tiles).toHaveCount(1);
    });

    await test.step('bea leaves and reloads: the form again, room filled in, no name (leaving forgot it)', async () => {
      await bea.leaveButton.click();
      await expect(bea.callState).toHaveAttribute('data-state', 'left');
      await expect(ada.tiles).toHaveCount(0);
      await bea.page.reload();
      await expect(bea.page.getByTestId('join-button')).toBeVisible();
      await expect(bea.roomInput).toHaveValue(room);
      await expect(bea.nameInput).toHaveValue('');
      await expect(bea.callState).toHaveAttribute('data-state', 'idle');
      await expect(ada.tiles).toHaveCount(0);
    });
  });
});
