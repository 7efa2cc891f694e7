/**
 * Fake microphones for Chromium (`--use-file-for-fake-audio-capture=FILE.wav`, looped), written by
 * the suite itself: no download, the same bytes on every run.
 *
 * A voice is not a steady sine: the page asks for the browser's audio processing (noise
 * suppression, gain control), which learns a stationary tone as background noise and attenuates it
 * within seconds, so the SFU would stop hearing "speech". The voice here is speech-like instead:
 * a harmonic tone (fundamental `pitchHz`, ten harmonics falling off) that glides a little, cut into
 * syllables (about 4 a second, with short gaps and a longer pause every couple of seconds).
 * Distinct pitches tell browsers apart by ear in a recording.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Chromium resamples as needed; 48 kHz mono 16-bit is what Opus works at. */
const SAMPLE_RATE = 48_000;

/** A PCM WAV file (RIFF, format 1) of mono 16-bit samples in -1..1. */
export function wavBytes(samples: Float32Array, sampleRate = SAMPLE_RATE): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((sample, index) => data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, sample)) * 32767), index * 2));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  header.writeUInt16LE(2, 32); // bytes per frame
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** `seconds` of digital silence. */
export function silence(seconds: number): Float32Array {
  return new Float32Array(Math.round(seconds * SAMPLE_RATE));
}

/**
 * `seconds` of a speech-like voice at `pitchHz` (see the file comment), peak about `level` (0..1).
 * The syllable pattern is fixed (no randomness), and the file starts and ends in a gap, so the loop
 * has no click.
 */
export function voice(pitchHz: number, seconds = 8, level = 0.5): Float32Array {
  const samples = new Float32Array(Math.round(seconds * SAMPLE_RATE));
  // Syllable lengths and gaps in ms, repeated: ~4 syllables a second, a breath every ~2 s.
  const pattern = [
    [180, 70],
    [230, 60],
    [150, 90],
    [260, 70],
    [200, 60],
    [170, 80],
    [240, 420],
  ];
  let phase = 0;
  let t = 0.1; // start in a gap
  let step = 0;
  const harmonics = 10;
  const norm = Array.from({ length: harmonics }, (_, h) => 1 / (h + 1)).reduce((a, b) => a + b, 0);
  while (t < seconds - 0.6) {
    const [onMs, offMs] = pattern[step % pattern.length]!;
    const start = Math.round(t * SAMPLE_RATE);
    const length = Math.round((onMs / 1000) * SAMPLE_RATE);
    for (let i = 0; i < length && start + i < samples.length; i += 1) {
      const progress = i / length;
      // Raised-cosine envelope: no clicks at syllable edges.
      const envelope = 0.5 - 0.5 * Math.cos(2 * Math.PI * progress);
      // Each syllable glides ±8 % around the pitch, alternating up and down.
      const glide = 1 + 0.08 * (step % 2 === 0 ? progress - 0.5 : 0.5 - progress);
      phase += (2 * Math.PI * pitchHz * glide) / SAMPLE_RATE;
      let value = 0;
      for (let h = 1; h <= harmonics; h += 1) value += Math.sin(h * phase) / h;
      samples[start + i] = (level * envelope * value) / norm;
    }
    t += (onMs + offMs) / 1000;
    step += 1;
  }
  return samples;
}

export interface FakeAudioFiles {
  /** A low voice (130 Hz). */
  voiceLow: string;
  /** A high voice (210 Hz). */
  voiceHigh: string;
  silence: string;
}

/** Writes the fake microphones into `directory` (created if needed) and returns their paths. */
export function writeFakeAudioFiles(directory: string): FakeAudioFiles {
  mkdirSync(directory, { recursive: true });
  const files: FakeAudioFiles = {
    voiceLow: join(directory, 'voice-130hz.wav'),
    voiceHigh: join(directory, 'voice-210hz.wav'),
    silence: join(directory, 'silence.wav'),
  };
  writeFileSync(files.voiceLow, wavBytes(voice(130)));
  writeFileSync(files.voiceHigh, wavBytes(voice(210)));
  writeFileSync(files.silence, wavBytes(silence(8)));
  return files;
}
