/**
 * Line quality as people see it: on a clean call every remote tile says "Connection: good", and the
 * details panel — opened and closed from the keyboard — shows figures that agree with what the
 * sender sends (its frame size, about its frame rate) and no loss, refreshed about once a second;
 * an axe scan with the panel open finds nothing serious or critical.
 */
import type { Locator } from '@playwright/test';
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { expectNoSeriousViolations } from '../support/axe.ts';
import type { CallPage } from '../support/CallPage.ts';

/** The indicator reads stats every 2 s and needs consumer scores; the first ones come within seconds. */
const INDICATOR_TIMEOUT_MS = 20_000;

const cell = (panel: Locator, kind: 'video' | 'audio', field: string) => panel.getByTestId(`detail-${kind}-${field}`);

test('every remote tile shows a good connection on a clean call; the details panel works from the keyboard and its figures match the sender', async ({
  participants,
}, testInfo) => {
  test.setTimeout(300_000);
  const room = uniqueRoomId('e2e-quality');
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => participants.launch(name)));
  const everyone = [alice!, bob!, carol!];
  const others = (me: CallPage) => everyone.filter((p) => p !== me);

  await test.step('three join and each shows the others\' video', async () => {
    for (const p of everyone) await p.joinViaLink(room);
    for (const me of everyone) {
      for (const other of others(me)) await expect(me.tileOf(other).getByTestId('participant-video')).toBeVisible({ timeout: 30_000 });
    }
  });

  await test.step('each remote tile: "Connection: good"', async () => {
    for (const me of everyone) {
      for (const other of others(me)) {
        const indicator = me.tileOf(other).getByTestId('connection-quality');
        await expect(indicator, `${me.name} → ${other.name}`).toHaveAttribute('data-level', 'good', { timeout: INDICATOR_TIMEOUT_MS });
        await expect(me.tileOf(other).getByRole('img', { name: 'Connection: good' })).toBeVisible();
      }
    }
  });

  const tile = alice!.tileOf(bob!);
  const button = tile.getByTestId('connection-details-button');
  const panel = tile.getByRole('dialog', { name: /Connection with bob/ });

  await test.step('the details panel opens from the keyboard and takes the focus', async () => {
    await expect(panel).toBeHidden();
    await button.focus();
    await alice!.page.keyboard.press('Enter');
    await expect(panel).toBeVisible();
    await expect(button).toHaveAttribute('aria-expanded', 'true');
    await expect(panel.getByTestId('connection-details-close')).toBeFocused();
  });

  await test.step('its figures are plausible: bob\'s frame size, about his frame rate, no loss, bitrate, jitter and RTT', async () => {
    await expect(async () => {
      const sent = (await bob!.sendStats()).video;
      expect(sent?.frameWidth, 'bob sends video').toBeTruthy();
      await expect(cell(panel, 'video', 'resolution')).toHaveText(`${sent!.frameWidth}×${sent!.frameHeight}`, { timeout: 1 });
      const shownFps = Number((await cell(panel, 'video', 'fps').textContent())?.match(/^(\d+) fps$/)?.[1]);
      const sentFps = sent!.framesPerSecond ?? 0;
      expect(sentFps).toBeGreaterThan(0);
      // The two browsers measure over their own last second: a few frames apart on a busy machine.
      expect(Math.abs(shownFps - sentFps), `shown ${shownFps} fps vs sent ${sentFps} fps`).toBeLessThanOrEqual(Math.max(5, sentFps * 0.3));
    }).toPass({ timeout: 20_000 });
    for (const kind of ['video', 'audio'] as const) {
      await expect(cell(panel, kind, 'loss')).toHaveText('0%');
      await expect(cell(panel, kind, 'bitrate')).toHaveText(/^\d+(\.\d+)? (kbit|Mbit)\/s$/);
      await expect(cell(panel, kind, 'jitter')).toHaveText(/^\d+ ms$/);
      await expect(cell(panel, kind, 'rtt')).toHaveText(/^\d+ ms$/);
    }
    await expect(cell(panel, 'audio', 'resolution')).toHaveText('—');
    // Row headers name each figure (a table: screen readers announce "Packet loss, Video, 0%").
    await expect(panel.getByRole('rowheader', { name: 'Packet loss' })).toBeVisible();
    await expect(panel.getByRole('columnheader', { name: 'Video' })).toBeVisible();
    await testInfo.attach('details-panel', { body: await tile.screenshot(), contentType: 'image/png' });
  });

  await test.step('axe finds nothing serious with the panel open', async () => {
    await expectNoSeriousViolations(alice!.page, 'details-panel-open');
  });

  await test.step('the panel refreshes about once a second', async () => {
    // When the panel's figures change, over 5 s (one refresh changes several cells in the same task).
    const updates = await panel.evaluate(
      (element) =>
        new Promise<number[]>((resolve) => {
          const times: number[] = [];
          const observer = new MutationObserver(() => {
            const now = performance.now();
            if (times.length === 0 || now - times.at(-1)! > 100) times.push(now);
          });
          observer.observe(element, { subtree: true, characterData: true, childList: true });
          setTimeout(() => {
            observer.disconnect();
            resolve(times);
          }, 5_000);
        }),
    );
    const gaps = updates.slice(1).map((time, index) => time - updates[index]!).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)] ?? Infinity;
    expect(updates.length, `updates at ${updates.map(Math.round).join(', ')} ms`).toBeGreaterThanOrEqual(4);
    expect(median).toBeGreaterThan(700);
    expect(median).toBeLessThan(1_600);
  });

  await test.step('Escape closes the panel and the focus returns to its button', async () => {
    await alice!.page.keyboard.press('Escape');
    await expect(panel).toBeHidden();
    await expect(button).toBeFocused();
    await expect(button).toHaveAttribute('aria-expanded', 'false');
  });
});
