/**
 * Judging what a receiver's probe recorded (mediaProbe.ts) against the generated source
 * (testPattern.ts, fakeMedia.ts): the picture's code band names the sender and the frame, so the
 * receiver's own presentation times give the frame rate it really showed, its freezes, how late each
 * frame arrived after the sender's own preview showed it (glass-to-glass, estimated: both are on
 * this machine's clock), and a full-reference score (PSNR) of sampled frames. Audio: the power at the
 * sender's voice pitch against the other slots' pitches.
 */
import { SLOT_PITCHES_HZ } from './fakeMedia.ts';
import type { ProbedAudio, ProbedFrame, ProbedVideo } from './mediaProbe.ts';
import { CELL_CENTRES, PROBE_HEIGHT, PROBE_WIDTH } from './mediaProbe.ts';
import { CODE_BITS, FRAMES_PER_SECOND, LOOP_FRAMES, PICTURE_TOP, HEIGHT, readCode, referenceLuma, type FrameCode } from './testPattern.ts';

/** A picture whose every code cell is darker than this is black (the code's black cells are 16 → 0). */
const BLACK_CELL = 24;

export interface VideoFigures {
  /** Length of the window judged. */
  seconds: number;
  /** Frames the probe read in the window (a busy page skips some callbacks, not frames). */
  presented: number;
  /** Presented frames whose code could not be read (blurred, black, foreign). */
  unreadable: number;
  black: number;
  /** Frames with the code of another slot than the expected sender's. */
  foreign: number;
  /** Distinct source frames read (a new code each time). */
  newFrames: number;
  /**
   * Frames shown per second: the compositor's count over the window. The probe's reads are a subset
   * (a busy page skips callbacks, not frames); their codes prove the frames are new and the sender's.
   */
  framesPerSecond: number;
  /**
   * Chromium's rule on the intervals between new frames: longer than max(3 × median, median + 150 ms)
   * (an interval over which the video presented frames the probe did not read is divided among them).
   */
  freezeCount: number;
  freezeSeconds: number;
  /** The longest time without a new frame (ms); the window's edges count. */
  longestStillMs: number;
  /** Glass-to-glass estimate (ms): receiver shows frame i, minus the sender's preview showing it. */
  delayP50Ms: number | null;
  delayP95Ms: number | null;
  /** Full-reference score of sampled frames against the generated source (dB); null: no sample read. */
  psnrMeanDb: number | null;
  psnrMinDb: number | null;
}

/** The code of the cell values read at CELL_CENTRES (both rows, in order), or null (see readCode). */
function codeOfCells(cells: number[]): FrameCode | null {
  return readCode([cells.slice(0, CODE_BITS), cells.slice(CODE_BITS, 2 * CODE_BITS)]);
}

/** The code of one probed frame, or null (see readCode). */
export function codeOf(frame: ProbedFrame): FrameCode | null {
  return codeOfCells(frame.cells);
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The sender preview's frames by index: when the sender's own page showed each (several times over
 * a long window: the loop repeats every LOOP_FRAMES frames).
 */
export function shownAt(senderPreview: ProbedFrame[], slot: number): Map<number, number[]> {
  const times = new Map<number, number[]>();
  let previous: number | null = null;
  for (const frame of senderPreview) {
    const code = codeOf(frame);
    if (!code || code.slot !== slot || code.index === previous) continue;
    previous = code.index;
    const list = times.get(code.index) ?? [];
    list.push(frame.at);
    times.set(code.index, list);
  }
  return times;
}

/** PSNR (dB) of a probe sample against the source frame its code names; null when unreadable. */
export function samplePsnr(sample: number[], slot: number): number | null {
  const code = codeOfCells(CELL_CENTRES.map(([x, y]) => sample[y * PROBE_WIDTH + x]!));
  if (!code || code.slot !== slot) return null;
  const reference = referenceLuma(code, PROBE_WIDTH, PROBE_HEIGHT);
  // The moving picture only: the code band is what was read, and its sharp edges would dominate.
  const top = Math.ceil((PICTURE_TOP * PROBE_HEIGHT) / HEIGHT) + 1;
  let squared = 0;
  let count = 0;
  for (let y = top; y < PROBE_HEIGHT; y += 1) {
    for (let x = 0; x < PROBE_WIDTH; x += 1) {
      const diff = sample[y * PROBE_WIDTH + x]! - reference[y * PROBE_WIDTH + x]!;
      squared += diff * diff;
      count += 1;
    }
  }
  const mse = squared / count;
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}

/**
 * The figures of `video` (a receiver's record of one sender, slot `slot`) over the window
 * [`from`, `to`] (wall-clock ms); `senderPreview` (the sender's own 'self' record over the same
 * time) gives the glass-to-glass estimate.
 */
export function analyzeVideo(video: ProbedVideo | undefined, slot: number, window: { from: number; to: number }, senderPreview?: ProbedFrame[]): VideoFigures {
  const frames = (video?.frames ?? []).filter((frame) => frame.at >= window.from && frame.at <= window.to);
  let unreadable = 0;
  let black = 0;
  let foreign = 0;
  const newFrameTimes: number[] = [];
  const newFramePresented: number[] = [];
  const newFrames: { index: number; at: number }[] = [];
  let previous: number | null = null;
  for (const frame of frames) {
    if (frame.cells.every((cell) => cell < BLACK_CELL)) black += 1;
    const code = codeOf(frame);
    if (!code) {
      unreadable += 1;
      continue;
    }
    if (code.slot !== slot) {
      foreign += 1;
      continue;
    }
    if (code.index === previous) continue;
    previous = code.index;
    newFrameTimes.push(frame.at);
    newFramePresented.push(frame.presented);
    newFrames.push({ index: code.index, at: frame.at });
  }

  // The time between two frames read is a still picture only if the video presented nothing in
  // between: a busy page skips callbacks, not frames. Between reads n presented frames apart, the
  // picture changed every gap / n on average.
  const intervals = newFrameTimes.slice(1).map((at, i) => (at - newFrameTimes[i]!) / Math.max(1, newFramePresented[i + 1]! - newFramePresented[i]!));
  const median = percentile([...intervals].sort((a, b) => a - b), 50) ?? 0;
  const freezeAbove = Math.max(3 * median, median + 150);
  const freezes = intervals.filter((gap) => gap > freezeAbove);
  const edges = newFrameTimes.length ? [newFrameTimes[0]! - window.from, window.to - newFrameTimes.at(-1)!] : [window.to - window.from];
  const seconds = (window.to - window.from) / 1000;

  const delays: number[] = [];
  if (senderPreview) {
    const sent = shownAt(senderPreview, slot);
    // A frame shown by the receiver came from the latest showing of that index at the sender before it,
    // within one loop of the file.
    const loopMs = (LOOP_FRAMES / FRAMES_PER_SECOND) * 1000;
    for (const { index, at } of newFrames) {
      const candidates = (sent.get(index) ?? []).filter((shown) => shown <= at && at - shown < loopMs / 2);
      if (candidates.length) delays.push(at - Math.max(...candidates));
    }
  }
  delays.sort((a, b) => a - b);

  const scores = (video?.samples ?? [])
    .filter((sample) => sample.at >= window.from && sample.at <= window.to)
    .map((sample) => samplePsnr(sample.luma, slot))
    .filter((score): score is number => score !== null);
  return {
    seconds,
    presented: frames.length,
    unreadable,
    black,
    foreign,
    newFrames: newFrames.length,
    // Over the window, not between the first and last frame read: a video that stopped half-way counts half.
    framesPerSecond: frames.length > 1 && seconds > 0 ? (frames.at(-1)!.presented - frames[0]!.presented) / seconds : 0,
    freezeCount: freezes.length,
    freezeSeconds: freezes.reduce((sum, gap) => sum + gap, 0) / 1000,
    longestStillMs: Math.max(0, ...intervals, ...edges),
    delayP50Ms: percentile(delays, 50),
    delayP95Ms: percentile(delays, 95),
    psnrMeanDb: scores.length ? scores.reduce((sum, score) => sum + score, 0) / scores.length : null,
    psnrMinDb: scores.length ? Math.min(...scores) : null,
  };
}

export interface AudioFigures {
  /** Power at the expected pitch (±10%), dB relative to full scale; -Infinity: nothing. */
  levelDb: number;
  /** The slot pitch with the most power: whose voice the track carries. */
  dominantPitchHz: number | null;
  /** Seconds of spectrum in the window. */
  seconds: number;
}

function bandPower(power: number[], binHz: number, pitchHz: number): number {
  let sum = 0;
  power.forEach((value, bin) => {
    const hz = bin * binHz;
    if (hz >= pitchHz * 0.9 && hz <= pitchHz * 1.1) sum += value;
  });
  return sum;
}

/** The receiver's audio of one sender over the window, against the sender's voice pitch. */
export function analyzeAudio(audio: ProbedAudio | undefined, pitchHz: number, window: { from: number; to: number }): AudioFigures {
  const seconds = (audio?.seconds ?? []).filter((second) => second.at > window.from && second.at <= window.to);
  if (!audio || seconds.length === 0) return { levelDb: -Infinity, dominantPitchHz: null, seconds: 0 };
  const power = seconds[0]!.power.map((_, bin) => seconds.reduce((sum, second) => sum + second.power[bin]!, 0) / seconds.length);
  const bands = SLOT_PITCHES_HZ.map((pitch) => ({ pitch, power: bandPower(power, audio.binHz, pitch) }));
  const dominant = bands.reduce((best, band) => (band.power > best.power ? band : best));
  const own = bandPower(power, audio.binHz, pitchHz);
  return {
    levelDb: own > 0 ? 10 * Math.log10(own) : -Infinity,
    dominantPitchHz: dominant.power > 0 ? dominant.pitch : null,
    seconds: seconds.length,
  };
}
