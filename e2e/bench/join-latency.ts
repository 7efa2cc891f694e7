/**
 * Join latency: how long a person waits, from clicking Join to seeing the first frame of someone
 * already in the room — 20 joins of a fresh page against the real lab, next to a baseline measured in
 * the same run (two RTCPeerConnections in one page, direct loopback: WebRTC's own cost here).
 *
 *   npm run bench -- join-latency      (from the repository root: setup, then this)
 *
 * Prints each join, p50/p95/min/max, the lab/baseline ratio; writes bench/results/join-latency.json
 * and join-latency.svg (the 20 samples).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { launchOptions } from '../support/browser.ts';
import { CallPage } from '../support/CallPage.ts';
import { E2E_DIR } from '../support/labInfo.ts';
import { startLab, type RunningLab } from '../support/startLab.ts';
import { joinLatencySvg } from '../support/charts.ts';
import { measureLoopbackBaseline } from './loopbackBaseline.ts';
import { summarize, type Summary } from './summary.ts';

const JOINS = 20;
const BASELINE_CALLS = 20;
const FIRST_FRAME_TIMEOUT_MS = 30_000;
const RESULTS_DIR = path.join(E2E_DIR, 'bench/results');

function line(summary: Summary): string {
  return `p50 ${summary.p50} ms, p95 ${summary.p95} ms, min ${summary.min} ms, max ${summary.max} ms (n=${summary.count})`;
}

/**
 * Each join's total (click → first remote frame) and the click → join complete time (own media
 * sent too; the room shows, and remote video may start, before that).
 */
interface LabJoins {
  samples: number[];
  answeredSamples: number[];
}

async function measureLabJoins(lab: RunningLab, browsers: Browser[]): Promise<LabJoins> {
  const room = `bench-join-${Date.now().toString(36)}`;

  // Someone is already in the room, sending video.
  const hostBrowser = await chromium.launch(launchOptions);
  browsers.push(hostBrowser);
  const host = new CallPage(await hostBrowser.newPage(), 'host', lab.httpUrl);
  await host.joinViaForm(room);

  const joinerBrowser = await chromium.launch(launchOptions);
  browsers.push(joinerBrowser);
  const context = await joinerBrowser.newContext();
  const samples: number[] = [];
  const answeredSamples: number[] = [];
  for (let i = 1; i <= JOINS; i++) {
    const joiner = new CallPage(await context.newPage(), `joiner-${i}`, lab.httpUrl);
    await joiner.openForm();
    // The camera preview is running before the click, as it is for a person looking at the form.
    await joiner.page.waitForFunction(() => {
      const video = document.querySelector<HTMLVideoElement>('[data-testid="local-video"]');
      return !!video && video.readyState >= 2;
    });
    await joiner.submitJoinForm(room);
    await joiner.page.waitForFunction(() => window.__lab?.timings.firstRemoteFrameAt != null, undefined, {
      timeout: FIRST_FRAME_TIMEOUT_MS,
    });
    const ms = await joiner.timeToFirstFrameMs();
    await joiner.page.waitForFunction(() => window.__lab?.timings.joinedAt != null);
    const { joinStartedAt, joinedAt } = await joiner.timings();
    if (ms === null || joinStartedAt === null || joinedAt === null) throw new Error(`join ${i}: no timing recorded`);
    const answeredMs = Math.round(joinedAt - joinStartedAt);
    samples.push(ms);
    answeredSamples.push(answeredMs);
    console.log(`join ${i}/${JOINS}: ${ms} ms (join complete after ${answeredMs} ms)`);

    // Leave and wait until the host has dropped the tile, so every join starts from the same room.
    await joiner.leaveButton.click();
    await joiner.page.waitForFunction(() => window.__lab?.state === 'left');
    await joiner.page.close();
    await host.page.waitForFunction(() => (window.__lab?.participants().length ?? -1) === 0);
  }
  return { samples, answeredSamples };
}

async function main(): Promise<void> {
  console.log('starting the lab (SFU + signaling) …');
  const lab = await startLab();
  const browsers: Browser[] = [];
  try {
    console.log(`lab up at ${lab.httpUrl}; ${JOINS} joins into a room where one participant sends video`);
    const { samples: labSamples, answeredSamples } = await measureLabJoins(lab, browsers);

    console.log(`baseline: ${BASELINE_CALLS} direct loopback calls (two RTCPeerConnections in one page)`);
    const baselineBrowser = await chromium.launch(launchOptions);
    browsers.push(baselineBrowser);
    const baselineSamples = await measureLoopbackBaseline(await baselineBrowser.newPage(), lab.httpUrl, BASELINE_CALLS);
    const chromiumVersion = baselineBrowser.version();

    const labSummary = summarize(labSamples);
    const answeredSummary = summarize(answeredSamples);
    const baselineSummary = summarize(baselineSamples);
    const ratio = Math.round((labSummary.p50 / baselineSummary.p50) * 100) / 100;
    console.log(`\nlab      join click → first remote frame: ${line(labSummary)}`);
    console.log(`  click → join complete (own media sent): ${line(answeredSummary)}`);
    console.log(`baseline createOffer → first presented frame: ${line(baselineSummary)}`);
    console.log(`ratio lab/baseline (p50): ${ratio}×`);

    mkdirSync(RESULTS_DIR, { recursive: true });
    const result = {
      benchmark: 'join-latency',
      measuredAt: new Date().toISOString(),
      machine: { cpus: os.availableParallelism(), node: process.version, chromium: chromiumVersion },
      lab: { what: 'join click → first presented remote frame (window.__lab.timings)', samplesMs: labSamples, ...labSummary },
      labJoinComplete: { what: 'join click → join complete, own media sent (window.__lab.timings.joinedAt)', samplesMs: answeredSamples, ...answeredSummary },
      baseline: {
        what: 'two RTCPeerConnections in one page, loopback, fake camera: createOffer → first presented frame',
        samplesMs: baselineSamples,
        ...baselineSummary,
      },
      ratioP50: ratio,
    };
    const jsonFile = path.join(RESULTS_DIR, 'join-latency.json');
    const svgFile = path.join(RESULTS_DIR, 'join-latency.svg');
    writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(
      svgFile,
      joinLatencySvg({
        title: `Join latency, ${JOINS} joins (lab p50 ${labSummary.p50} ms = ${ratio}× loopback baseline)`,
        samplesMs: labSamples,
        labP50: labSummary.p50,
        baselineP50: baselineSummary.p50,
      }),
    );
    console.log(`results: ${path.relative(process.cwd(), jsonFile)}, chart: ${path.relative(process.cwd(), svgFile)}`);
  } finally {
    await Promise.all(browsers.map((browser) => browser.close()));
    await lab.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
