/**
 * One peer's browser-reported series (docs/metrics.md, "Browser-reported"): the `reportStats`
 * samples its page sends, at most one every MIN_STATS_REPORT_INTERVAL_MS. Each received stream is
 * labelled as the SFU labels the same consumer (room, subscriber = this peer, publisher = the sending
 * peer's metrics name from the room state, kind, source), so a panel can put the browser's and the
 * SFU's view of one stream side by side. Series go when their consumer closes, when the sender of
 * their source stops, and when the peer leaves.
 */
import { performance } from 'node:perf_hooks';
import {
  MIN_STATS_REPORT_INTERVAL_MS,
  MediaSource,
  type StatsSample,
  type TransportDirection,
} from '@lab/proto/signaling';
import { RateLimitedError } from '../errors.ts';
import type { BrowserPeerLabels, BrowserStreamLabels, SignalingMetrics } from '../metrics.ts';
import type { ConsumedStream } from '../session/PeerMedia.ts';
import type { RoomStateStore } from '../state/RoomStateStore.ts';

const DIRECTIONS: readonly TransportDirection[] = ['send', 'recv'];
const SOURCES: readonly MediaSource[] = MediaSource.options;

/** The reporting peer. */
export interface Reporter {
  roomId: string;
  metricsName: string;
}

/** What the session knows of the reporter's media, to name what the sample is about. */
export interface ReporterMedia {
  /** The stream consumer `consumerId` of the reporter receives; undefined when it has no such consumer (any more). */
  consumer(consumerId: string): ConsumedStream | undefined;
  /** Whether the reporter has a producer of `source` now. */
  sends(source: MediaSource): boolean;
}

export interface BrowserStatsDeps {
  metrics: SignalingMetrics;
  state: Pick<RoomStateStore, 'metricsNames'>;
  /** Milliseconds on a monotonic clock; tests pass their own. */
  now?: () => number;
}

export class BrowserStats {
  readonly #metrics: SignalingMetrics;
  readonly #state: Pick<RoomStateStore, 'metricsNames'>;
  readonly #now: () => number;
  #lastAcceptedAt = Number.NEGATIVE_INFINITY;
  #peer?: BrowserPeerLabels;
  /** consumerId → the labels its series were exported under. */
  readonly #streams = new Map<string, BrowserStreamLabels>();
  readonly #transports = new Set<TransportDirection>();
  readonly #sources = new Set<MediaSource>();
  /** Publishers' metrics names by peer id: looked up once each, they do not change while the publisher stays. */
  readonly #publisherNames = new Map<string, string>();

  constructor(deps: BrowserStatsDeps) {
    this.#metrics = deps.metrics;
    this.#state = deps.state;
    this.#now = deps.now ?? (() => performance.now());
  }

  /**
   * Exports one sample. Throws RateLimitedError when it comes sooner than MIN_STATS_REPORT_INTERVAL_MS
   * after the last accepted one. Entries about a consumer the reporter no longer has, or a source it
   * no longer sends, are skipped: one can close while the sample is on its way.
   */
  async report(sample: StatsSample, reporter: Reporter, media: ReporterMedia): Promise<void> {
    const now = this.#now();
    const sinceLast = now - this.#lastAcceptedAt;
    if (sinceLast < MIN_STATS_REPORT_INTERVAL_MS) {
      throw new RateLimitedError(
        `reportStats: at most one sample every ${MIN_STATS_REPORT_INTERVAL_MS / 1000} s; the previous one came ${(sinceLast / 1000).toFixed(1)} s ago`,
      );
    }
    this.#lastAcceptedAt = now;
    const peer: BrowserPeerLabels = { room: reporter.roomId, peer: reporter.metricsName };
    this.#peer = peer;

    const streams = Object.entries(sample.inbound).flatMap(([consumerId, stats]) => {
      const stream = media.consumer(consumerId);
      return stream ? [{ consumerId, stream, stats }] : [];
    });
    await this.#learnPublisherNames(reporter.roomId, streams.map(({ stream }) => stream.producerPeerId));
    for (const { consumerId, stream, stats } of streams) {
      const publisher = this.#publisherNames.get(stream.producerPeerId);
      if (publisher === undefined) continue; // the publisher left meanwhile; its consumer closes next
      const labels: BrowserStreamLabels = { room: peer.room, subscriber: peer.peer, publisher, kind: stream.kind, source: stream.source };
      this.#streams.set(consumerId, labels);
      this.#metrics.browserStreamReported(labels, stats);
    }
    for (const direction of DIRECTIONS) {
      const stats = sample.transports[direction];
      if (!stats) continue;
      this.#transports.add(direction);
      this.#metrics.browserTransportReported({ ...peer, direction }, stats);
    }
    for (const source of SOURCES) {
      const sender = sample.outbound[source];
      if (!sender || !media.sends(source)) continue;
      this.#sources.add(source);
      this.#metrics.browserQualityLimitation({ ...peer, source }, sender.qualityLimitationReason);
    }
  }

  /** The reporter's consumer closed: its stream's series go. */
  consumerGone(consumerId: string): void {
    const labels = this.#streams.get(consumerId);
    if (!labels) return;
    this.#streams.delete(consumerId);
    this.#metrics.browserStreamGone(labels);
  }

  /** The reporter stopped sending `source`: its quality-limitation series go. */
  sourceGone(source: MediaSource): void {
    if (this.#peer && this.#sources.delete(source)) this.#metrics.browserQualityLimitationGone({ ...this.#peer, source });
  }

  /** The reporter left: every series of it goes. */
  clear(): void {
    for (const consumerId of [...this.#streams.keys()]) this.consumerGone(consumerId);
    for (const source of [...this.#sources]) this.sourceGone(source);
    const peer = this.#peer;
    if (peer) for (const direction of this.#transports) this.#metrics.browserTransportGone({ ...peer, direction });
    this.#transports.clear();
    this.#publisherNames.clear();
  }

  async #learnPublisherNames(roomId: string, peerIds: readonly string[]): Promise<void> {
    if (peerIds.every((peerId) => this.#publisherNames.has(peerId))) return;
    for (const [peerId, name] of await this.#state.metricsNames(roomId)) this.#publisherNames.set(peerId, name);
  }
}
