/**
 * Screen sharing seen by two others: a tile of its own ("alice's screen") next to the sharer's camera
 * tile, decoded at the rate it is sent; gone for both when the sharer stops with the page's button,
 * and when the browser ends the capture on its own (its "Stop sharing" bar), which the page only
 * learns from the track's 'ended' event. Chromium's fake screen capture (headless, accepted without a
 * picker by --use-fake-ui-for-media-stream) stands in for a real screen.
 */
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { CALL_TAG } from '../support/verdict.ts';
import { expectMediaFlowing, expectScreenFlowing } from '../support/mediaFlow.ts';
import type { CallPage } from '../support/CallPage.ts';

test('a screen share reaches two others as its own tile at the sender\'s rate, and goes away for both when stopped by the button or by the browser', { tag: CALL_TAG }, async ({
  participants,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-screen');
  verdict.room(room);
  const [alice, bob, carol] = (await Promise.all(['alice', 'bob', 'carol'].map((name) => participants.launch(name)))) as [CallPage, CallPage, CallPage];
  for (const page of [alice, bob, carol]) await page.joinViaForm(room);
  const viewers = [bob, carol];

  const expectSharedTo = async () => {
    await expect(alice.screenShareButton).toHaveAttribute('data-state', 'on');
    await expect(alice.page.getByTestId('local-screen-tile')).toBeVisible();
    for (const viewer of viewers) {
      const tile = viewer.screenTileOf(alice);
      await expect(tile).toBeVisible();
      await expect(tile.getByTestId('screen-name')).toHaveText("alice's screen");
      await expect(tile).toHaveAttribute('data-peer-id', await alice.peerId());
      // Beside her camera tile, which stays as it was.
      await expect(viewer.tileOf(alice).getByTestId('participant-video')).toBeVisible();
      await expect(viewer.screenTiles).toHaveCount(1);
    }
  };
  const expectGoneFor = async () => {
    await expect(alice.screenShareButton).toHaveAttribute('data-state', 'off');
    await expect(alice.page.getByTestId('local-screen-tile')).toHaveCount(0);
    for (const viewer of viewers) {
      await expect(viewer.screenTiles).toHaveCount(0);
      await expect(viewer.tileOf(alice).getByTestId('camera-state')).toHaveAttribute('data-state', 'on');
    }
    expect((await alice.sendStats()).screen ?? null, 'alice sends no screen').toBeNull();
  };

  await test.step('alice shares her screen: bob and carol each get "alice\'s screen" and decode it at ≥ 85% of the frames sent', async () => {
    await alice.screenShareButton.click();
    await expectSharedTo();
    const figures = await Promise.all(viewers.map((viewer) => expectScreenFlowing(viewer, alice)));
    for (const [i, viewer] of viewers.entries()) {
      const { sent, decoded, sendMs } = figures[i]!;
      verdict.figure(`alice's screen, frames sent per second (${viewer.name}'s window)`, Math.round((sent * 1000) / sendMs), 'fps');
      verdict.figure(`alice's screen, share of sent frames decoded by ${viewer.name}`, Math.round((decoded / sent) * 100), '%');
    }
    // Her camera and microphone still reach them too.
    await Promise.all(viewers.map((viewer) => expectMediaFlowing(viewer, [alice], verdict)));
  });

  await test.step('alice stops with the button: the tile goes for both', async () => {
    await alice.screenShareButton.click();
    await expectGoneFor();
  });

  await test.step('alice shares again, then the browser ends the capture ("Stop sharing"): the tile goes for both', async () => {
    await alice.screenShareButton.click();
    await expectSharedTo();
    await Promise.all(viewers.map((viewer) => expectScreenFlowing(viewer, alice)));
    await alice.endLocalTrack('local-screen-video');
    await expectGoneFor();
  });
});
