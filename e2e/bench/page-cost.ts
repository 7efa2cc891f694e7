/**
 * Page cost of the connection details: the call page's main-thread time per second in a 6-party
 * call with one tile's details panel open (it reads that person's stats every second and redraws
 * the table), against the same page in the same call with the panel closed (the indicators alone,
 * each reading its person's stats every 2 s) — measured in the same run, alternating closed / open
 * windows so that the machine's drift falls on both.
 *
 *   npm run bench -- page-cost      (from the repository root: setup, then this)
 *
 * Figures: Chromium's own accounting over CDP (Performance.getMetrics): TaskDuration (all main-thread
 * tasks: script, style, layout, paint) and ScriptDuration, as seconds of main thread per second of
 * wall time, i.e. the share of one core. Prints a table per window, the means and the open/closed
 * ratio; writes bench/results/page-cost.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type CDPSession } from '@playwright/test';
import { launchOptions } from '../support/browser.ts';
import { CallPage } from '../support/CallPage.ts';
import { E2E_DIR } from '../support/labInfo.ts';
import { startLab } from '../support/startLab.ts';

/** The call's size; PAGE_COST_PARTIES overrides it (a machine too busy for six browsers). */
const PARTIES = Number(process.env.PAGE_COST_PARTIES ?? 6);
if (!Number.isInteger(PARTIES) || PARTIES < 2) throw new Error(`PAGE_COST_PARTIES must be a whole number >= 2, got ${process.env.PAGE_COST_PARTIES}`);
/** Long enough for 20 panel refreshes and 10 indicator readings per tile. */
const WINDOW_MS = 20_000;
/** closed, open, closed, open … */
const WINDOWS = 4;
/** After the last join and after each panel toggle, before measuring. */
const SETTLE_MS = 5_000;
const JOIN_TIMEOUT_MS = 120_000;
const RESULTS_DIR = path.join(E2E_DIR, 'bench/results');

type Metrics = { Timestamp: number; TaskDuration: number; ScriptDuration: number };

async function metrics(cdp: CDPSession): Promise<Metrics> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  const value = (name: string) => list.find((metric) => metric.name === name)?.value ?? Number.NaN;
  return { Timestamp: value('Timestamp'), TaskDuration: value('TaskDuration'), ScriptDuration: value('ScriptDuration') };
}

interface WindowResult {
  panel: 'closed' | 'open';
  seconds: number;
  /** Seconds of main thread per second. */
  taskPerSecond: number;
  scriptPerSecond: number;
}

async function measureWindow(cdp: CDPSession, panel: 'closed' | 'open'): Promise<WindowResult> {
  const before = await metrics(cdp);
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const after = await metrics(cdp);
  const seconds = after.Timestamp - before.Timestamp;
  return {
    panel,
    seconds: round(seconds, 1),
    taskPerSecond: (after.TaskDuration - before.TaskDuration) / seconds,
    scriptPerSecond: (after.ScriptDuration - before.ScriptDuration) / seconds,
  };
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const ms = (secondsPerSecond: number) => `${(secondsPerSecond * 1000).toFixed(1)} ms/s`;

async function main(): Promise<void> {
  console.log('starting the lab (SFU + signaling) …');
  const lab = await startLab();
  const browsers: Browser[] = [];
  try {
    const room = `bench-page-cost-${Date.now().toString(36)}`;
    const pages: CallPage[] = [];
    for (let i = 1; i <= PARTIES; i++) {
      const browser = await chromium.launch(launchOptions);
      browsers.push(browser);
      const page = new CallPage(await browser.newPage({ viewport: { width: 1100, height: 720 } }), `p${i}`, lab.httpUrl);
      // Through the form, as a person joins (a link carries the room only). A sixth Chromium on two
      // cores joins slowly: wait longer than the suite's 30 s.
      await page.openForm();
      await page.submitJoinForm(room);
      await page.page.waitForFunction(() => window.__lab?.state === 'joined', undefined, { timeout: JOIN_TIMEOUT_MS });
      pages.push(page);
      console.log(`${page.name} joined`);
    }
    const observer = pages[0]!;
    const watched = pages[1]!;
    await observer.page.waitForFunction((count) => document.querySelectorAll('[data-testid="participant-tile"]').length === count, PARTIES - 1);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

    const cdp = await observer.page.context().newCDPSession(observer.page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    const button = observer.tileOf(watched).getByTestId('connection-details-button');
    const results: WindowResult[] = [];
    for (let i = 0; i < WINDOWS; i++) {
      const panel = i % 2 === 0 ? 'closed' : 'open';
      const expanded = (await button.getAttribute('aria-expanded')) === 'true';
      if ((panel === 'open') !== expanded) {
        // The open panel covers the tile (and its button): it is closed as a person would, with Escape.
        if (expanded) await observer.page.keyboard.press('Escape');
        else await button.click();
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      }
      const result = await measureWindow(cdp, panel);
      results.push(result);
      console.log(`window ${i + 1}/${WINDOWS} (panel ${panel}): task ${ms(result.taskPerSecond)}, script ${ms(result.scriptPerSecond)}`);
    }

    const of = (panel: 'closed' | 'open') => results.filter((result) => result.panel === panel);
    const closedTask = mean(of('closed').map((r) => r.taskPerSecond));
    const openTask = mean(of('open').map((r) => r.taskPerSecond));
    const closedScript = mean(of('closed').map((r) => r.scriptPerSecond));
    const openScript = mean(of('open').map((r) => r.scriptPerSecond));
    console.log(`\nmain-thread time per second of the observer page, ${PARTIES}-party call (${WINDOW_MS / 1000} s windows):`);
    console.log('| window | panel  | task (all main-thread work) | script |');
    console.log('|--------|--------|-----------------------------|--------|');
    results.forEach((r, i) => console.log(`| ${i + 1}      | ${r.panel.padEnd(6)} | ${ms(r.taskPerSecond).padEnd(27)} | ${ms(r.scriptPerSecond)} |`));
    console.log(`| mean   | closed | ${ms(closedTask).padEnd(27)} | ${ms(closedScript)} |`);
    console.log(`| mean   | open   | ${ms(openTask).padEnd(27)} | ${ms(openScript)} |`);
    console.log(`ratio open/closed: task ${round(openTask / closedTask, 2)}×, script ${round(openScript / closedScript, 2)}×`);
    console.log(`added by the open panel: task ${ms(openTask - closedTask)}, script ${ms(openScript - closedScript)}`);

    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, 'page-cost.json');
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          benchmark: 'page-cost',
          measuredAt: new Date().toISOString(),
          machine: { cpus: os.availableParallelism(), loadAverage: os.loadavg().map((value) => round(value, 2)), node: process.version, chromium: browsers[0]!.version() },
          what: 'main-thread seconds per second of one page (CDP Performance.getMetrics TaskDuration / ScriptDuration deltas) in a 6-party call; one tile\'s connection details panel open vs closed, alternating windows',
          windows: results.map((r) => ({ ...r, taskPerSecond: round(r.taskPerSecond, 4), scriptPerSecond: round(r.scriptPerSecond, 4) })),
          closed: { taskPerSecond: round(closedTask, 4), scriptPerSecond: round(closedScript, 4) },
          open: { taskPerSecond: round(openTask, 4), scriptPerSecond: round(openScript, 4) },
          ratio: { task: round(openTask / closedTask, 3), script: round(openScript / closedScript, 3) },
        },
        null,
        2,
      )}\n`,
    );
    console.log(`results: ${path.relative(process.cwd(), file)}`);
  } finally {
    await Promise.all(browsers.map((browser) => browser.close()));
    await lab.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
