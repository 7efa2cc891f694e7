/**
 * Prints QA's verdict per call after each test — PASS/FAIL plus the figures the test measured
 * (see verdict.ts) — and writes them all to test-results/call-verdicts.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { FullConfig, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { CALL_TAG, VERDICT_ATTACHMENT, type VerdictData } from './verdict.ts';
import { formatVideoWindow } from './videoWindow.ts';

interface CallRecord {
  call: string;
  file: string;
  verdict: 'PASS' | 'FAIL';
  status: TestResult['status'];
  durationMs: number;
  error?: string;
  figures: VerdictData | null;
}

export default class VerdictReporter implements Reporter {
  #records: CallRecord[] = [];
  #outFile = 'call-verdicts.json';

  onBegin(config: FullConfig): void {
    const outputDir = config.projects[0]?.outputDir ?? path.join(config.rootDir, 'test-results');
    this.#outFile = path.join(outputDir, 'call-verdicts.json');
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    // Only tests that hold a call get a call verdict (see CALL_TAG).
    if (!test.tags.includes(CALL_TAG)) return;
    const attachment = result.attachments.find((a) => a.name === VERDICT_ATTACHMENT && a.body);
    const figures = attachment?.body ? (JSON.parse(attachment.body.toString('utf8')) as VerdictData) : null;
    const record: CallRecord = {
      call: test.titlePath().slice(2).join(' › '),
      file: path.basename(test.location.file),
      verdict: result.status === 'passed' ? 'PASS' : 'FAIL',
      status: result.status,
      durationMs: result.duration,
      // Playwright colours its messages; the JSON file and CI logs want plain text.
      error: result.error?.message === undefined ? undefined : stripVTControlCharacters(result.error.message).split('\n')[0],
      figures,
    };
    this.#records.push(record);
    process.stdout.write(`${formatRecord(record)}\n`);
  }

  onEnd(): void {
    mkdirSync(path.dirname(this.#outFile), { recursive: true });
    writeFileSync(this.#outFile, JSON.stringify(this.#records, null, 2));
    const failed = this.#records.filter((r) => r.verdict === 'FAIL').length;
    process.stdout.write(
      `\nCALL VERDICTS: ${this.#records.length - failed} pass, ${failed} fail — ${path.relative(process.cwd(), this.#outFile)}\n`,
    );
  }

  printsToStdio(): boolean {
    return true;
  }
}

function formatRecord(record: CallRecord): string {
  const lines = [`\nCALL VERDICT ${record.verdict}: ${record.call} (${record.file}, ${(record.durationMs / 1000).toFixed(1)} s)`];
  if (record.error) lines.push(`  error: ${record.error}`);
  const figures = record.figures;
  // A call test that failed in a fixture (or whose worker died) may have no figures at all.
  if (!figures) lines.push('  no figures recorded');
  else {
    if (figures.room) lines.push(`  room: ${figures.room}`);
    for (const [name, p] of Object.entries(figures.participants)) {
      const firstFrame = p.timeToFirstFrameMs == null ? '' : `first remote frame ${p.timeToFirstFrameMs} ms after the join click`;
      const received = Object.entries(p.receivedFrom)
        .map(
          ([from, f]) =>
            `from ${from}: ${f.framesDecoded} frames decoded (${f.framesPerSecond.toFixed(0)} fps, ${f.videoPacketsLost} video pkts lost), ` +
            `${f.audioPacketsReceived} audio pkts (${f.audioPacketsLost} lost)`,
        )
        .join('; ');
      lines.push(`  ${name}: ${[firstFrame, received].filter(Boolean).join(' | ')}`);
    }
    for (const [label, ms] of Object.entries(figures.timings)) lines.push(`  ${label}: ${ms} ms`);
    for (const [label, { value, unit }] of Object.entries(figures.figures)) lines.push(`  ${label}: ${Number(value.toPrecision(3))} ${unit}`);
    if (figures.scenario) {
      const { scenario } = figures;
      lines.push(`  scenario ${scenario.name}: ${scenario.pass ? 'PASS' : 'FAIL'}${scenario.brokenHops.length ? ` — broken: ${scenario.brokenHops.join(', ')}` : ''}`);
      for (const line of scenario.violations) lines.push(`    ✗ ${line}`);
      for (const line of scenario.streams) lines.push(`    ${line}`);
      for (const line of scenario.injected) lines.push(`    injected: ${line}`);
      for (const line of scenario.fidelity) lines.push(`    fidelity: ${line}`);
      for (const line of scenario.hostLoad) lines.push(`    host CPU: ${line}`);
      for (const line of scenario.interruptions) lines.push(`    interruption: ${line}`);
    }
    for (const [label, w] of Object.entries(figures.windows)) {
      const injected =
        w.injectedLossPercent === undefined ? '' : ` [${w.injectedLossPercent.toFixed(1)}% injected: ${w.droppedPackets ?? 0} packets dropped]`;
      lines.push(`  ${label}: ${formatVideoWindow(w)}${injected}`);
    }
  }
  return lines.join('\n');
}
