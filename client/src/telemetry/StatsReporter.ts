/**
 * The page's share of the lab's measurements: while in a call it sends signaling a compact
 * getStats() sample every few seconds (`reportStats`; docs/metrics.md, "Browser-reported"), which
 * signaling exports next to what the SFU sees of the same streams. The figures are read by the same
 * functions as window.__lab's (@lab/proto/rtc-stats). Reporting must never break a call: a sample
 * that cannot be read or sent is logged, and the next one goes out as planned.
 */
import {
  MAX_REPORTED_STREAMS,
  STATS_SAMPLE_VERSION,
  type MediaKind,
  type MediaSource,
  type StatsSample,
} from '@lab/proto/signaling';
import { inboundStreamStats, qualityLimitationReason, selectedCandidatePairStats } from '@lab/proto/rtc-stats';
import { statsOf, type StatsProvider } from '../media/statsOf.ts';

/**
 * How often the page reports. The server takes one sample per 2 s at most
 * (MIN_STATS_REPORT_INTERVAL_MS); every 5 s is what a dashboard needs, at a small cost per peer.
 */
export const STATS_REPORT_INTERVAL_MS = 5000;

/** What the call has now, to read a sample from (mediasoup-client's Consumers, Producers and Transports). */
export interface StatsSources {
  /** The consumers, by the id the server gave them. */
  consumers(): Iterable<StatsProvider & { readonly id: string; readonly kind: MediaKind }>;
  producers(): Iterable<readonly [MediaSource, StatsProvider & { readonly kind: MediaKind }]>;
  transports(): { send?: StatsProvider; recv?: StatsProvider };
}

/**
 * One sample of the call: each consumer's inbound figures (those without a packet yet are left out),
 * the senders' quality limitation, the transports' selected candidate pair.
 */
export async function collectStatsSample(sources: StatsSources): Promise<StatsSample> {
  // The protocol's cap; a real call has at most 30 (16 peers, 2 sources each).
  const consumers = [...sources.consumers()].slice(0, MAX_REPORTED_STREAMS);
  const { send, recv } = sources.transports();
  const [inbound, outbound, sendReport, recvReport] = await Promise.all([
    Promise.all(consumers.map(async (consumer) => [consumer.id, await statsOf(consumer)] as const)),
    // Browsers give a quality limitation reason for video senders only: audio ones are not asked.
    Promise.all(
      [...sources.producers()].filter(([, producer]) => producer.kind === 'video').map(async ([source, producer]) => [source, await statsOf(producer)] as const),
    ),
    statsOf(send),
    statsOf(recv),
  ]);
  const sample: StatsSample = { v: STATS_SAMPLE_VERSION, inbound: {}, outbound: {}, transports: {} };
  const kinds = new Map(consumers.map((consumer) => [consumer.id, consumer.kind]));
  for (const [consumerId, report] of inbound) {
    const stats = report && inboundStreamStats(report, kinds.get(consumerId)!);
    if (stats) sample.inbound[consumerId] = stats;
  }
  for (const [source, report] of outbound) {
    const reason = report && qualityLimitationReason(report);
    if (reason) sample.outbound[source] = { qualityLimitationReason: reason };
  }
  const sendPair = sendReport && selectedCandidatePairStats(sendReport);
  if (sendPair) sample.transports.send = sendPair;
  // The receive transport's outgoing bitrate says nothing (it sends only RTCP): its RTT only.
  const recvRoundTrip = recvReport && selectedCandidatePairStats(recvReport)?.currentRoundTripTime;
  if (recvRoundTrip != null) sample.transports.recv = { currentRoundTripTime: recvRoundTrip };
  return sample;
}

export interface StatsReporterOptions {
  /** Reads one sample (see collectStatsSample). */
  collect(): Promise<StatsSample>;
  /** Sends it (the `reportStats` request); a rejection is a failed report. */
  send(sample: StatsSample): Promise<unknown>;
  /** Default STATS_REPORT_INTERVAL_MS. */
  intervalMs?: number;
  /** Where failed reports go; default console.warn. */
  onError?(error: unknown): void;
}

/** Reports every `intervalMs` from start() to stop(); one report at a time, the next one `intervalMs` after the previous ended. */
export class StatsReporter {
  readonly #options: StatsReporterOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;

  constructor(options: StatsReporterOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  /** No report goes out after this (one in flight is not awaited). Idempotent. */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#report(), this.#options.intervalMs ?? STATS_REPORT_INTERVAL_MS);
  }

  async #report(): Promise<void> {
    try {
      const sample = await this.#options.collect();
      if (this.#running) await this.#options.send(sample);
    } catch (error) {
      if (this.#running) (this.#options.onError ?? ((failure: unknown) => console.warn('[stats] report failed', failure)))(error);
    }
    if (this.#running) this.#schedule();
  }
}
