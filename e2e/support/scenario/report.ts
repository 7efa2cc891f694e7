/**
 * A scenario run in words and JSON: one line of figures per judged stream (what QA reads first),
 * and the verdict record the call-verdict reporter prints (verdict.ts).
 */
import type { ScenarioRecord } from '../verdict.ts';
import { describeHop, HOPS, type HopFigures, type StreamFigures } from './judge.ts';
import type { ScenarioResult } from './runScenario.ts';

const fixed = (value: number | null | undefined, digits: number) => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));
const percent = (ratio: number | null) => (ratio === null ? '–' : (ratio * 100).toFixed(1));
const ms = (seconds: number | null) => (seconds === null ? '–' : (seconds * 1000).toFixed(0));

function hopLine(hops: Record<(typeof HOPS)[number], HopFigures>): string {
  const loss = HOPS.map((hop) => percent(hops[hop].loss)).join('/');
  return `loss up/sfu/down ${loss} %, jitter up/down ${ms(hops.uplink.jitterSeconds)}/${ms(hops.downlink.jitterSeconds)} ms, rtt up/down ${ms(hops.uplink.roundTripSeconds)}/${ms(hops.downlink.roundTripSeconds)} ms`;
}

export function streamLine(stream: StreamFigures): string {
  const parts = [`${stream.window}: ${stream.receiver} ← ${stream.sender}`];
  const { video, audio } = stream;
  parts.push(
    video
      ? `video ${fixed(video.framesPerSecond, 1)} fps (sent ${fixed(video.sentFramesPerSecond, 1)}), ${video.browserFreezes ? `${video.browserFreezes.count} freezes (${fixed(video.browserFreezes.seconds, 2)} s; probe ${video.freezeCount}, ${fixed(video.freezeSeconds, 2)} s)` : `${video.freezeCount} freezes (${fixed(video.freezeSeconds, 2)} s, probe)`}, delay p50/p95 ${fixed(video.delayP50Ms, 0)}/${fixed(video.delayP95Ms, 0)} ms, PSNR ${fixed(video.psnrMeanDb, 1)} dB, ${video.newFrames} frames read (${video.unreadable} unreadable, ${video.black} black, ${video.foreign} another's); ${hopLine(stream.hops.video)}`
      : 'video off',
  );
  parts.push(
    audio
      ? `audio ${fixed(audio.levelDb, 1)} dB at ${audio.expectedPitchHz} Hz (strongest ${audio.dominantPitchHz ?? '–'} Hz), loss ${fixed(audio.lossPercent, 1)} %, MOS ${fixed(audio.mos, 2)}; ${hopLine(stream.hops.audio)}`
      : 'audio muted',
  );
  return parts.join(' | ');
}

export function scenarioRecord(name: string, result: ScenarioResult): ScenarioRecord {
  return {
    name,
    pass: result.verdict.pass,
    brokenHops: result.verdict.brokenHops.map(describeHop),
    violations: result.verdict.lines,
    streams: result.streams.map(streamLine),
    injected: result.injected.map((it) => {
      const what =
        it.lossPercent !== undefined
          ? `${it.lossPercent.toFixed(1)} % lost (${it.dropped} packets dropped)`
          : it.meanDelayMs !== undefined
            ? `${it.meanDelayMs.toFixed(1)} ms mean delay (${it.delayedPackets} packets held)`
            : `capped at ${it.rateKbps} kbit/s`;
      return `${it.who}'s ${it.direction}: ${what}`;
    }),
    interruptions: result.interruptions.map(
      (it) => `${it.fault}: ${it.receiver} ← ${it.sender} video back after ${it.seconds === null ? 'never (timed out)' : `${it.seconds.toFixed(2)} s`}`,
    ),
    hostLoad: result.hostLoad.map((load) => `${load.window}: ${(load.busyShare * 100).toFixed(0)} % of ${load.cores} cores busy`),
    fidelity: result.fidelity.map((check) => `${check.ok ? '✓' : '✗'} ${check.label}: ${fixed(check.measured, 1)} ms for ${check.injected} ms injected (± ${fixed(check.tolerance, 1)})`),
  };
}
