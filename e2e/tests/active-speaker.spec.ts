/**
 * The active speaker's tile is highlighted for everyone, and the highlight follows the person whose
 * microphone carries a voice. Three browsers, each with its own fake microphone (support/media):
 * alice and bob play a (speech-like) voice, carol plays silence. Bob starts muted, so only alice's
 * audio has energy; then alice mutes and bob unmutes, and the highlight must move to bob — not to
 * carol, who is unmuted all along but silent, and never to a muted person.
 */
import type { Locator } from '@playwright/test';
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { writeFakeAudioFiles } from '../support/media/fakeAudio.ts';
import type { CallPage } from '../support/CallPage.ts';

/**
 * mediasoup's observer decides on ~1 s of audio levels and re-evaluates every 300 ms; signaling
 * and the page add milliseconds. "Within a few seconds" on a busy 2-core machine.
 */
const HIGHLIGHT_WITHIN_MS = 10_000;

/** How `viewer` shows `speaker`: its own preview when it is the speaker, else the speaker's tile. */
function tileFor(viewer: CallPage, speaker: CallPage): Locator {
  return viewer === speaker ? viewer.page.getByTestId('local-tile') : viewer.tileOf(speaker);
}

async function expectSpeaker(everyone: CallPage[], speaker: CallPage, timeout = HIGHLIGHT_WITHIN_MS): Promise<void> {
  // Every page shows the speaker highlighted (all at the same time), then nobody else.
  await Promise.all(
    everyone.map((viewer) =>
      expect(tileFor(viewer, speaker), `${viewer.name} should highlight ${speaker.name}`).toHaveAttribute('data-speaking', 'true', { timeout }),
    ),
  );
  for (const viewer of everyone) {
    for (const other of everyone.filter((p) => p !== speaker)) {
      await expect(tileFor(viewer, other), `${viewer.name} should not highlight ${other.name}`).toHaveAttribute('data-speaking', 'false');
    }
  }
}

test('the highlight follows the participant with audio energy, for everyone, and never a muted one', async ({ participants }, testInfo) => {
  // Three browsers joining and toggling one after another: more steps than a plain call test.
  test.setTimeout(300_000);
  const audio = writeFakeAudioFiles(testInfo.outputPath('fake-audio'));
  const room = uniqueRoomId('e2e-speaker');
  const alice = await participants.launch('alice', { fakeMedia: { audio: audio.voiceLow } });
  const bob = await participants.launch('bob', { fakeMedia: { audio: audio.voiceHigh } });
  const carol = await participants.launch('carol', { fakeMedia: { audio: audio.silence } });
  const everyone = [alice, bob, carol];

  await test.step('bob mutes on the form; all three join', async () => {
    await bob.openForm();
    await bob.micButton.click();
    await expect(bob.micButton).toHaveAttribute('data-state', 'muted');
    await bob.submitJoinForm(room);
    await bob.expectJoined();
    await alice.joinViaLink(room);
    await carol.joinViaLink(room);
    for (const viewer of [alice, carol]) await expect(viewer.tileOf(bob).getByTestId('mic-state')).toHaveAttribute('data-state', 'muted');
  });

  await test.step('only alice has audio energy: everyone highlights alice, alice sees herself marked', async () => {
    await expectSpeaker(everyone, alice, 20_000);
    // The cue is in words too: the tile's caption (its accessible name) says "speaking".
    await expect(bob.page.getByRole('figure', { name: /alice.*speaking/ })).toBeVisible();
    await expect(carol.tileOf(alice).getByTestId('speaking-badge')).toHaveText('speaking');
    await expect(alice.page.getByTestId('local-tile').getByTestId('speaking-badge')).toBeVisible();
    await testInfo.attach('carol-sees-alice-speaking', { body: await carol.page.screenshot(), contentType: 'image/png' });
  });

  await test.step('alice mutes and bob unmutes: the highlight moves to bob for everyone within a few seconds', async () => {
    await Promise.all([alice.micButton.click(), bob.micButton.click()]);
    await expect(alice.micButton).toHaveAttribute('data-state', 'muted');
    await expect(bob.micButton).toHaveAttribute('data-state', 'unmuted');
    const started = Date.now();
    // A muted speaker loses the highlight at once (the SFU never names a paused producer) …
    for (const viewer of [bob, carol]) await expect(viewer.tileOf(alice)).toHaveAttribute('data-speaking', 'false', { timeout: 3_000 });
    // … and the voice that is live now gets it.
    await expectSpeaker(everyone, bob);
    testInfo.annotations.push({ type: 'highlight moved (ms)', description: String(Date.now() - started) });
  });

  await test.step('bob mutes too: nobody is highlighted (silent carol is not chosen)', async () => {
    await bob.micButton.click();
    await expect(bob.micButton).toHaveAttribute('data-state', 'muted');
    for (const viewer of everyone) {
      for (const person of everyone) await expect(tileFor(viewer, person)).toHaveAttribute('data-speaking', 'false', { timeout: 3_000 });
    }
    // Still nobody a few seconds later: carol's silence never outweighs anyone.
    await alice.page.waitForTimeout(3_000);
    for (const viewer of [alice, bob]) await expect(viewer.tileOf(carol)).toHaveAttribute('data-speaking', 'false');
  });
});
