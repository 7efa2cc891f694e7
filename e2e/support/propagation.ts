/**
 * Measures how long a change made in one page takes to show in another, inside the pages
 * themselves: the click's time is taken by a capture listener in the clicking page, the moment the
 * change shows by a MutationObserver in the observing page. Both read performance.timeOrigin +
 * performance.now() (the machine's clock), so the figure excludes the test runner's own latency
 * (CDP round trips, expect() polling intervals).
 */
import type { Locator } from '@playwright/test';
import type { CallPage } from './CallPage.ts';

declare global {
  interface Window {
    __e2eWatches?: Record<string, Promise<number>>;
    __e2eClickedAt?: number;
  }
}

/** What to wait for on the observer's page: a tile's indicator state, or the tile gone. */
export type TileCondition =
  | { tileOf: string; indicator: 'mic-state' | 'camera-state'; state: string }
  | { tileOf: string; gone: true };

let nextWatch = 0;

/**
 * Starts watching; `seenAt()` resolves with the epoch time (ms) the condition became true. Throws
 * when it is true already (nothing to time).
 */
export async function watchTile(observer: CallPage, condition: TileCondition): Promise<{ seenAt(): Promise<number> }> {
  const key = `watch-${nextWatch++}`;
  await observer.page.evaluate(
    ({ key, condition }) => {
      const met = () => {
        const tile = document.querySelector(
          `[data-testid="participant-tile"][data-display-name="${CSS.escape(condition.tileOf)}"]`,
        );
        if ('gone' in condition) return tile === null;
        return tile?.querySelector(`[data-testid="${condition.indicator}"]`)?.getAttribute('data-state') === condition.state;
      };
      // Already true: the change to time has nothing to show, and a "time" read now would come out
      // before the click (negative). That is a broken test step, said as such.
      if (met()) throw new Error(`the watched condition is already true before the change: ${JSON.stringify(condition)}`);
      window.__e2eWatches ??= {};
      window.__e2eWatches[key] = new Promise<number>((resolve) => {
        const check = () => {
          if (!met()) return;
          mutations.disconnect();
          resolve(performance.timeOrigin + performance.now());
        };
        const mutations = new MutationObserver(check);
        mutations.observe(document.body, { subtree: true, childList: true, attributes: true });
        check();
      });
    },
    { key, condition },
  );
  return { seenAt: () => observer.page.evaluate((key) => window.__e2eWatches![key]!, key) };
}

/** Clicks `button` and returns the epoch time (ms) at which the page received the click. */
export async function timedClick(button: Locator): Promise<number> {
  await button.evaluate((element) => {
    delete window.__e2eClickedAt;
    // The time is kept on window, not on the button: a leave button is gone from the page right
    // after its click, before the runner can read anything from it.
    element.addEventListener('click', () => (window.__e2eClickedAt = performance.timeOrigin + performance.now()), {
      once: true,
      capture: true,
    });
  });
  await button.click();
  const clickedAt = await button.page().evaluate(() => window.__e2eClickedAt ?? null);
  if (clickedAt === null) throw new Error('the click did not reach the button');
  return clickedAt;
}
