/**
 * Reads the stats of every consumer, producer and transport of every room, every
 * `intervalSeconds`, and feeds them to the per-stream series and the fleet figures; reads each
 * worker's CPU time too. mediasoup has no push for stats, so this is the one place that polls; it
 * sits beside the rooms and only reads them.
 *
 * A stream's series are removed the moment it closes (mediasoup's observer `close`), not at the next
 * round: a consumer of a peer that left disappears from /metrics at once. A round never overlaps the
 * previous one, and a stream that closed while its stats were being read is left alone.
 *
 * A round reads every stream first and writes all the series afterwards, in one synchronous pass: a
 * scrape (which runs on the same event loop) then sees every stream at the same round, never a
 * producer already updated next to its consumers still a round behind. The per-hop rule divides
 * one by the other, and a one-round skew there reads as a few percent of loss inside the SFU.
 */
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import type { SfuMetrics } from '../metrics.ts';
import type { WorkerPool } from '../WorkerPool.ts';
import { clockRateOf, consumerFigures, producerFigures, transportFigures, type TransportStat } from './streamFigures.ts';

/** getStats() calls in flight at once: each is a worker round trip; bounded so a round of thousands is smooth. */
const CONCURRENT_READS = 32;

/** What the collector reads of a peer (Peer implements it). */
export interface StatsSourcePeer {
  /** The peer's metrics name. */
  readonly displayName: string;
  transports(): ms.Transport<{ direction: string }>[];
  producers(): ms.Producer<{ source: string }>[];
  consumers(): ms.Consumer<{ producerPeerId: string; source: string }>[];
}

/** What the collector reads of a room (Room implements it). */
export interface StatsSourceRoom {
  readonly id: string;
  peers(): StatsSourcePeer[];
  findPeer(peerId: string): Pick<StatsSourcePeer, 'displayName'> | undefined;
}

export type StatsCollectorOptions = {
  rooms: () => Iterable<StatsSourceRoom>;
  pool: Pick<WorkerPool, 'cpuSeconds'>;
  metrics: Pick<SfuMetrics, 'streams' | 'fleet'>;
  intervalSeconds: number;
  log: Logger;
};

/** Writes one stream's series (or nothing, if it closed meanwhile). */
type Write = () => void;
type Read = () => Promise<Write | undefined>;

export class StatsCollector {
  readonly #options: StatsCollectorOptions;
  /** Objects whose close already removes their series. */
  readonly #watched = new WeakSet<object>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: StatsCollectorOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.collect(), this.#options.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /** Stops collecting; resolves when a round in progress has finished. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One round now (the timer calls it; tests too). A call during a round joins that round. */
  collect(): Promise<void> {
    this.#running ??= this.#round()
      .catch((error: unknown) => this.#options.log.error({ err: error }, 'stats collection failed'))
      .finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #round(): Promise<void> {
    const started = performance.now();
    const reads: Read[] = [];
    for (const room of this.#options.rooms()) {
      for (const peer of room.peers()) {
        for (const transport of peer.transports()) reads.push(() => this.#transport(room, peer.displayName, transport));
        for (const producer of peer.producers()) reads.push(() => this.#producer(room, peer.displayName, producer));
        for (const consumer of peer.consumers()) reads.push(() => this.#consumer(room, peer.displayName, consumer));
      }
    }
    const writes = await runBounded(reads, CONCURRENT_READS);
    for (const write of writes) write?.();
    await this.#workerCpu();
    this.#options.metrics.fleet.collectionTook((performance.now() - started) / 1000);
  }

  async #consumer(room: StatsSourceRoom, subscriber: string, consumer: ms.Consumer<{ producerPeerId: string; source: string }>): Promise<Write | undefined> {
    const stats = await this.#read(consumer, () => consumer.getStats());
    const figures = stats && consumerFigures(stats, clockRateOf(consumer.rtpParameters));
    if (!figures) return undefined;
    const publisher = room.findPeer(consumer.appData.producerPeerId)?.displayName ?? consumer.appData.producerPeerId;
    const labels = { room: room.id, subscriber, publisher, kind: consumer.kind, source: consumer.appData.source };
    return this.#unlessClosed(consumer, () => {
      this.#options.metrics.streams.consumer(consumer.id, labels, figures, consumer.paused || consumer.producerPaused);
      this.#options.metrics.fleet.consumer(consumer.kind, figures);
    });
  }

  async #producer(room: StatsSourceRoom, publisher: string, producer: ms.Producer<{ source: string }>): Promise<Write | undefined> {
    const stats = await this.#read(producer, () => producer.getStats());
    const figures = stats && producerFigures(stats, clockRateOf(producer.rtpParameters));
    if (!figures) return undefined;
    const labels = { room: room.id, publisher, kind: producer.kind, source: producer.appData.source };
    return this.#unlessClosed(producer, () => this.#options.metrics.streams.producer(producer.id, labels, figures));
  }

  async #transport(room: StatsSourceRoom, peer: string, transport: ms.Transport<{ direction: string }>): Promise<Write | undefined> {
    const stats = await this.#read(transport, () => transport.getStats() as Promise<TransportStat[]>);
    const figures = stats && transportFigures(stats);
    if (!figures) return undefined;
    const labels = { room: room.id, peer, direction: transport.appData.direction };
    return this.#unlessClosed(transport, () => this.#options.metrics.streams.transport(transport.id, labels, figures));
  }

  /** `write`, skipped if the object closed before the round's writes (its series are gone). */
  #unlessClosed(object: { closed: boolean }, write: Write): Write {
    return () => {
      if (!object.closed) write();
    };
  }

  /**
   * Reads an object's stats, making sure its series go when it closes. Undefined when it closed
   * before or while reading (its series are gone or about to go; writing them now would resurrect
   * them).
   */
  async #read<T>(object: { id: string; closed: boolean; observer: { once(event: 'close', listener: () => void): unknown } }, read: () => Promise<T>): Promise<T | undefined> {
    if (!this.#watched.has(object)) {
      this.#watched.add(object);
      object.observer.once('close', () => this.#options.metrics.streams.forget(object.id));
    }
    if (object.closed) return undefined;
    try {
      const stats = await read();
      return object.closed ? undefined : stats;
    } catch (error) {
      // Closed while the worker answered (or its worker died): nothing to report.
      if (object.closed) return undefined;
      this.#options.log.warn({ err: error, id: object.id }, 'reading stats failed');
      return undefined;
    }
  }

  async #workerCpu(): Promise<void> {
    for (const { slot, pid, seconds } of await this.#options.pool.cpuSeconds()) {
      this.#options.metrics.fleet.workerCpu(slot, pid, seconds);
    }
  }
}

/**
 * Runs every task with at most `limit` in flight; resolves with their results in task order (tasks
 * handle their own errors).
 */
async function runBounded<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results;
}
