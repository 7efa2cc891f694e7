/**
 * Devices, as a person meets them: the camera or the microphone refused (the other still works and
 * the others see the right state), "Try again" once allowed, the pickers, a camera unplugged during
 * the call, and a page opened over plain http from another address (no devices at all). Real
 * Chromium with fake devices against the real lab; a refusal is Chromium's own: the browser is
 * started without automatic permission and the test grants only what it wants allowed.
 */
import { networkInterfaces } from 'node:os';
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { CALL_TAG } from '../support/verdict.ts';
import { expectMediaFlowing } from '../support/mediaFlow.ts';

test('camera refused, microphone allowed: the participant joins heard but not seen; after allowing the camera, "Try again" starts the video for the others', { tag: CALL_TAG }, async ({
  participants,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-no-camera');
  verdict.room(room);
  const alice = await participants.launch('alice', { devices: { askForPermission: true, granted: ['microphone'] } });
  const bob = await participants.launch('bob');

  await test.step('alice joins: her page says the camera was not allowed, and nothing about the microphone', async () => {
    await alice.joinViaForm(room);
    await expect(alice.deviceNotice('camera')).toHaveAttribute('data-state', 'denied');
    await expect(alice.deviceNotice('camera')).toContainText('did not allow the camera, so the others cannot see you');
    await expect(alice.deviceNotice('mic')).toHaveCount(0);
    await expect(alice.cameraButton).toHaveAttribute('data-state', 'off');
    await expect(alice.micButton).toHaveAttribute('data-state', 'unmuted');
  });

  await test.step('bob sees alice with her camera off and her microphone on, and hears her', async () => {
    await bob.joinViaForm(room);
    const tile = bob.tileOf(alice);
    await expect(tile.getByTestId('camera-state')).toHaveAttribute('data-state', 'off');
    await expect(tile.getByTestId('mic-state')).toHaveAttribute('data-state', 'unmuted');
    await expect(tile.getByTestId('participant-video')).toBeHidden();
    await expectMediaFlowing(bob, [alice], verdict, { video: false });
    expect((await bob.statsFrom(await alice.peerId()))?.video ?? null, 'bob receives no video from alice').toBeNull();
    // And alice receives bob fully.
    await expectMediaFlowing(alice, [bob], verdict);
  });

  await test.step('alice allows the camera and chooses Try again: bob sees her camera on and decodes her video', async () => {
    await alice.page.context().grantPermissions(['microphone', 'camera']);
    await alice.deviceNotice('camera').getByTestId('device-retry').click();
    await expect(alice.deviceNotice('camera')).toHaveCount(0);
    await expect(alice.cameraButton).toHaveAttribute('data-state', 'on');
    await expect(alice.localVideo).toBeVisible();
    await expect(bob.tileOf(alice).getByTestId('camera-state')).toHaveAttribute('data-state', 'on');
    await expect(bob.tileOf(alice).getByTestId('participant-video')).toBeVisible();
    await expectMediaFlowing(bob, [alice], verdict, { settleMs: 2_000 });
  });
});

test('microphone refused, camera allowed: the participant joins seen but not heard, and the others show it muted', { tag: CALL_TAG }, async ({
  participants,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-no-mic');
  verdict.room(room);
  const alice = await participants.launch('alice', { devices: { askForPermission: true, granted: ['camera'] } });
  const bob = await participants.launch('bob');
  await alice.joinViaForm(room);
  await bob.joinViaForm(room);

  await expect(alice.deviceNotice('mic')).toHaveAttribute('data-state', 'denied');
  await expect(alice.deviceNotice('mic')).toContainText('did not allow the microphone, so the others cannot hear you');
  await expect(alice.deviceNotice('camera')).toHaveCount(0);
  await expect(alice.micButton).toHaveAttribute('data-state', 'muted');

  const tile = bob.tileOf(alice);
  await expect(tile.getByTestId('mic-state')).toHaveAttribute('data-state', 'muted');
  await expect(tile.getByTestId('camera-state')).toHaveAttribute('data-state', 'on');
  await expect(tile.getByTestId('participant-audio')).toHaveCount(0);
  await expectMediaFlowing(bob, [alice], verdict, { audio: false });
  expect((await bob.statsFrom(await alice.peerId()))?.audio ?? null, 'bob receives no audio from alice').toBeNull();
});

test('the pickers list the fake devices; switching camera and microphone mid-call keeps the same producers and the media flowing; the choice is remembered', { tag: CALL_TAG }, async ({
  participants,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-pickers');
  verdict.room(room);
  // Three: Chromium's second fake camera gives frames WebRTC does not send (see FakeDeviceOptions).
  const alice = await participants.launch('alice', { devices: { cameras: 3 } });
  const bob = await participants.launch('bob');

  await alice.openForm();
  const cameraSelect = alice.page.getByTestId('camera-select');
  const micSelect = alice.page.getByTestId('mic-select');
  const speakerSelect = alice.page.getByTestId('speaker-select');
  await test.step('on the form: two cameras, the fake microphones and speakers, with their names', async () => {
    await expect(cameraSelect.locator('option')).toHaveText(['fake_device_0', 'fake_device_1', 'fake_device_2']);
    await expect(micSelect.locator('option')).toHaveText(['Fake Default Audio Input', 'Fake Audio Input 1', 'Fake Audio Input 2']);
    await expect(speakerSelect.locator('option')).toHaveText(['Fake Default Audio Output', 'Fake Audio Output 1', 'Fake Audio Output 2']);
    await expect(cameraSelect.locator('option:checked')).toHaveText('fake_device_0');
  });

  await alice.submitJoinForm(room);
  await alice.expectJoined();
  await bob.joinViaForm(room);
  await expectMediaFlowing(bob, [alice], verdict);
  const before = await alice.sendStats();

  await test.step('alice switches camera and microphone: the same senders carry the new devices, bob keeps receiving', async () => {
    await alice.page.getByTestId('device-settings').locator('summary').click();
    await cameraSelect.selectOption({ label: 'fake_device_2' });
    await expect(cameraSelect.locator('option:checked')).toHaveText('fake_device_2');
    await expect.poll(() => alice.localVideo.evaluate((video: HTMLVideoElement) => (video.srcObject as MediaStream).getVideoTracks()[0]?.label)).toBe('fake_device_2');
    await micSelect.selectOption({ label: 'Fake Audio Input 1' });
    await expect(micSelect.locator('option:checked')).toHaveText('Fake Audio Input 1');
    await expectMediaFlowing(bob, [alice], verdict);
    const after = await alice.sendStats();
    // Same RTP streams: the tracks were replaced on the producers, nothing was negotiated again.
    expect(after.video?.ssrc).toBe(before.video?.ssrc);
    expect(after.audio?.ssrc).toBe(before.audio?.ssrc);
    await expect(alice.errorBanner).toHaveCount(0);
  });

  await test.step('alice picks a speaker: the call\'s sound plays there', async () => {
    await speakerSelect.selectOption({ label: 'Fake Audio Output 1' });
    const chosen = await speakerSelect.inputValue();
    await expect.poll(() => alice.tileOf(bob).getByTestId('participant-audio').evaluate((audio: HTMLAudioElement) => audio.sinkId)).toBe(chosen);
  });

  await test.step('a new tab of alice\'s browser starts with the devices she chose', async () => {
    const page = await alice.page.context().newPage();
    await page.goto(`${alice.baseUrl}/`);
    await expect(page.getByTestId('camera-select').locator('option:checked')).toHaveText('fake_device_2');
    await expect(page.getByTestId('mic-select').locator('option:checked')).toHaveText('Fake Audio Input 1');
    await expect(page.getByTestId('speaker-select').locator('option:checked')).toHaveText('Fake Audio Output 1');
    await page.close();
  });
});

test('a camera unplugged mid-call: the other camera takes over; with none left the camera is off for everyone, with a sentence, until Try again', { tag: CALL_TAG }, async ({
  participants,
  verdict,
}) => {
  const room = uniqueRoomId('e2e-unplug');
  verdict.room(room);
  const alice = await participants.launch('alice', { devices: { cameras: 3 } });
  const carol = await participants.launch('carol', { devices: { cameras: 1 } });
  const bob = await participants.launch('bob');
  // Alice starts on her third camera, so the first (one WebRTC sends from) is the one left to take over.
  await alice.openForm();
  await alice.page.getByTestId('camera-select').selectOption({ label: 'fake_device_2' });
  await expect(alice.page.getByTestId('camera-select').locator('option:checked')).toHaveText('fake_device_2');
  await alice.submitJoinForm(room);
  await alice.expectJoined();
  await carol.joinViaForm(room);
  await bob.joinViaForm(room);

  await test.step('alice\'s camera ends: another camera takes over and bob keeps decoding her video', async () => {
    await alice.endLocalTrack('local-video');
    await expect(alice.deviceNotice('camera')).toHaveAttribute('data-state', 'live');
    await expect(alice.deviceNotice('camera')).toContainText('Your camera (fake_device_2) stopped working; now using “fake_device_0”.');
    await expect(bob.tileOf(alice).getByTestId('camera-state')).toHaveAttribute('data-state', 'on');
    await expectMediaFlowing(bob, [alice], verdict);
  });

  await test.step('carol\'s only camera ends: her camera is off for everyone, she is still heard, her page says why', async () => {
    await carol.endLocalTrack('local-video');
    await expect(carol.deviceNotice('camera')).toHaveAttribute('data-state', 'disconnected');
    await expect(carol.deviceNotice('camera')).toContainText('Your camera was disconnected and there is no other one');
    await expect(carol.cameraButton).toHaveAttribute('data-state', 'off');
    await expect(bob.tileOf(carol).getByTestId('camera-state')).toHaveAttribute('data-state', 'off');
    await expect(alice.tileOf(carol).getByTestId('camera-state')).toHaveAttribute('data-state', 'off');
    await expectMediaFlowing(bob, [carol], verdict, { video: false });
  });

  await test.step('carol\'s camera is back ("plugged in again"): Try again and bob sees her again', async () => {
    await carol.deviceNotice('camera').getByTestId('device-retry').click();
    await expect(carol.deviceNotice('camera')).toHaveCount(0);
    await expect(bob.tileOf(carol).getByTestId('camera-state')).toHaveAttribute('data-state', 'on');
    // A video that has just started (a new producer: key frame, encoder ramp-up) is given a moment.
    await expectMediaFlowing(bob, [carol], verdict, { settleMs: 2_000 });
  });
});

test('over plain http from another address the page says it needs https or localhost, offers no device choice, and a join says the same', async ({ participants, lab }) => {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;
  test.skip(!address, 'this machine has no non-loopback IPv4 address to open the page on');
  const port = new URL(lab.httpUrl).port;
  const insecure = `http://${address}:${port}`;
  const alice = await participants.launch('alice', { baseUrl: insecure });
  await alice.openForm();
  await expect(alice.page.evaluate(() => window.isSecureContext)).resolves.toBe(false);
  await expect(alice.deviceNotice('camera')).toHaveAttribute('data-state', 'unsupported');
  await expect(alice.deviceNotice('camera')).toHaveText(
    'This page can use a camera and microphone only over a secure connection: open it with https:// (or, on this computer, at http://localhost).',
  );
  await expect(alice.deviceNotice('camera').getByTestId('device-retry')).toHaveCount(0);
  await expect(alice.page.getByTestId('camera-select')).toHaveCount(0);

  // mediasoup-client refuses a non-secure page too, so joining ends with the same advice.
  await alice.submitJoinForm(uniqueRoomId('e2e-insecure'));
  await expect(alice.callState).toHaveAttribute('data-state', 'error');
  await expect(alice.errorBanner).toContainText('only over a secure connection: open it with https://');
});
