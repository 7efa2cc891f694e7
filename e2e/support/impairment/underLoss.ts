/**
 * Measuring one video stream while packets are really dropped on a participant's link: shared by the
 * packet-loss suite (thresholds) and the packet-loss benchmark (figures and charts).
 */
import type { CallPage } from '../CallPage.ts';
import type { DirectCall } from '../DirectCall.ts';
import { measureVideoWindow, type VideoEnds } from '../videoWindow.ts';
import type { WindowFigures } from '../verdict.ts';
import type { Direction, DropRule, PacketLoss } from './PacketLoss.ts';

export interface LossCondition {
  /** e.g. "5% uplink loss". */
  label: string;
  /** The impaired participant's uplink (what it sends) or downlink (what it receives). */
  direction: Direction;
  rules: DropRule[];
  /** The share of the direction's packets the rules should drop, when they aim at one. */
  nominalLossPercent?: number;
}

export function randomLoss(direction: Direction, percent: number): LossCondition {
  return { label: `${percent}% ${direction} loss`, direction, rules: [{ loss: { kind: 'random', percent } }], nominalLossPercent: percent };
}

/** `sender`'s camera as `receiver` gets it through the SFU. */
export function sfuVideoEnds(sender: CallPage, receiver: CallPage, senderPeerId: string): VideoEnds {
  return {
    sent: async () => (await sender.sendStats()).video,
    received: async () => (await receiver.statsFrom(senderPeerId))?.video ?? null,
  };
}

/** One page's camera as the other page of a direct call gets it. */
export function directVideoEnds(call: DirectCall, sender: CallPage, receiver: CallPage): VideoEnds {
  return {
    sent: () => call.videoSent(sender.page),
    received: () => call.videoReceived(receiver.page),
  };
}

const FIRST_VIDEO_TIMEOUT_MS = 30_000;

/**
 * Joins `impaired` then `other` to `room` through the call page, and waits until each decodes the
 * other's video: a loss window needs flowing streams at both ends. Returns their peer ids.
 */
export async function joinPairAndWaitForVideo(room: string, impaired: CallPage, other: CallPage): Promise<{ impairedId: string; otherId: string }> {
  await impaired.joinViaForm(room);
  await other.joinViaForm(room);
  const [impairedId, otherId] = [await impaired.peerId(), await other.peerId()];
  const decoding = async (receiver: CallPage, senderId: string) => ((await receiver.statsFrom(senderId))?.video?.framesDecoded ?? 0) > 0;
  const deadline = Date.now() + FIRST_VIDEO_TIMEOUT_MS;
  while (!((await decoding(other, impairedId)) && (await decoding(impaired, otherId)))) {
    if (Date.now() > deadline) throw new Error(`${impaired.name} and ${other.name} do not decode each other's video after ${FIRST_VIDEO_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { impairedId, otherId };
}

/** Time for a stream to settle after the loss stops (the receiver's jitter buffer drains). */
const RECOVERY_MS = 2_000;

/**
 * Applies `condition`, measures the stream over `windowMs` starting at once, then lifts the loss and
 * lets the stream settle. The figures include the loss really injected (nftables' counters).
 */
export function measureUnderLoss(loss: PacketLoss, condition: LossCondition, ends: VideoEnds, windowMs: number): Promise<WindowFigures> {
  return whileLossy(loss, condition, () => measureVideoWindow(ends, windowMs));
}

/**
 * A gap nothing can repair: the next packet of the sender's video is dropped, and so is every
 * retransmission (its RTX stream) for the whole window. Only a key frame ends the freeze that follows.
 * The sender must be the impaired participant (uplink). `droppedPackets` counts the lost packet and
 * every resend of it.
 */
export async function measureUnrepairableGap(loss: PacketLoss, ends: VideoEnds, windowMs: number): Promise<WindowFigures> {
  const video = await ends.sent();
  if (!video) throw new Error('the impaired participant sends no video');
  if (video.rtxSsrc === null) throw new Error('the video has no RTX stream: every loss would be unrepairable');
  const condition: LossCondition = {
    label: 'unrepairable gap',
    direction: 'uplink',
    rules: [
      { ssrc: video.rtxSsrc, loss: { kind: 'all' } },
      { ssrc: video.ssrc, loss: { kind: 'first', count: 1 } },
    ],
  };
  return whileLossy(loss, condition, () => measureVideoWindow(ends, windowMs));
}

/** Runs `measure` with `condition` applied; adds what the rules really dropped, then lifts them. */
async function whileLossy<T>(
  loss: PacketLoss,
  condition: LossCondition,
  measure: () => Promise<T>,
): Promise<T & { injectedLossPercent: number; droppedPackets: number }> {
  await loss.set(condition.direction, condition.rules);
  try {
    const figures = await measure();
    const injected = await loss.counters(condition.direction);
    return { ...figures, injectedLossPercent: injected.lossPercent, droppedPackets: injected.dropped };
  } finally {
    await loss.clear();
    await new Promise((resolve) => setTimeout(resolve, RECOVERY_MS));
  }
}
