/**
 * Packet loss: how one participant's video fares when packets are really dropped on its link
 * (network namespace + nftables, support/impairment), through the SFU and, as the baseline in the
 * same run, between the same two browsers calling each other directly. Per condition, one 20 s
 * window: frames sent and decoded, freezes and time frozen, packets resent, key frames requested;
 * then the freeze after one gap nothing can repair (the packet and every resend of it dropped).
 *
 *   npm run bench -- packet-loss          (from the repository root: setup, then this)
 *   MEDIASOUP_WORKER_BIN=/path/to/worker npm run bench -- packet-loss    (another worker build)
 *
 * Needs root (network namespaces). Prints each window as it is measured; writes
 * bench/results/packet-loss.json, packet-loss-decoded.svg and packet-loss-frozen.svg.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { mediasoupWorkerBin } from '../../scripts/lab.mjs';
import { launchOptions, launchOptionsIn } from '../support/browser.ts';
import { CallPage } from '../support/CallPage.ts';
import { DirectCall } from '../support/DirectCall.ts';
import { NetworkNamespace } from '../support/impairment/NetworkNamespace.ts';
import { PacketLoss } from '../support/impairment/PacketLoss.ts';
import {
  directVideoEnds,
  joinPairAndWaitForVideo,
  measureUnderLoss,
  measureUnrepairableGap,
  randomLoss,
  sfuVideoEnds,
  type LossCondition,
} from '../support/impairment/underLoss.ts';
import { E2E_DIR } from '../support/labInfo.ts';
import { startLab } from '../support/startLab.ts';
import type { WindowFigures } from '../support/verdict.ts';
import { formatVideoWindow, type VideoEnds } from '../support/videoWindow.ts';
import { groupedBarsSvg } from '../support/charts.ts';

const WINDOW_MS = 20_000;
const GAP_WINDOW_MS = 8_000;
const RESULTS_DIR = path.join(E2E_DIR, 'bench/results');

const CONDITIONS: LossCondition[] = [
  randomLoss('uplink', 5),
  randomLoss('uplink', 10),
  randomLoss('uplink', 20),
  {
    label: 'uplink bursts of 3 (3%)',
    direction: 'uplink',
    rules: [{ loss: { kind: 'burst', length: 3, every: 100 } }],
    nominalLossPercent: 3,
  },
  randomLoss('downlink', 10),
  randomLoss('downlink', 20),
];
const GAP_LABEL = 'unrepairable gap';

type Path = 'sfu' | 'direct';
type Results = Record<Path, Record<string, WindowFigures>>;

/** Measures every condition, then the unrepairable gap, on one path; prints each as it finishes. */
async function measurePath(name: Path, loss: PacketLoss, ends: Record<'uplink' | 'downlink', VideoEnds>): Promise<Record<string, WindowFigures>> {
  const results: Record<string, WindowFigures> = {};
  for (const [i, condition] of CONDITIONS.entries()) {
    process.stdout.write(`[${name}] ${i + 1}/${CONDITIONS.length + 1} ${condition.label} (${WINDOW_MS / 1000} s) … `);
    const figures = await measureUnderLoss(loss, condition, ends[condition.direction], WINDOW_MS);
    results[condition.label] = figures;
    console.log(`${formatVideoWindow(figures)} [${(figures.injectedLossPercent ?? 0).toFixed(1)}% injected]`);
  }
  process.stdout.write(`[${name}] ${CONDITIONS.length + 1}/${CONDITIONS.length + 1} ${GAP_LABEL} (${GAP_WINDOW_MS / 1000} s) … `);
  results[GAP_LABEL] = await measureUnrepairableGap(loss, ends.uplink, GAP_WINDOW_MS);
  console.log(`${formatVideoWindow(results[GAP_LABEL])} [${results[GAP_LABEL].droppedPackets} packets dropped]`);
  return results;
}

function table(results: Results): string {
  const rows = [...CONDITIONS.map((c) => c.label), GAP_LABEL].map((label) => {
    const cell = (f: WindowFigures) =>
      `${f.framesDecoded}/${f.framesSent} (${(f.decodedRatio * 100).toFixed(1)}%) · ${f.freezeCount} frz ${f.freezeSeconds.toFixed(2)} s`;
    return `| ${label} | ${(results.sfu[label]!.injectedLossPercent ?? 0).toFixed(1)}% | ${cell(results.sfu[label]!)} | ${cell(results.direct[label]!)} |`;
  });
  return [
    '| condition | injected (SFU run) | via the SFU: decoded / sent · freezes | direct call: decoded / sent · freezes |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const workerBin = mediasoupWorkerBin();
  if (!workerBin) throw new Error('no mediasoup worker binary (set MEDIASOUP_WORKER_BIN or run the setup)');
  const namespace = await NetworkNamespace.create();
  const browsers: Browser[] = [];
  let stopLab = async () => {};
  try {
    const loss = await PacketLoss.on(namespace);
    console.log(`starting the lab (SFU + signaling; media on ${namespace.hostAddress}), worker ${workerBin} …`);
    const lab = await startLab({ env: { SFU_RTC_LISTEN_IP: namespace.hostAddress, MEDIASOUP_WORKER_BIN: workerBin } });
    stopLab = lab.stop;
    const impairedOrigin = namespace.originOnLink(lab.httpUrl);
    const aliceBrowser = await chromium.launch(launchOptionsIn(namespace, impairedOrigin));
    const bobBrowser = await chromium.launch(launchOptions);
    browsers.push(aliceBrowser, bobBrowser);
    const alice = new CallPage(await aliceBrowser.newPage(), 'alice', impairedOrigin);
    const bob = new CallPage(await bobBrowser.newPage(), 'bob', lab.httpUrl);
    console.log('alice: in the namespace, her link impaired; bob: on this machine');

    const results = {} as Results;
    const { impairedId, otherId } = await joinPairAndWaitForVideo(`bench-loss-${Date.now().toString(36)}`, alice, bob);
    results.sfu = await measurePath('sfu', loss, { uplink: sfuVideoEnds(alice, bob, impairedId), downlink: sfuVideoEnds(bob, alice, otherId) });
    await alice.leaveButton.click();
    await bob.leaveButton.click();

    const call = await DirectCall.connect({ page: alice.page, origin: impairedOrigin }, { page: bob.page, origin: lab.httpUrl });
    results.direct = await measurePath('direct', loss, { uplink: directVideoEnds(call, alice, bob), downlink: directVideoEnds(call, bob, alice) });
    await call.close();

    console.log(`\n${table(results)}\n`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const labels = [...CONDITIONS.map((c) => c.label), GAP_LABEL];
    const series = [
      { name: 'via the SFU', color: '#4f8cff' },
      { name: 'direct call', color: '#2b8a3e' },
    ];
    const jsonFile = path.join(RESULTS_DIR, 'packet-loss.json');
    writeFileSync(
      jsonFile,
      `${JSON.stringify(
        {
          benchmark: 'packet-loss',
          measuredAt: new Date().toISOString(),
          machine: { cpus: os.availableParallelism(), node: process.version, chromium: aliceBrowser.version() },
          mediasoupWorker: workerBin,
          windowSeconds: { condition: WINDOW_MS / 1000, unrepairableGap: GAP_WINDOW_MS / 1000 },
          conditions: CONDITIONS,
          results,
        },
        null,
        2,
      )}\n`,
    );
    const decodedSvg = path.join(RESULTS_DIR, 'packet-loss-decoded.svg');
    writeFileSync(
      decodedSvg,
      groupedBarsSvg({
        title: `Frames decoded of those sent, the impaired direction (${WINDOW_MS / 1000} s per condition; gap: ${GAP_WINDOW_MS / 1000} s)`,
        yLabel: '% of frames sent that were decoded',
        groups: labels.map((label) => ({ label, values: [results.sfu[label]!.decodedRatio * 100, results.direct[label]!.decodedRatio * 100] })),
        series,
        format: (v) => `${v.toFixed(0)}%`,
        yMax: 100,
      }),
    );
    const frozenSvg = path.join(RESULTS_DIR, 'packet-loss-frozen.svg');
    writeFileSync(
      frozenSvg,
      groupedBarsSvg({
        title: `Time frozen per window, the impaired direction (${WINDOW_MS / 1000} s per condition; gap: ${GAP_WINDOW_MS / 1000} s)`,
        yLabel: 'seconds frozen (receiver stats)',
        groups: labels.map((label) => ({ label, values: [results.sfu[label]!.freezeSeconds, results.direct[label]!.freezeSeconds] })),
        series,
        format: (v) => `${v.toFixed(2)} s`,
      }),
    );
    console.log(`results: ${path.relative(process.cwd(), jsonFile)}; charts: ${path.relative(process.cwd(), decodedSvg)}, ${path.relative(process.cwd(), frozenSvg)}`);
  } finally {
    await Promise.all(browsers.map((browser) => browser.close()));
    await stopLab();
    await namespace.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
