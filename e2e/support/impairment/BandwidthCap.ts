/**
 * A bandwidth cap on one participant's link: a token-bucket qdisc (`tc … tbf`, which this kernel has)
 * on the device the traffic leaves by — the namespace's end of the veth for the uplink, this
 * machine's end for the downlink. Packets over the rate wait in the bucket's queue (up to
 * LATENCY_MS), then are dropped, as on a real bottleneck link.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NetworkNamespace } from './NetworkNamespace.ts';
import type { Direction } from './PacketLoss.ts';

const run = promisify(execFile);
/** Queueing allowed before the bucket drops: a typical access link's buffer. */
const LATENCY_MS = 200;
/** The bucket: 32 kbit lets a full-size video packet through at any rate set here. */
const BURST = '32kbit';

export class BandwidthCap {
  readonly #namespace: NetworkNamespace;
  readonly #capped = new Set<Direction>();

  constructor(namespace: NetworkNamespace) {
    this.#namespace = namespace;
  }

  #tc(direction: Direction, args: string[]): Promise<unknown> {
    return direction === 'uplink'
      ? this.#namespace.exec('tc', ['qdisc', ...args.map((arg) => (arg === '<dev>' ? this.#namespace.device : arg))])
      : run('tc', ['qdisc', ...args.map((arg) => (arg === '<dev>' ? this.#namespace.hostDevice : arg))]);
  }

  async set(direction: Direction, kbps: number): Promise<void> {
    if (!(Number.isFinite(kbps) && kbps >= 8)) throw new Error(`a bandwidth cap of ${kbps} kbit/s: need at least 8`);
    await this.#tc(direction, ['replace', 'dev', '<dev>', 'root', 'tbf', 'rate', `${Math.round(kbps)}kbit`, 'burst', BURST, 'latency', `${LATENCY_MS}ms`]);
    this.#capped.add(direction);
  }

  /** No cap, in one direction or both. */
  async clear(direction?: Direction): Promise<void> {
    for (const d of direction ? [direction] : [...this.#capped]) {
      if (!this.#capped.delete(d)) continue;
      await this.#tc(d, ['del', 'dev', '<dev>', 'root']).catch(() => {});
    }
  }
}
