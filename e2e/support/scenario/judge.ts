/**
 * The verdict of a scenario's call: every stream (a receiver's view of one sender's audio and video)
 * in every measurement window is held against the scenario's thresholds. A figure of one hop (the
 * sender's uplink, the SFU, the receiver's downlink) that crosses its line names that hop as broken;
 * an end-to-end figure (frame rate, freezes, delay, picture score, voice, MOS) that crosses its line
 * fails the stream, and the verdict says which of the path's hops explain it — or that none does.
 */
import type { AudioFigures, VideoFigures } from '../media/mediaAnalysis.ts';
import { FRAMES_PER_SECOND } from '../media/testPattern.ts';
import type { Thresholds } from './schema.ts';

export type Hop = 'uplink' | 'sfu' | 'downlink';
export const HOPS: Hop[] = ['uplink', 'sfu', 'downlink'];
export type Kind = 'audio' | 'video';

/** One hop of one stream kind, from the SFU's metrics averaged over the window; null: not exported. */
export interface HopFigures {
  loss: number | null;
  jitterSeconds: number | null;
  /** The hop's link round trip (uplink: the sender's send transport; downlink: the receiver's link). */
  roundTripSeconds: number | null;
}

export interface StreamFigures {
  window: string;
  receiver: string;
  sender: string;
  hops: Record<Kind, Record<Hop, HopFigures>>;
  /**
   * Null when the sender's camera was off during the window (nothing to judge). `sentFramesPerSecond`:
   * what the sender's encoder sent over the window (its outbound-rtp); `browserFreezes`: the
   * receiver's inbound-rtp freezeCount / totalFreezesDuration over the window; null when unknown.
   */
  video: (VideoFigures & { sentFramesPerSecond: number | null; browserFreezes: { count: number; seconds: number } | null }) | null;
  /** Null when the sender's microphone was muted during the window. */
  audio: (AudioFigures & { expectedPitchHz: number; mos: number | null; lossPercent: number | null }) | null;
}

export interface BrokenHop {
  /** Whose link: the sender's for an uplink, the receiver's for a downlink; null for the SFU. */
  participant: string | null;
  hop: Hop;
}

export interface Violation {
  window: string;
  /** `sender → receiver`. */
  stream: string;
  metric: string;
  value: number;
  limit: number;
  /** Whether the limit is the least (min) or the most (max) the figure may be, or the only value. */
  bound: 'min' | 'max' | 'equal';
  /** The hop this figure belongs to; null for an end-to-end figure. */
  at: BrokenHop | null;
}

export interface ScenarioVerdict {
  pass: boolean;
  violations: Violation[];
  brokenHops: BrokenHop[];
  /** Failing end-to-end figures of streams none of whose hops crossed a line. */
  unexplained: Violation[];
  /** One line per violation, for people. */
  lines: string[];
}

export function hopOwner(hop: Hop, stream: { sender: string; receiver: string }): string | null {
  return hop === 'uplink' ? stream.sender : hop === 'downlink' ? stream.receiver : null;
}

export function describeHop(hop: BrokenHop): string {
  return hop.participant === null ? 'the SFU' : `${hop.participant}'s ${hop.hop}`;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

export function judge(
  streams: StreamFigures[],
  thresholds: Thresholds,
  timeToFirstFrameMs: Record<string, number | null> = {},
  interruptions: { fault: string; receiver: string; sender: string; seconds: number | null }[] = [],
): ScenarioVerdict {
  const violations: Violation[] = [];
  const add = (stream: StreamFigures, metric: string, value: number, limit: number, at: BrokenHop | null, bound: Violation['bound'] = 'max') =>
    violations.push({ window: stream.window, stream: `${stream.sender} → ${stream.receiver}`, metric, value: round(value), limit, bound, at });

  for (const stream of streams) {
    for (const kind of ['audio', 'video'] as const) {
      // A muted microphone or a camera that is off sends nothing: its hops have nothing to say.
      if (!stream[kind]) continue;
      for (const hop of HOPS) {
        const figures = stream.hops[kind][hop];
        const at = { participant: hopOwner(hop, stream), hop };
        if (thresholds.maxHopLoss !== undefined && figures.loss !== null && figures.loss > thresholds.maxHopLoss) {
          add(stream, `${kind} loss on the ${hop} hop`, figures.loss, thresholds.maxHopLoss, at);
        }
        if (thresholds.maxHopJitterSeconds !== undefined && figures.jitterSeconds !== null && figures.jitterSeconds > thresholds.maxHopJitterSeconds) {
          add(stream, `${kind} jitter on the ${hop} hop (s)`, figures.jitterSeconds, thresholds.maxHopJitterSeconds, at);
        }
        if (thresholds.maxRoundTripSeconds !== undefined && figures.roundTripSeconds !== null && figures.roundTripSeconds > thresholds.maxRoundTripSeconds) {
          add(stream, `${kind} round trip on the ${hop} hop (s)`, figures.roundTripSeconds, thresholds.maxRoundTripSeconds, at);
        }
      }
    }
    const { video, audio } = stream;
    if (video) judgeVideo(stream, video);
    if (audio) judgeAudio(stream, audio);
  }
  function judgeVideo(stream: StreamFigures, video: NonNullable<StreamFigures['video']>): void {
    // Against what the sender sent (its encoder may send fewer than the camera's 20 fps when its
    // machine is busy: that is the sender's limit, reported, not the network's).
    const sentRate = video.sentFramesPerSecond ?? FRAMES_PER_SECOND;
    if (thresholds.minFrameRateRatio !== undefined && video.framesPerSecond < thresholds.minFrameRateRatio * sentRate) {
      add(stream, 'frames per second shown', video.framesPerSecond, round(thresholds.minFrameRateRatio * sentRate), null, 'min');
    }
    if (thresholds.maxBadFrameShare !== undefined) {
      const read = video.presented;
      const bad = read > 0 ? (video.unreadable + video.foreign) / read : 1;
      if (bad > thresholds.maxBadFrameShare) add(stream, 'share of frames black, garbled or not the sender\'s', bad, thresholds.maxBadFrameShare, null);
    }
    if (thresholds.maxFrozenSecondsPer20s !== undefined) {
      // The browser's own account (its renderer times every frame) when it gave one; else the probe's.
      const frozen = video.browserFreezes?.seconds ?? video.freezeSeconds;
      const per20 = video.seconds > 0 ? (frozen * 20) / video.seconds : 0;
      if (per20 > thresholds.maxFrozenSecondsPer20s) add(stream, 'seconds frozen per 20 s', per20, thresholds.maxFrozenSecondsPer20s, null);
    }
    if (thresholds.maxDelayP50Ms !== undefined && video.delayP50Ms !== null && video.delayP50Ms > thresholds.maxDelayP50Ms) {
      add(stream, 'glass-to-glass delay, median (ms)', video.delayP50Ms, thresholds.maxDelayP50Ms, null);
    }
    if (thresholds.minPsnrDb !== undefined && (video.psnrMeanDb === null || video.psnrMeanDb < thresholds.minPsnrDb)) {
      add(stream, 'picture PSNR against the source (dB)', video.psnrMeanDb ?? 0, thresholds.minPsnrDb, null, 'min');
    }
  }
  function judgeAudio(stream: StreamFigures, audio: NonNullable<StreamFigures['audio']>): void {
    if (thresholds.minAudioLevelDb !== undefined && !(audio.levelDb >= thresholds.minAudioLevelDb)) {
      add(stream, "power at the sender's voice pitch (dB)", Number.isFinite(audio.levelDb) ? audio.levelDb : -999, thresholds.minAudioLevelDb, null, 'min');
    }
    if (thresholds.minAudioLevelDb !== undefined && audio.dominantPitchHz !== audio.expectedPitchHz) {
      // Another participant's voice (or none): the track carries the wrong audio.
      add(stream, 'strongest voice pitch heard (Hz)', audio.dominantPitchHz ?? 0, audio.expectedPitchHz, null, 'equal');
    }
    if (thresholds.minMos !== undefined && audio.mos !== null && audio.mos < thresholds.minMos) {
      add(stream, 'estimated MOS', audio.mos, thresholds.minMos, null, 'min');
    }
  }
  if (thresholds.maxTimeToFirstFrameMs !== undefined) {
    for (const [participant, ms] of Object.entries(timeToFirstFrameMs)) {
      if (ms === null || ms > thresholds.maxTimeToFirstFrameMs) {
        violations.push({ window: 'join', stream: participant, metric: 'join → first remote frame (ms)', value: ms ?? -1, limit: thresholds.maxTimeToFirstFrameMs, bound: 'max', at: null });
      }
    }
  }

  if (thresholds.maxInterruptionSeconds !== undefined) {
    for (const interruption of interruptions) {
      if (interruption.seconds === null || interruption.seconds > thresholds.maxInterruptionSeconds) {
        violations.push({
          window: interruption.fault,
          stream: `${interruption.sender} → ${interruption.receiver}`,
          metric: 'video interrupted (s; -1: never came back)',
          value: interruption.seconds ?? -1,
          limit: thresholds.maxInterruptionSeconds,
          bound: 'max',
          at: null,
        });
      }
    }
  }

  const brokenHops: BrokenHop[] = [];
  for (const violation of violations) {
    if (violation.at && !brokenHops.some((hop) => hop.participant === violation.at!.participant && hop.hop === violation.at!.hop)) brokenHops.push(violation.at);
  }
  const explainedStreams = new Set(violations.filter((violation) => violation.at).map((violation) => `${violation.window}|${violation.stream}`));
  const unexplained = violations.filter((violation) => !violation.at && !explainedStreams.has(`${violation.window}|${violation.stream}`));
  const lines = violations.map((violation) => {
    const where = violation.at ? ` [${describeHop(violation.at)}]` : '';
    return `${violation.window}: ${violation.stream}: ${violation.metric} ${violation.value} (${violation.bound === 'equal' ? 'expected' : violation.bound} ${violation.limit})${where}`;
  });
  return { pass: violations.length === 0, violations, brokenHops, unexplained, lines };
}
