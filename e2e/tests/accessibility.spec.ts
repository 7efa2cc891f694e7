/**
 * The page for keyboard and screen-reader users, and at phone width: axe-core finds no serious or
 * critical violation on the form and in a three-party call (also at 390 px), the controls keep their
 * names and fit, a keyboard alone joins, mutes, stops the video and leaves (the others see each
 * change, the live region says it), and the reconnecting state is in words. Screenshots of the form,
 * the call and the reconnecting state go to the HTML report.
 */
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { CALL_TAG } from '../support/verdict.ts';
import { expectNoSeriousViolations } from '../support/axe.ts';
import { TcpProxy } from '../support/faults/TcpProxy.ts';
import type { CallPage } from '../support/CallPage.ts';

const PHONE = { width: 390, height: 844 } as const;

async function attachScreenshot(testInfo: TestInfo, name: string, page: Page): Promise<void> {
  await testInfo.attach(name, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
}

/**
 * Every control of the page a person sees: its buttons and fields (a closed details panel's or a
 * collapsed section's are not on screen).
 */
function controlsOf(page: Page): Locator {
  return page.locator('main button:visible, main input:visible, main select:visible');
}

/** At the page's width every control is inside the viewport, nothing scrolls sideways, and each has a name. */
async function expectControlsFitWithNames(page: Page): Promise<void> {
  const width = page.viewportSize()!.width;
  expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no sideways scrolling').toBeLessThanOrEqual(width);
  const controls = await controlsOf(page).all();
  expect(controls.length).toBeGreaterThan(0);
  for (const control of controls) {
    const testId = await control.getAttribute('data-testid');
    await expect(control, `${testId} has an accessible name`).toHaveAccessibleName(/\w/);
    const box = await control.boundingBox();
    expect(box, `${testId} is laid out`).not.toBeNull();
    expect(box!.x, `${testId} starts inside ${width} px`).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, `${testId} ends inside ${width} px`).toBeLessThanOrEqual(width);
  }
}

/** The data-testid of the focused element. */
function focusedTestId(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

/** What `observer` holds, from the server's pushes, about `who`'s mic and camera. */
async function mediaStateSeenBy(observer: CallPage, who: CallPage): Promise<{ audioMuted: boolean; videoMuted: boolean } | undefined> {
  const peer = (await observer.participants()).find((p) => p.displayName === who.name);
  return peer && { audioMuted: peer.audioMuted, videoMuted: peer.videoMuted };
}

test('axe finds no serious or critical violation on the form and in a three-party call, also at phone width, where the controls fit with their names', { tag: CALL_TAG }, async ({
  participants,
  verdict,
}, testInfo) => {
  const room = uniqueRoomId('e2e-a11y');
  verdict.room(room);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => participants.launch(name)));

  await test.step('the join form', async () => {
    await alice!.openForm();
    await expect(alice!.localVideo).toBeVisible();
    await expect(alice!.page.getByRole('main')).toBeVisible();
    await expect(alice!.page.getByRole('heading', { level: 1, name: 'Join a call' })).toBeVisible();
    await expectNoSeriousViolations(alice!.page, 'join form');
    await attachScreenshot(testInfo, 'join-form', alice!.page);
  });

  await test.step('the join form at phone width', async () => {
    await alice!.page.setViewportSize(PHONE);
    await expectControlsFitWithNames(alice!.page);
    await expectNoSeriousViolations(alice!.page, 'join form, 390 px');
    await attachScreenshot(testInfo, 'join-form-phone', alice!.page);
    await alice!.page.setViewportSize({ width: 1100, height: 720 });
  });

  await test.step('a three-party call', async () => {
    await alice!.submitJoinForm(room);
    await alice!.expectJoined();
    await bob!.joinViaLink(room);
    await carol!.joinViaLink(room);
    for (const p of [alice!, bob!, carol!]) verdict.participant(p.name).peerId = await p.peerId();
    await expect(alice!.tiles).toHaveCount(2);
    for (const other of [bob!, carol!]) await expect(alice!.tileOf(other).getByTestId('participant-video')).toBeVisible();
    // Landmarks and names a screen-reader user navigates by.
    await expect(alice!.page.getByRole('heading', { level: 1, name: `Call in ${room}` })).toBeVisible();
    await expect(alice!.page.getByRole('toolbar', { name: 'Call controls' })).toBeVisible();
    await expect(alice!.page.getByRole('figure', { name: 'bob' })).toBeVisible();
    await expect(alice!.page.getByRole('figure', { name: 'alice (you)' })).toBeVisible();
    // One pattern for the toggles: a fixed name with aria-pressed.
    await expect(alice!.page.getByRole('button', { name: 'Mute', pressed: false })).toBeVisible();
    await expect(alice!.page.getByRole('button', { name: 'Stop video', pressed: false })).toBeVisible();
    await expectNoSeriousViolations(alice!.page, 'three-party call');
    await attachScreenshot(testInfo, 'three-party-call', alice!.page);
  });

  await test.step('the call at phone width, with the mic muted', async () => {
    await alice!.page.setViewportSize(PHONE);
    await alice!.micButton.click();
    await expect(alice!.page.getByRole('button', { name: 'Mute', pressed: true })).toBeVisible();
    await expectControlsFitWithNames(alice!.page);
    await expectNoSeriousViolations(alice!.page, 'three-party call, 390 px');
    await attachScreenshot(testInfo, 'three-party-call-phone', alice!.page);
  });
});

test('keyboard only: join, mute, stop the video, and leave; the others see each change and the live region says it', { tag: CALL_TAG }, async ({
  participants,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-keyboard');
  verdict.room(room);
  const [ada, bob] = await Promise.all([participants.launch('ada'), participants.launch('bob')]);
  await bob.joinViaForm(room);
  const keys = ada.page.keyboard;

  await test.step('the form: focus starts in the first empty field; the shortcuts do nothing while typing', async () => {
    await ada.openForm();
    await expect(ada.roomInput).toBeFocused();
    await keys.type(room);
    await keys.press('Control+d');
    await keys.press('Control+e');
    await expect(ada.micButton).toHaveAttribute('data-state', 'unmuted');
    await expect(ada.cameraButton).toHaveAttribute('data-state', 'on');
    await expect(ada.roomInput).toHaveValue(room);
    await keys.press('Tab');
    await expect(ada.nameInput).toBeFocused();
    await keys.type('ada');
    await keys.press('Enter');
    await ada.expectJoined();
    verdict.participant('ada').peerId = await ada.peerId();
    verdict.participant('bob').peerId = await bob.peerId();
  });

  await test.step('joined: focus is on the mic button, with a visible focus ring; bob hears of it', async () => {
    await expect(ada.micButton).toBeFocused();
    await expect(ada.micButton).toHaveAttribute('aria-keyshortcuts', /Control\+D/);
    await expect(ada.cameraButton).toHaveAttribute('aria-keyshortcuts', /Control\+E/);
    await expect(ada.page.getByTestId('shortcut-hint')).toContainText('Ctrl+D');
    // :focus-visible applies (focus moved by the page after a keyboard action), and it shows.
    expect(await ada.micButton.evaluate((el) => el.matches(':focus-visible') && getComputedStyle(el).outlineStyle)).toBe('solid');
    await expect(bob.announcer).toContainText('ada joined');
    await expect(ada.announcer).toContainText(`You joined ${room} with bob.`);
  });

  await test.step('every control of the call is reached with Tab', async () => {
    const reached = new Set<string>();
    for (let i = 0; i < 12; i++) {
      await keys.press('Tab');
      const id = await focusedTestId(ada.page);
      if (id) reached.add(id);
    }
    for (const id of ['copy-link-button', 'mic-button', 'camera-button', 'screen-share-button', 'leave-button']) expect([...reached], `Tab reaches ${id}`).toContain(id);
    for (let i = 0; i < 12 && (await focusedTestId(ada.page)) !== 'mic-button'; i++) await keys.press('Tab');
    await expect(ada.micButton).toBeFocused();
  });

  await test.step('Space on the mic button mutes: bob sees it from the server and his live region says it', async () => {
    await keys.press('Space');
    await expect(ada.micButton).toHaveAttribute('aria-pressed', 'true');
    await expect.poll(() => mediaStateSeenBy(bob, ada)).toEqual({ audioMuted: true, videoMuted: false });
    await expect(bob.tileOf(ada).getByTestId('mic-state')).toHaveAttribute('data-state', 'muted');
    await expect(bob.announcer).toContainText('ada muted their microphone');
  });

  await test.step('Tab, then Enter on the camera button stops the video for bob', async () => {
    await keys.press('Tab');
    await expect(ada.cameraButton).toBeFocused();
    await keys.press('Enter');
    await expect(ada.cameraButton).toHaveAttribute('aria-pressed', 'true');
    await expect.poll(() => mediaStateSeenBy(bob, ada)).toEqual({ audioMuted: true, videoMuted: true });
    await expect(bob.tileOf(ada).getByTestId('camera-state')).toHaveAttribute('data-state', 'off');
    await expect(bob.announcer).toContainText('ada turned their camera off');
  });

  await test.step('Ctrl+D and Ctrl+E undo both, from wherever focus is', async () => {
    await keys.press('Control+d');
    await expect.poll(() => mediaStateSeenBy(bob, ada)).toEqual({ audioMuted: false, videoMuted: true });
    await expect(ada.announcer).toContainText('Your microphone is on');
    await keys.press('Control+e');
    await expect.poll(() => mediaStateSeenBy(bob, ada)).toEqual({ audioMuted: false, videoMuted: false });
    await expect(ada.announcer).toContainText('Your camera is on');
    await expect(bob.announcer).toContainText('ada unmuted their microphone');
    await expect(bob.announcer).toContainText('ada turned their camera on');
    await expect(ada.micButton).toHaveAttribute('aria-pressed', 'false');
    await expect(ada.cameraButton).toHaveAttribute('aria-pressed', 'false');
  });

  await test.step('Tab past Share screen to Leave, Enter: bob sees ada leave, and focus is back on the form', async () => {
    await expect(ada.cameraButton).toBeFocused();
    await keys.press('Tab');
    await expect(ada.screenShareButton).toBeFocused();
    await keys.press('Tab');
    await expect(ada.leaveButton).toBeFocused();
    await keys.press('Enter');
    await expect(ada.callState).toHaveAttribute('data-state', 'left');
    await expect(bob.tiles).toHaveCount(0);
    await expect(bob.announcer).toContainText('ada left');
    // Both fields are still filled, so focus goes to "Join again".
    await expect(ada.page.getByTestId('join-button')).toBeFocused();
    await expect(ada.page.getByTestId('join-button')).toHaveText('Join again');
  });
});

test('the reconnecting state says what happens in words, without codes', { tag: CALL_TAG }, async ({ participants, lab, verdict }, testInfo) => {
  const room = uniqueRoomId('e2e-reconnecting');
  verdict.room(room);
  // ada reaches signaling through a proxy whose connections the test cuts and holds back.
  const proxy = await TcpProxy.start(Number(new URL(lab.httpUrl).port));
  try {
    const [ada, bob] = await Promise.all([
      participants.launch('ada', { baseUrl: `http://localhost:${proxy.port}` }),
      participants.launch('bob'),
    ]);
    await ada.joinViaForm(room);
    await bob.joinViaForm(room);
    await expect(ada.tileOf(bob).getByTestId('participant-video')).toBeVisible();

    // New connections are held for a while, then the open one is cut: the page keeps trying.
    const held = proxy.block(8_000);
    expect(proxy.cut()).toBeGreaterThan(0);
    const banner = ada.page.getByTestId('reconnecting-banner');
    await expect(banner).toBeVisible();
    await expect(banner).toHaveText('Lost the connection to the call server. Trying again…');
    await expect(ada.tileOf(bob), 'the tiles stay while reconnecting').toBeVisible();
    await expectNoSeriousViolations(ada.page, 'reconnecting');
    await attachScreenshot(testInfo, 'reconnecting', ada.page);
    await held;
    await expect(banner).toBeHidden({ timeout: 15_000 });
    await expect(ada.errorBanner).toBeHidden();
    verdict.participant('ada').peerId = await ada.peerId();
  } finally {
    await proxy.close();
  }
});
