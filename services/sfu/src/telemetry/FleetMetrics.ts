/**
 * Fleet-level quality and cost, without per-peer labels (docs/metrics.md "SFU, fleet level"): the
 * distribution of every consumer's jitter, RTT and loss at each stats collection, each worker
 * process's CPU time, and what one collection costs. Stays bounded whatever the number of streams,
 * so it is what a large deployment alerts on when per-stream series are capped or off.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ConsumerFigures } from './streamFigures.ts';

/** Jitter and RTT worth telling apart: a few ms on a LAN, tens on the Internet, hundreds when broken. */
const TIME_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1];
/** Loss ratios around the thresholds that matter for calls (1%, 2%, 5%, 10%). */
const LOSS_BUCKETS = [0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1];
/** One collection walks every stream: milliseconds for a few, about a second for thousands. */
const COLLECTION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class FleetMetrics {
  readonly #jitter: Histogram<'kind'>;
  readonly #rtt: Histogram<'kind'>;
  readonly #loss: Histogram<'kind'>;
  readonly #cpu: Counter<'worker'>;
  readonly #collection: Histogram;
  /** Last CPU reading per slot, with the pid it belongs to (a replacement worker starts at 0). */
  readonly #lastCpu = new Map<number, { pid: number; seconds: number }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.#jitter = new Histogram({
      name: 'sfu_fleet_consumer_jitter_seconds',
      help: "Every consumer's jitter (subscriber RTCP receiver reports) at every stats collection.",
      labelNames: ['kind'] as const,
      buckets: TIME_BUCKETS,
      registers,
    });
    this.#rtt = new Histogram({
      name: 'sfu_fleet_consumer_round_trip_time_seconds',
      help: "Every consumer's round-trip time at every stats collection.",
      labelNames: ['kind'] as const,
      buckets: TIME_BUCKETS,
      registers,
    });
    this.#loss = new Histogram({
      name: 'sfu_fleet_consumer_fraction_lost_ratio',
      help: "Every consumer's fraction lost (downlink, 0..1) at every stats collection.",
      labelNames: ['kind'] as const,
      buckets: LOSS_BUCKETS,
      registers,
    });
    this.#cpu = new Counter({
      name: 'sfu_worker_cpu_seconds_total',
      help: 'CPU time (user + system) of each mediasoup worker process, by its slot in the pool.',
      labelNames: ['worker'] as const,
      registers,
    });
    this.#collection = new Histogram({
      name: 'sfu_stats_collection_duration_seconds',
      help: "One collection of every stream's stats (all getStats() calls of one round).",
      buckets: COLLECTION_BUCKETS,
      registers,
    });
  }

  consumer(kind: string, figures: ConsumerFigures): void {
    if (figures.jitterSeconds !== undefined) this.#jitter.observe({ kind }, figures.jitterSeconds);
    if (figures.roundTripTimeSeconds !== undefined) this.#rtt.observe({ kind }, figures.roundTripTimeSeconds);
    this.#loss.observe({ kind }, figures.fractionLost);
  }

  /** A worker's cumulative CPU time; the counter grows by what it used since the last reading. */
  workerCpu(slot: number, pid: number, seconds: number): void {
    const last = this.#lastCpu.get(slot);
    const since = last && last.pid === pid ? last.seconds : 0;
    this.#lastCpu.set(slot, { pid, seconds });
    this.#cpu.inc({ worker: String(slot) }, Math.max(0, seconds - since));
  }

  collectionTook(seconds: number): void {
    this.#collection.observe(seconds);
  }
}
