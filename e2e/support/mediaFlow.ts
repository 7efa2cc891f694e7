/** Proof that media really flows: the receiver's own decoder counters keep rising. */
import { expect } from '@playwright/test';
import type { CallPage } from './CallPage.ts';
import type { PeerReceiveStats } from '@lab/proto/lab-surface';
import type { CallVerdict, ReceivedFigures } from './verdict.ts';

/** Long enough for ~90 frames at 30 fps and ~150 Opus packets: a stall cannot hide in it. */
export const FLOW_WINDOW_MS = 3_000;
/** First packets may take a while on a loaded 2-core machine (ICE, DTLS, a key frame). */
const FIRST_MEDIA_TIMEOUT_MS = 20_000;

function figuresOf(stats: PeerReceiveStats | undefined): ReceivedFigures {
  return {
    framesDecoded: stats?.video?.framesDecoded ?? 0,
    framesPerSecond: stats?.video?.framesPerSecond ?? 0,
    videoPacketsLost: stats?.video?.packetsLost ?? 0,
    audioPacketsReceived: stats?.audio?.packetsReceived ?? 0,
    audioPacketsLost: stats?.audio?.packetsLost ?? 0,
  };
}

/**
 * Asserts that `receiver` decodes video from every sender and receives their audio, and that both
 * counters rise over {@link FLOW_WINDOW_MS}. Records the figures in the verdict.
 */
export async function expectMediaFlowing(
  receiver: CallPage,
  senders: CallPage[],
  verdict?: CallVerdict,
  options: { video?: boolean; audio?: boolean } = {},
): Promise<void> {
  const checkVideo = options.video ?? true;
  const checkAudio = options.audio ?? true;
  const senderIds = await Promise.all(senders.map((sender) => sender.peerId()));
  const snapshot = async () => {
    const stats = await receiver.stats();
    return senderIds.map((peerId) => figuresOf(stats.find((entry) => entry.peerId === peerId)));
  };

  // Media has started from everyone…
  await expect
    .poll(
      async () =>
        (await snapshot()).every(
          (f) => (!checkVideo || f.framesDecoded > 0) && (!checkAudio || f.audioPacketsReceived > 0),
        ),
      { message: `${receiver.name} should receive media from ${senders.map((s) => s.name).join(', ')}`, timeout: FIRST_MEDIA_TIMEOUT_MS },
    )
    .toBe(true);

  // …and keeps coming.
  const before = await snapshot();
  await receiver.page.waitForTimeout(FLOW_WINDOW_MS);
  const after = await snapshot();
  senders.forEach((sender, i) => {
    verdict?.received(receiver.name, sender.name, after[i]!);
    if (checkVideo) {
      expect(after[i]!.framesDecoded, `${receiver.name}: frames decoded from ${sender.name} must rise over ${FLOW_WINDOW_MS} ms`).toBeGreaterThan(
        before[i]!.framesDecoded,
      );
    }
    if (checkAudio) {
      expect(
        after[i]!.audioPacketsReceived,
        `${receiver.name}: audio packets from ${sender.name} must rise over ${FLOW_WINDOW_MS} ms`,
      ).toBeGreaterThan(before[i]!.audioPacketsReceived);
    }
  });
}
