/**
 * Real delay (with jitter) on one participant's link, the part of `tc netem` this kernel lacks: the
 * namespace's UDP is queued to netfilter (iptables NFQUEUE with --queue-bypass: OUTPUT for what the
 * browser sends, uplink; INPUT for what it receives, downlink — nftables' own `queue` statement is
 * not in this kernel, the xtables target is) and a small helper, nfdelay.c, holds each packet for
 * the delay before letting it go, keeping order.
 * One helper per direction runs inside the namespace; `set()` changes the delay at once; `stats()`
 * says what was really applied. The helper is compiled on first use (gcc, libnetfilter-queue-dev,
 * installed by the setup) into e2e/.lab. With `bypass`, packets pass undelayed if a helper dies.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { promisify } from 'node:util';
import { E2E_DIR } from '../labInfo.ts';
import type { NetworkNamespace } from './NetworkNamespace.ts';
import type { Direction } from './PacketLoss.ts';

const run = promisify(execFile);
const SOURCE = path.join(E2E_DIR, 'support/impairment/nfdelay/nfdelay.c');
const QUEUES: Record<Direction, number> = { uplink: 1, downlink: 2 };
const CHAINS: Record<Direction, 'OUTPUT' | 'INPUT'> = { uplink: 'OUTPUT', downlink: 'INPUT' };
const ruleOf = (direction: Direction) => [CHAINS[direction], '-p', 'udp', '-j', 'NFQUEUE', '--queue-num', String(QUEUES[direction]), '--queue-bypass'];

export interface DelaySetting {
  delayMs: number;
  /** Standard deviation of a normal spread around the delay (never below 0; order kept). */
  jitterMs?: number;
}

export interface DelayStats {
  /** Packets released since the last set() or stats(). */
  packets: number;
  meanDelayMs: number;
}

/** The helper's binary, compiled once per source version. */
async function helperBinary(): Promise<string> {
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const binary = path.join(E2E_DIR, '.lab', `nfdelay-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(path.dirname(binary), { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  await run('gcc', ['-O2', '-Wall', '-o', partial, SOURCE, '-lnetfilter_queue', '-lm']).catch((error: { stderr?: string }) => {
    throw new Error(`building the delay helper failed (is libnetfilter-queue-dev installed? npm run setup -- --test-tools):\n${error.stderr ?? error}`);
  });
  renameSync(partial, binary);
  return binary;
}

class Helper {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: ((line: string) => void)[] = [];

  constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    this.#lines = createInterface({ input: child.stdout });
    this.#lines.on('line', (line) => this.#waiting.shift()?.(line));
  }

  /** Sends one command (or nothing: the first line, "ready") and returns the helper's answer line. */
  ask(command?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`the delay helper exited (${this.#child.exitCode ?? this.#child.signalCode})`));
      this.#child.once('exit', onExit);
      this.#waiting.push((line) => {
        this.#child.off('exit', onExit);
        resolve(line);
      });
      if (command !== undefined) this.#child.stdin.write(`${command}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    await exited;
  }
}

export class PacketDelay {
  readonly #namespace: NetworkNamespace;
  readonly #helpers: Record<Direction, Helper>;

  private constructor(namespace: NetworkNamespace, helpers: Record<Direction, Helper>) {
    this.#namespace = namespace;
    this.#helpers = helpers;
  }

  /** Starts both helpers in `namespace` and queues its UDP to them (no delay until set()). */
  static async on(namespace: NetworkNamespace, seed = 1): Promise<PacketDelay> {
    const binary = await helperBinary();
    const helpers = {} as Record<Direction, Helper>;
    for (const direction of ['uplink', 'downlink'] as const) {
      const child = spawn('ip', ['netns', 'exec', namespace.name, binary, String(QUEUES[direction]), String(seed)]);
      const helper = new Helper(child);
      const ready = await helper.ask();
      if (ready !== 'ready') throw new Error(`the delay helper did not start: ${ready}`);
      helpers[direction] = helper;
    }
    for (const direction of ['uplink', 'downlink'] as const) await namespace.exec('iptables', ['-A', ...ruleOf(direction)]);
    return new PacketDelay(namespace, helpers);
  }

  async set(direction: Direction, setting: DelaySetting): Promise<void> {
    const { delayMs, jitterMs = 0 } = setting;
    if (!(delayMs >= 0 && jitterMs >= 0)) throw new Error(`delay ${delayMs} ms, jitter ${jitterMs} ms: need values ≥ 0`);
    const answer = await this.#helpers[direction].ask(`set ${delayMs} ${jitterMs}`);
    if (answer !== 'ok') throw new Error(`the delay helper refused the setting: ${answer}`);
  }

  /** No delay, in one direction or both. */
  async clear(direction?: Direction): Promise<void> {
    for (const d of direction ? [direction] : (['uplink', 'downlink'] as const)) await this.set(d, { delayMs: 0 });
  }

  /** The delay really applied since the last set() or stats() call in that direction. */
  async stats(direction: Direction): Promise<DelayStats> {
    const answer = await this.#helpers[direction].ask('stats');
    const match = /^packets (\d+) mean_delay_ms ([\d.]+)$/.exec(answer);
    if (!match) throw new Error(`unexpected answer from the delay helper: ${answer}`);
    return { packets: Number(match[1]), meanDelayMs: Number(match[2]) };
  }

  /** Removes the queueing rules (packets flow undelayed at once), then stops the helpers. */
  async close(): Promise<void> {
    for (const direction of ['uplink', 'downlink'] as const) await this.#namespace.exec('iptables', ['-D', ...ruleOf(direction)]).catch(() => {});
    await Promise.all(Object.values(this.#helpers).map((helper) => helper.stop()));
  }
}
