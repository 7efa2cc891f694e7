/**
 * A real Prometheus (Debian's package, installed by the setup) scraping the running lab: its own
 * config, data directory and free port, the repository's recording and alert rules loaded, stopped
 * and removed afterwards. Queries go through its HTTP API, as Grafana's would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lab.mjs';
import { REPO_ROOT } from './labInfo.ts';

export const PROMETHEUS_PATH = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
const RULES_DIR = path.join(REPO_ROOT, 'dashboards/prometheus/rules');
const READY_TIMEOUT_MS = 30_000;

export interface ScrapeTarget {
  /** The `job` label, as in dashboards/prometheus/prometheus.yml (`sfu`, `signaling`). */
  job: string;
  /** A metrics URL, e.g. http://127.0.0.1:9464/metrics. */
  url: string;
}

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export class Prometheus {
  private constructor(
    readonly url: string,
    readonly child: ChildProcess,
    readonly dir: string,
    readonly output: string[],
  ) {}

  /** Starts Prometheus scraping `targets` every `scrapeSeconds` with the repository's rules. */
  static async start(targets: ScrapeTarget[], options: { scrapeSeconds?: number } = {}): Promise<Prometheus> {
    const scrape = `${options.scrapeSeconds ?? 1}s`;
    const dir = mkdtempSync(path.join(tmpdir(), 'lab-prometheus-'));
    const config = [
      'global:',
      `  scrape_interval: ${scrape}`,
      `  evaluation_interval: ${scrape}`,
      'rule_files:',
      `  - ${path.join(RULES_DIR, '*.yml')}`,
      'scrape_configs:',
      ...targets.flatMap(({ job, url }) => {
        const { host, pathname } = new URL(url);
        return [`  - job_name: ${job}`, `    metrics_path: ${pathname}`, '    static_configs:', `      - targets: ['${host}']`];
      }),
    ].join('\n');
    writeFileSync(path.join(dir, 'prometheus.yml'), `${config}\n`);
    const port = await freePort();
    const child = spawn(
      PROMETHEUS_PATH,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // The lab's tests query seconds-old samples; the default 5 min lookback would also be fine,
        // but stale series (a peer that left) must vanish quickly from instant queries.
        '--query.lookback-delta=30s',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const prometheus = new Prometheus(`http://127.0.0.1:${port}`, child, dir, output);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output.join('').slice(-2000)}`);
      const ready = await fetch(`${prometheus.url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) return prometheus;
      if (Date.now() > deadline) {
        await prometheus.stop();
        throw new Error(`prometheus not ready after ${READY_TIMEOUT_MS / 1000} s:\n${output.join('').slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * An instant query, now or at `atSeconds` (Unix time); throws with Prometheus' own error text when
   * the query is invalid.
   */
  async query(expr: string, atSeconds?: number): Promise<PromSeries[]> {
    const params = new URLSearchParams({ query: expr, ...(atSeconds === undefined ? {} : { time: String(atSeconds) }) });
    const response = await fetch(`${this.url}/api/v1/query?${params}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
    if (body.status !== 'success') throw new Error(`query failed: ${body.error ?? response.status}: ${expr}`);
    const { resultType, result } = body.data!;
    // A scalar (e.g. `time()`) counts as one series.
    return resultType === 'scalar' ? [{ metric: {}, value: result as [number, string] }] : (result as PromSeries[]);
  }

  /** A range query: each series' [Unix seconds, value] samples from `start` to `end` every `stepSeconds`. */
  async queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<{ metric: Record<string, string>; values: [number, string][] }[]> {
    const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(stepSeconds) });
    const response = await fetch(`${this.url}/api/v1/query_range?${params}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
    if (body.status !== 'success') throw new Error(`range query failed: ${body.error ?? response.status}: ${expr}`);
    return body.data!.result;
  }

  /** Every target's last scrape succeeded. */
  async targetsUp(): Promise<boolean> {
    const response = await fetch(`${this.url}/api/v1/targets`);
    const body = (await response.json()) as { data: { activeTargets: { health: string }[] } };
    return body.data.activeTargets.length > 0 && body.data.activeTargets.every((target) => target.health === 'up');
  }

  /** The rules Prometheus loaded, with their last evaluation's health. */
  async ruleHealth(): Promise<{ name: string; health: string; lastError?: string }[]> {
    const response = await fetch(`${this.url}/api/v1/rules`);
    const body = (await response.json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    return body.data.groups.flatMap((group) => group.rules);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
