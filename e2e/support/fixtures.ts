/**
 * The suite's `test`: the running lab, a launcher for participants (each in its own Chromium
 * process, closed after the test), and a verdict recorder attached to every call test.
 */
import { test as base, chromium, type Browser } from '@playwright/test';
import { chromiumArgsFor, launchOptions, launchOptionsIn, withFakeMedia, type FakeDeviceOptions, type FakeMediaFiles } from './browser.ts';
import { CallPage } from './CallPage.ts';
import type { NetworkNamespace } from './impairment/NetworkNamespace.ts';
import { readLabInfo, type LabInfo } from './labInfo.ts';
import { CALL_TAG, CallVerdict } from './verdict.ts';

export interface LaunchOptions {
  /** Where the page is loaded from (default: the suite's lab). */
  baseUrl?: string;
  /** Runs the browser inside this network namespace; `baseUrl` must then be on its link. */
  namespace?: NetworkNamespace;
  /** Fake devices other than the default (one camera, one microphone, both granted without asking). */
  devices?: FakeDeviceOptions & {
    /** With `askForPermission`: what the page is allowed from the start. */
    granted?: ('camera' | 'microphone')[];
  };
  /** Files the fake microphone / camera play (looped) instead of Chromium's beep and pattern (support/media). */
  fakeMedia?: FakeMediaFiles;
}

export interface Participants {
  /** Starts a separate browser (not just a context) with fake media and opens a page in it. */
  launch(name: string, options?: LaunchOptions): Promise<CallPage>;
}

export const test = base.extend<{ lab: LabInfo; participants: Participants; verdict: CallVerdict }>({
  lab: async ({}, use) => {
    await use(readLabInfo());
  },
  baseURL: async ({ lab }, use) => {
    await use(lab.httpUrl);
  },
  participants: async ({ lab }, use, testInfo) => {
    const launched: { browser: Browser; call: CallPage }[] = [];
    await use({
      async launch(name, options = {}) {
        const baseUrl = options.baseUrl ?? lab.httpUrl;
        const browser = await chromium.launch(
          withFakeMedia(
            options.namespace
              ? launchOptionsIn(options.namespace, baseUrl)
              : options.devices
                ? { ...launchOptions, args: chromiumArgsFor(options.devices) }
                : launchOptions,
            options.fakeMedia,
          ),
        );
        // A context of its own (not browser.newPage()'s), so a test may open a second tab in it.
        const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, permissions: options.devices?.granted });
        const page = await context.newPage();
        const call = new CallPage(page, name, baseUrl);
        launched.push({ browser, call });
        return call;
      },
    });
    if (testInfo.status !== testInfo.expectedStatus) {
      for (const { call } of launched) {
        if (call.page.isClosed()) continue;
        await testInfo.attach(`${call.name}-screenshot`, { body: await call.page.screenshot(), contentType: 'image/png' });
        await testInfo.attach(`${call.name}-console`, { body: call.consoleLines.join('\n'), contentType: 'text/plain' });
      }
    }
    await Promise.all(launched.map(({ browser }) => browser.close()));
  },
  verdict: async ({}, use, testInfo) => {
    if (!testInfo.tags.includes(CALL_TAG)) {
      throw new Error(`a test that records a call verdict must be tagged ${CALL_TAG}: test('…', { tag: '${CALL_TAG}' }, …)`);
    }
    const verdict = new CallVerdict();
    await use(verdict);
    await verdict.attachTo(testInfo);
  },
});

export { expect } from '@playwright/test';

/** A room id no other run (or test) uses. */
export function uniqueRoomId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
