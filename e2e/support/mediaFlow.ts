/**
 * Proof that media really flows: over a window, the receiver decodes nearly as many frames as each
 * sender sends, receives nearly as many of its audio packets, and decodes them into sound (samples
 * played out from packets at nearly the audio rate, concealment excluded) — the receiver's own counters
 * against the sender's own, each per second of that side's own measurement time (the browsers'
 * stats timestamps): two pages asked at the same moment answer at different ones when the machine
 * is busy, and a sender whose window came out a second longer would look a quarter short.
 */
import { expect } from '@playwright/test';
import type { CallPage } from './CallPage.ts';
import type { LocalSendStats, PeerReceiveStats } from '@lab/proto/lab-surface';
import type { CallVerdict, ReceivedFigures } from './verdict.ts';

/** Long enough for ~60 frames at 20 fps and ~150 Opus packets: a stall cannot hide in it. */
export const FLOW_WINDOW_MS = 3_000;
/**
 * Share of what the sender sent in the window that must arrive. A frame or two in flight at either
 * edge of a 3 s window (60 frames) is ~3%; a receiver decoding at half the sender's rate is not flowing.
 */
export const MIN_FLOW_RATIO = 0.85;
/** First packets may take a while on a loaded 2-core machine (ICE, DTLS, a key frame). */
const FIRST_MEDIA_TIMEOUT_MS = 20_000;

/** What the receiver played out of the sender's audio: decoded samples, not the decoder's concealment. */
function decodedSamplesOf(stats: PeerReceiveStats | undefined): number {
  return (stats?.audio?.totalSamplesReceived ?? 0) - (stats?.audio?.concealedSamples ?? 0);
}

/** Opus decodes at 48 kHz: the samples a second of audio gives the receiver's playout. */
const AUDIO_SAMPLES_PER_SECOND = 48_000;

function figuresOf(stats: PeerReceiveStats | undefined): ReceivedFigures {
  return {
    framesDecoded: stats?.video?.framesDecoded ?? 0,
    framesPerSecond: stats?.video?.framesPerSecond ?? 0,
    videoPacketsLost: stats?.video?.packetsLost ?? 0,
    audioPacketsReceived: stats?.audio?.packetsReceived ?? 0,
    audioPacketsLost: stats?.audio?.packetsLost ?? 0,
  };
}

function sentOf(stats: LocalSendStats): { frames: number; audioPackets: number; videoAt: number; audioAt: number } {
  return {
    frames: stats.video?.framesSent ?? 0,
    audioPackets: stats.audio?.packetsSent ?? 0,
    videoAt: stats.video?.timestamp ?? 0,
    audioAt: stats.audio?.timestamp ?? 0,
  };
}

/** When the receiver's figures of each kind were measured. */
function receivedAt(stats: PeerReceiveStats | undefined): { videoAt: number; audioAt: number } {
  return { videoAt: stats?.video?.timestamp ?? 0, audioAt: stats?.audio?.timestamp ?? 0 };
}

/**
 * What the sender sent over the receiver's window: its count over its own window, scaled by the
 * ratio of the two windows' lengths as each browser timed them.
 */
function sentOverReceiverWindow(sent: number, sendMs: number, receiveMs: number): number {
  return sendMs > 0 && receiveMs > 0 ? (sent * receiveMs) / sendMs : sent;
}

/**
 * Asserts that `receiver` decodes video from every sender and receives their audio, at ≥ 85% of what
 * each sent over {@link FLOW_WINDOW_MS}. Records the figures in the verdict.
 */
export async function expectMediaFlowing(
  receiver: CallPage,
  senders: CallPage[],
  verdict?: CallVerdict,
  options: { video?: boolean; audio?: boolean; settleMs?: number } = {},
): Promise<void> {
  const checkVideo = options.video ?? true;
  const checkAudio = options.audio ?? true;
  const senderIds = await Promise.all(senders.map((sender) => sender.peerId()));
  const snapshot = async () => {
    const [stats, ...sent] = await Promise.all([receiver.stats(), ...senders.map((sender) => sender.sendStats())]);
    return senderIds.map((peerId, i) => {
      const entry = stats.find((candidate) => candidate.peerId === peerId);
      return { received: figuresOf(entry), samples: decodedSamplesOf(entry), at: receivedAt(entry), sent: sentOf(sent[i]!) };
    });
  };

  // Media has started from everyone…
  await expect
    .poll(
      async () =>
        (await snapshot()).every(
          ({ received }) => (!checkVideo || received.framesDecoded > 0) && (!checkAudio || received.audioPacketsReceived > 0),
        ),
      { message: `${receiver.name} should receive media from ${senders.map((s) => s.name).join(', ')}`, timeout: FIRST_MEDIA_TIMEOUT_MS },
    )
    .toBe(true);

  // (A page that has just started several streams at once may be given time to settle first.)
  if (options.settleMs) await receiver.page.waitForTimeout(options.settleMs);
  // …and keeps coming at the rate it is sent.
  const before = await snapshot();
  await receiver.page.waitForTimeout(FLOW_WINDOW_MS);
  const after = await snapshot();
  senders.forEach((sender, i) => {
    const [b, a] = [before[i]!, after[i]!];
    verdict?.received(receiver.name, sender.name, a.received);
    if (checkVideo) {
      const sent = a.sent.frames - b.sent.frames;
      expect(sent, `${sender.name} must send video over ${FLOW_WINDOW_MS} ms`).toBeGreaterThan(0);
      const sendMs = a.sent.videoAt - b.sent.videoAt;
      const receiveMs = a.at.videoAt - b.at.videoAt;
      const expected = sentOverReceiverWindow(sent, sendMs, receiveMs);
      expect(
        a.received.framesDecoded - b.received.framesDecoded,
        `${receiver.name}: frames decoded from ${sender.name} over ${Math.round(receiveMs)} ms, of the ${sent} sent over ${Math.round(sendMs)} ms`,
      ).toBeGreaterThanOrEqual(Math.floor(expected * MIN_FLOW_RATIO));
    }
    if (checkAudio) {
      const sent = a.sent.audioPackets - b.sent.audioPackets;
      expect(sent, `${sender.name} must send audio over ${FLOW_WINDOW_MS} ms`).toBeGreaterThan(0);
      const sendMs = a.sent.audioAt - b.sent.audioAt;
      const receiveMs = a.at.audioAt - b.at.audioAt;
      const expected = sentOverReceiverWindow(sent, sendMs, receiveMs);
      expect(
        a.received.audioPacketsReceived - b.received.audioPacketsReceived,
        `${receiver.name}: audio packets received from ${sender.name} over ${Math.round(receiveMs)} ms, of the ${sent} sent over ${Math.round(sendMs)} ms`,
      ).toBeGreaterThanOrEqual(Math.floor(expected * MIN_FLOW_RATIO));
      // …and decoded into sound: samples played out from packets (not concealment) at the audio rate.
      const playable = (AUDIO_SAMPLES_PER_SECOND * receiveMs) / 1000;
      expect(
        a.samples - b.samples,
        `${receiver.name}: audio samples decoded from ${sender.name}'s packets over ${Math.round(receiveMs)} ms (concealment not counted)`,
      ).toBeGreaterThanOrEqual(Math.floor(playable * MIN_FLOW_RATIO));
    }
  });
}

/** Every page receives media from every other page, as {@link expectMediaFlowing} checks it. */
export async function expectEveryoneFlowing(pages: CallPage[], verdict?: CallVerdict): Promise<void> {
  await Promise.all(pages.map((page) => expectMediaFlowing(page, pages.filter((other) => other !== page), verdict)));
}

/**
 * Asserts that `receiver` decodes `sender`'s screen share at ≥ 85% of the frames the sender sent
 * over {@link FLOW_WINDOW_MS}, each side counted over its own stats timestamps (as for the camera).
 * Returns the figures (frames sent and decoded, the window each side measured).
 */
export async function expectScreenFlowing(
  receiver: CallPage,
  sender: CallPage,
): Promise<{ sent: number; decoded: number; sendMs: number; receiveMs: number }> {
  const senderId = await sender.peerId();
  const snapshot = async () => {
    const [stats, sent] = await Promise.all([receiver.statsFrom(senderId), sender.sendStats()]);
    return {
      decoded: stats?.screen?.framesDecoded ?? 0,
      receivedAt: stats?.screen?.timestamp ?? 0,
      sent: sent.screen?.framesSent ?? 0,
      sentAt: sent.screen?.timestamp ?? 0,
    };
  };
  await expect
    .poll(async () => (await snapshot()).decoded, {
      message: `${receiver.name} should decode ${sender.name}'s screen`,
      timeout: FIRST_MEDIA_TIMEOUT_MS,
    })
    .toBeGreaterThan(0);
  const before = await snapshot();
  await receiver.page.waitForTimeout(FLOW_WINDOW_MS);
  const after = await snapshot();
  const sent = after.sent - before.sent;
  const sendMs = after.sentAt - before.sentAt;
  const receiveMs = after.receivedAt - before.receivedAt;
  const decoded = after.decoded - before.decoded;
  expect(sent, `${sender.name} must send screen frames over ${FLOW_WINDOW_MS} ms`).toBeGreaterThan(0);
  expect(
    decoded,
    `${receiver.name}: screen frames decoded from ${sender.name} over ${Math.round(receiveMs)} ms, of the ${sent} sent over ${Math.round(sendMs)} ms`,
  ).toBeGreaterThanOrEqual(Math.floor(sentOverReceiverWindow(sent, sendMs, receiveMs) * MIN_FLOW_RATIO));
  return { sent, decoded, sendMs, receiveMs };
}
