/**
 * How one video stream fared over a window of time, from the two ends' own counters: the frames the
 * sender sent and the frames the receiver decoded, and the freezes the receiver saw (the stats
 * spec's definition: a frame shown more than max(3 × average frame duration, average + 150 ms)
 * after the previous one). Works the same for a call through the SFU (window.__lab) and a direct
 * call (DirectCall), so the two are comparable figure by figure.
 */
import type { VideoReceiveStats, VideoSendStats } from '@lab/proto/lab-surface';

export interface VideoEnds {
  sent(): Promise<VideoSendStats | null>;
  received(): Promise<VideoReceiveStats | null>;
}

export interface VideoWindowFigures {
  /** Length of the window, measured (not the requested one). */
  seconds: number;
  framesSent: number;
  framesDecoded: number;
  /** framesDecoded / framesSent (1 when nothing was sent: nothing was missed either). */
  decodedRatio: number;
  freezeCount: number;
  freezeSeconds: number;
  /** Packets the sender resent over the window (NACK or its own loss detection). */
  retransmittedPackets: number;
  /** Key frame requests (PLI) that reached the sender over the window. */
  keyFrameRequests: number;
}

/**
 * Reads both ends, lets `during()` run (at least `windowMs`), reads them again. The two reads of each
 * snapshot are taken back to back, so a frame in flight can shift the count by one or two. A freeze
 * still going on when the window ends is not in the freeze figures yet (the stats count a freeze
 * when it ends) but shows as frames not decoded.
 */
export async function measureVideoWindow(ends: VideoEnds, windowMs: number, during?: () => Promise<void>): Promise<VideoWindowFigures> {
  const snapshot = async () => {
    const [sent, received] = await Promise.all([ends.sent(), ends.received()]);
    if (!sent || !received) throw new Error(`no video ${sent ? 'received' : 'sent'} yet: the window needs a flowing stream`);
    return { sent, received, at: performance.now() };
  };
  const before = await snapshot();
  await Promise.all([new Promise((resolve) => setTimeout(resolve, windowMs)), during?.()]);
  const after = await snapshot();
  const framesSent = after.sent.framesSent - before.sent.framesSent;
  const framesDecoded = after.received.framesDecoded - before.received.framesDecoded;
  return {
    seconds: (after.at - before.at) / 1000,
    framesSent,
    framesDecoded,
    decodedRatio: framesSent === 0 ? 1 : framesDecoded / framesSent,
    freezeCount: after.received.freezeCount - before.received.freezeCount,
    freezeSeconds: after.received.totalFreezesDuration - before.received.totalFreezesDuration,
    retransmittedPackets: after.sent.retransmittedPacketsSent - before.sent.retransmittedPacketsSent,
    keyFrameRequests: after.sent.pliCount - before.sent.pliCount,
  };
}

export function formatVideoWindow(f: VideoWindowFigures): string {
  return (
    `${f.framesDecoded}/${f.framesSent} frames decoded (${(f.decodedRatio * 100).toFixed(1)}%), ` +
    `${f.freezeCount} freezes (${f.freezeSeconds.toFixed(2)} s) in ${f.seconds.toFixed(1)} s, ` +
    `${f.retransmittedPackets} packets resent, ${f.keyFrameRequests} key frames requested`
  );
}
