/**
 * What QA needs to diagnose a failed call without running it again, attached to the test's report:
 * the SFU's and signaling's log lines about the call (its room, or one of its peers), each browser's
 * whole getStats() of both transports, and — where the media probe ran — a filmstrip of what each of
 * its videos showed (support/media/mediaProbe.ts).
 */
import { readFileSync } from 'node:fs';
import type { TestInfo } from '@playwright/test';
import type { CallPage } from './CallPage.ts';
import { probeFilmstrip } from './media/mediaProbe.ts';

export async function attachCallDiagnostics(testInfo: TestInfo, call: { room: string; logFiles: Record<string, string>; pages: CallPage[] }): Promise<void> {
  const peerIds = (await Promise.all(call.pages.map((page) => page.page.evaluate(() => window.__lab?.peerId ?? null).catch(() => null)))).filter(
    (id): id is string => id !== null,
  );
  const mentions = [call.room, ...peerIds];
  for (const [service, file] of Object.entries(call.logFiles)) {
    let lines: string[];
    try {
      lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => mentions.some((mention) => line.includes(mention)));
    } catch (error) {
      lines = [`could not read ${file}: ${String(error)}`];
    }
    await testInfo.attach(`${service}-log-lines`, { body: lines.join('\n'), contentType: 'text/plain' });
  }
  for (const page of call.pages) {
    if (page.page.isClosed()) continue;
    const dump = await page.page.evaluate(() => window.__lab?.statsDump() ?? null).catch((error: unknown) => ({ error: String(error) }));
    await testInfo.attach(`${page.name}-getstats`, { body: JSON.stringify(dump, null, 2), contentType: 'application/json' });
    const filmstrip = await probeFilmstrip(page.page).catch(() => null);
    if (filmstrip) await testInfo.attach(`${page.name}-filmstrip`, { body: filmstrip, contentType: 'image/png' });
  }
}
