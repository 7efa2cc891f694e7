/**
 * Installs the in-page media probe (mediaProbe.browser.js) in a call page and reads what it
 * recorded. The probe survives reloads (it is also an init script of the page).
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { CODE_BITS, CODE_CELL_HEIGHT, CODE_CELL_WIDTH, CODE_ROWS, HEIGHT, PICTURE_TOP, WIDTH } from './testPattern.ts';

const SOURCE = readFileSync(new URL('./mediaProbe.browser.js', import.meta.url), 'utf8');

/** The size every presented frame is drawn at for reading: half the pattern's, whatever was received. */
export const PROBE_WIDTH = WIDTH / 2;
export const PROBE_HEIGHT = HEIGHT / 2;
const SCALE = PROBE_WIDTH / WIDTH;

/** Centres of the code cells in a probe frame, row by row: [x, y]. */
export const CELL_CENTRES: [number, number][] = Array.from({ length: CODE_ROWS * CODE_BITS }, (_, i) => {
  const row = Math.floor(i / CODE_BITS);
  const bit = i % CODE_BITS;
  return [Math.floor((bit + 0.5) * CODE_CELL_WIDTH * SCALE), Math.floor((row + 0.5) * CODE_CELL_HEIGHT * SCALE)];
});

const CONFIG = {
  width: PROBE_WIDTH,
  height: PROBE_HEIGHT,
  cells: CELL_CENTRES,
  pictureTop: Math.ceil(PICTURE_TOP * SCALE),
  /**
   * Frames are read at most every 90 ms (about every other frame at 20 fps): enough for the codes'
   * checks and the delay, and half the cost (the compositor's count gives the frame rate).
   */
  minReadIntervalMs: 90,
  /** A full-frame luma sample every 12 reads (~1.2 s), the last 12 kept. */
  sampleEvery: 12,
  keepSamples: 12,
  /** Frames and audio seconds older than this are dropped (a long call's memory stays bounded). */
  keepMs: 180_000,
  audioMaxHz: 1000,
};

/** One presented frame: wall-clock ms, the video's presented-frame count, brightness at each code cell centre. */
export interface ProbedFrame {
  at: number;
  presented: number;
  cells: number[];
}

export interface ProbedVideo {
  frames: ProbedFrame[];
  /** Sampled frames: when, and PROBE_WIDTH × PROBE_HEIGHT luma values (full range), row by row. */
  samples: { at: number; luma: number[] }[];
}

export interface ProbedAudio {
  /** Width of one spectrum bin, Hz. */
  binHz: number;
  /** Per second (ending at `at`, wall-clock ms): mean power (linear, 1 = full scale) per bin up to ~1 kHz. */
  seconds: { at: number; power: number[] }[];
}

/** Keyed by whose media it is: a remote tile's display name, or 'self' for the local preview. */
export interface ProbeSnapshot {
  video: Record<string, ProbedVideo>;
  audio: Record<string, ProbedAudio>;
  audioContextState: string | null;
}

export async function installMediaProbe(page: Page): Promise<void> {
  const script = `${SOURCE}\ninstallMediaProbe(${JSON.stringify(CONFIG)});`;
  await page.addInitScript(script);
  await page.evaluate(script);
}

type RawSnapshot = Omit<ProbeSnapshot, 'video'> & { video: Record<string, { frames: ProbedFrame[]; samples: { at: number; luma: string }[] }> };

/** What was recorded from `since` (epoch ms; default: everything kept). */
export async function probeSnapshot(page: Page, since = 0): Promise<ProbeSnapshot> {
  const raw = await page.evaluate(
    (from) => (window as unknown as { __mediaProbe: { snapshot(since: number): RawSnapshot } }).__mediaProbe.snapshot(from),
    since,
  );
  const video: ProbeSnapshot['video'] = {};
  for (const [key, entry] of Object.entries(raw.video)) {
    video[key] = { frames: entry.frames, samples: entry.samples.map((sample) => ({ at: sample.at, luma: [...Buffer.from(sample.luma, 'base64')] })) };
  }
  return { ...raw, video };
}

/** Starts a new measurement window. */
export async function resetProbe(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { __mediaProbe: { reset(): void } }).__mediaProbe.reset());
}

/** The probe's sampled frames of every video as one PNG (rows per video), or null before any. */
export async function probeFilmstrip(page: Page): Promise<Buffer | null> {
  const dataUrl = await page.evaluate(() => (window as unknown as { __mediaProbe: { filmstrip(): string | null } }).__mediaProbe.filmstrip());
  return dataUrl ? Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64') : null;
}
