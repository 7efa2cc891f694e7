/**
 * Call scenarios as data (e2e/scenarios/<set>/*.json, support/scenario): each file is played
 * against the lab with generated media and real packet loss, and its call gets a verdict per stream
 * and hop. A scenario states the verdict it must get: a clean call passes; a negative control (loss
 * injected on one participant's link) must fail and name exactly that link.
 *
 * The sets: `ci` runs in `npm test`, each scenario once; `npm run e2e` (LAB_SCENARIOS=full) adds
 * `full` and runs every scenario as many times as its `runs` says (the negative controls 10 times).
 */
import os from 'node:os';
import path from 'node:path';
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { CALL_TAG } from '../support/verdict.ts';
import { E2E_DIR } from '../support/labInfo.ts';
import { NetworkNamespace } from '../support/impairment/NetworkNamespace.ts';
import { PacketLoss } from '../support/impairment/PacketLoss.ts';
import { DEFAULT_MEDIA_DIR } from '../support/media/fakeMedia.ts';
import { Prometheus } from '../support/prometheus.ts';
import { startLab, type RunningLab } from '../support/startLab.ts';
import { loadScenarios, type Scenario } from '../support/scenario/schema.ts';
import { runScenario, type ImpairedLink } from '../support/scenario/runScenario.ts';
import { scenarioRecord } from '../support/scenario/report.ts';
import { describeHop } from '../support/scenario/judge.ts';
import { attachCallDiagnostics } from '../support/diagnostics.ts';
import { callChartsHtml } from '../support/scenario/callCharts.ts';

const FULL = process.env.LAB_SCENARIOS === 'full';
const scenarios = (FULL ? ['ci', 'full'] : ['ci']).flatMap((set) => loadScenarios(path.join(E2E_DIR, 'scenarios', set)));

/** Launching the browsers, joining, collecting after the last window: on top of the timeline. */
const SETUP_ALLOWANCE_MS = 120_000;

let lab: RunningLab;
let prometheus: Prometheus;
const links: ImpairedLink[] = [];

async function link(n: number): Promise<ImpairedLink> {
  while (links.length <= n) {
    const namespace = await NetworkNamespace.create();
    links.push({ namespace, loss: await PacketLoss.on(namespace) });
  }
  return links[n]!;
}

test.beforeAll(async () => {
  // The SFU listens on the first impaired link's host end: browsers on this machine reach it as a
  // local address, and the other namespaces through their default route to this machine.
  const first = await link(0);
  lab = await startLab({ env: { SFU_RTC_LISTEN_IP: first.namespace.hostAddress, SFU_STATS_INTERVAL_SECONDS: '1' } });
  prometheus = await Prometheus.start([
    { job: 'sfu', url: lab.sfuMetricsUrl },
    { job: 'signaling', url: `${lab.httpUrl}/metrics` },
  ]);
});

test.afterAll(async () => {
  await prometheus?.stop();
  await lab?.stop();
  for (const { namespace } of links) await namespace.close();
});

function timelineSeconds(scenario: Scenario): number {
  const ends = scenario.timeline.map((step) => step.at + (step.do === 'measure' ? step.seconds : 0));
  return Math.max(...ends, ...scenario.impairments.map((impairment) => impairment.to));
}

for (const { scenario } of scenarios) {
  const runs = FULL ? scenario.runs : 1;
  for (let run = 1; run <= runs; run += 1) {
    const title = `scenario ${scenario.name}${runs > 1 ? ` (run ${run} of ${runs})` : ''}: ${scenario.description}`;
    test(title, { tag: CALL_TAG }, async ({ participants, verdict }, testInfo) => {
      const cores = os.cpus().length;
      test.skip(
        scenario.minCores !== undefined && cores < scenario.minCores,
        `${scenario.name} needs ${scenario.minCores} cores for its browsers; this machine has ${cores}, and its verdict would measure the overloaded machine`,
      );
      test.setTimeout(timelineSeconds(scenario) * 1000 + SETUP_ALLOWANCE_MS);
      const room = uniqueRoomId(`scn-${scenario.name}`.slice(0, 40));
      verdict.room(room);
      const result = await runScenario(scenario, {
        lab,
        prometheus,
        participants,
        link,
        mediaDir: DEFAULT_MEDIA_DIR,
        room,
        log: (line) => console.log(`  ${scenario.name}: ${line}`),
        diagnose: (pages) => attachCallDiagnostics(testInfo, { room, logFiles: lab.logFiles, pages }),
      });
      const record = scenarioRecord(scenario.name, result);
      verdict.scenario(record);
      for (const [name, ms] of Object.entries(result.timeToFirstFrameMs)) verdict.participant(name).timeToFirstFrameMs = ms;
      await testInfo.attach('scenario-result', { body: JSON.stringify(result, null, 2), contentType: 'application/json' });
      const charts = await callChartsHtml(prometheus, { name: scenario.name, room, startMs: result.startedAt, endMs: result.endedAt, spans: result.impairmentSpans });
      await testInfo.attach('call-charts', { body: charts, contentType: 'text/html' });

      const summary = [...record.violations, ...record.streams].join('\n');
      if (scenario.expect.verdict === 'pass') {
        expect(result.verdict.pass, `the call should pass:\n${summary}`).toBe(true);
      } else {
        expect(result.verdict.pass, `the negative control should fail:\n${summary}`).toBe(false);
        const named = result.verdict.brokenHops.map(describeHop).sort();
        const expected = scenario.expect.brokenHops.map((hop) => describeHop(hop)).sort();
        expect(named, `the verdict names the broken link, and only it:\n${summary}`).toEqual(expected);
      }
      // Every judged stream had figures from the SFU, so no hop went unjudged.
      for (const stream of result.streams) {
        for (const kind of ['audio', 'video'] as const) {
          if (!stream[kind]) continue;
          for (const hop of ['uplink', 'sfu', 'downlink'] as const) {
            expect(stream.hops[kind][hop].loss, `${stream.sender} → ${stream.receiver} ${kind}: ${hop} loss exported`).not.toBeNull();
          }
        }
      }
      expect(result.streams.length, 'the scenario judged at least one stream').toBeGreaterThan(0);
      if (scenario.fidelity) {
        expect(result.fidelity.length, 'a window inside each delay to check the exported round trip against').toBeGreaterThan(0);
        for (const check of result.fidelity) {
          expect.soft(check.ok, `${check.label}: ${check.measured.toFixed(1)} ms for ${check.injected} ms injected (± ${check.tolerance} ms)`).toBe(true);
        }
      }
    });
  }
}
