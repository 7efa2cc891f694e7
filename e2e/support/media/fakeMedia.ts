/**
 * The fake capture files of the suites, generated here (no downloads): per participant slot, a y4m
 * camera (testPattern.ts: moving picture + frame code, 10 s loop) and a wav microphone (a speech-like
 * voice at the slot's own pitch, fakeAudio.ts). Chromium plays them with
 * `--use-file-for-fake-video-capture` / `--use-file-for-fake-audio-capture`, looped.
 *
 * Files are written once per directory and generator version (the name carries it): the same slot
 * is the same bytes on every run and machine.
 *
 *   npm run media --workspace e2e [-- <directory> [slots]]   writes them (default e2e/.media, 6 slots)
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_DIR } from '../labInfo.ts';
import { voice, wavBytes } from './fakeAudio.ts';
import { FRAMES_PER_SECOND, HEIGHT, LOOP_FRAMES, WIDTH, lumaPlane, tintOf } from './testPattern.ts';

/** Where the suites keep them (ignored by git). */
export const DEFAULT_MEDIA_DIR = join(E2E_DIR, '.media');

/** Bump when the picture or the voices change, so cached files are written again. */
const GENERATOR_VERSION = 1;

/**
 * Each slot's voice pitch (Hz): fundamentals far apart (≥ 25%), so a receiver can tell whose voice
 * a track carries by where its strongest low band is (mediaAnalysis.ts).
 */
export const SLOT_PITCHES_HZ = [140, 200, 260, 330, 420, 520] as const;

export function pitchOf(slot: number): number {
  return SLOT_PITCHES_HZ[slot % SLOT_PITCHES_HZ.length]!;
}

export interface SlotMedia {
  slot: number;
  video: string;
  audio: string;
  pitchHz: number;
}

/** Writes a y4m file of the slot's LOOP_FRAMES frames (I420, WIDTH × HEIGHT, FRAMES_PER_SECOND). */
function writeVideo(file: string, slot: number): void {
  const partial = `${file}.partial`;
  const fd = openSync(partial, 'w');
  try {
    writeSync(fd, `YUV4MPEG2 W${WIDTH} H${HEIGHT} F${FRAMES_PER_SECOND}:1 Ip A1:1 C420jpeg\n`);
    const tint = tintOf(slot);
    const u = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2), tint.u);
    const v = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2), tint.v);
    for (let index = 0; index < LOOP_FRAMES; index += 1) {
      writeSync(fd, 'FRAME\n');
      writeSync(fd, lumaPlane({ slot, index }));
      writeSync(fd, u);
      writeSync(fd, v);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
}

/** The files of `slot` in `directory`, written if missing. */
export function fakeMediaFor(directory: string, slot: number): SlotMedia {
  mkdirSync(directory, { recursive: true });
  const pitchHz = pitchOf(slot);
  const video = join(directory, `camera-slot${slot}-v${GENERATOR_VERSION}.y4m`);
  const audio = join(directory, `voice-slot${slot}-${pitchHz}hz-v${GENERATOR_VERSION}.wav`);
  if (!existsSync(video)) writeVideo(video, slot);
  if (!existsSync(audio)) {
    const partial = `${audio}.partial`;
    const fd = openSync(partial, 'w');
    writeSync(fd, wavBytes(voice(pitchHz, LOOP_FRAMES / FRAMES_PER_SECOND)));
    closeSync(fd);
    renameSync(partial, audio);
  }
  return { slot, video, audio, pitchHz };
}
