/**
 * When media flows again after a fault: every receiver decodes video and receives audio from every
 * sender, progressing over consecutive polls (a counter that moved once could be a jitter buffer
 * draining; one that keeps moving is a stream). Counters may restart from zero (new consumers after
 * a media reset): only growth between two polls counts.
 */
import type { CallPage } from '../CallPage.ts';

const POLL_MS = 200;
/** Polls in a row every pair must progress in. */
const STEADY_POLLS = 2;

type Counters = Map<string, { frames: number; audio: number }>;

async function countersOf(receiver: CallPage, senderIds: string[]): Promise<Counters> {
  const stats = await receiver.stats();
  const counters: Counters = new Map();
  for (const senderId of senderIds) {
    const entry = stats.find((s) => s.peerId === senderId);
    counters.set(senderId, { frames: entry?.video?.framesDecoded ?? 0, audio: entry?.audio?.packetsReceived ?? 0 });
  }
  return counters;
}

/**
 * Resolves with the time (performance.now() in this process) at which media from every other page
 * was flowing into every page again, polling until `timeoutMs` has passed since `since`.
 */
export async function mediaFlowingAgainAt(pages: CallPage[], since: number, timeoutMs = 30_000): Promise<number> {
  let previous: Counters[] | undefined;
  let steady = 0;
  let firstSteadyAt = 0;
  while (performance.now() - since < timeoutMs) {
    const polledAt = performance.now();
    // Peer ids can change (a page that rejoined), so they are read at every poll.
    const ids = await Promise.all(pages.map((page) => page.peerId().catch(() => '')));
    const current = await Promise.all(pages.map((page, i) => countersOf(page, ids.filter((_, j) => j !== i))));
    const progressing =
      previous !== undefined &&
      current.every((counters, i) =>
        [...counters].every(([senderId, now]) => {
          const before = previous![i]!.get(senderId);
          return before !== undefined && now.frames > before.frames && now.audio > before.audio;
        }),
      );
    if (progressing) {
      if (steady === 0) firstSteadyAt = polledAt;
      steady += 1;
      if (steady >= STEADY_POLLS) return firstSteadyAt;
    } else {
      steady = 0;
    }
    previous = current;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`media did not flow again between all ${pages.length} pages within ${timeoutMs / 1000} s of the fault`);
}

/** Resolves once every page has set its media up again at least `count` times in all. */
export async function mediaResetsAtLeast(pages: CallPage[], count: number, timeoutMs = 20_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const resets = await Promise.all(pages.map((page) => page.page.evaluate(() => window.__lab?.mediaResets ?? 0)));
    if (resets.every((n) => n >= count)) return;
    if (performance.now() > until) throw new Error(`media resets per page: ${resets.join(', ')} (expected ≥ ${count} each)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
