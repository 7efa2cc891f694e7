/**
 * The mediasoup worker processes of this SFU (one per CPU core). New rooms get a router on the least
 * loaded worker; a worker that dies is logged, counted and replaced (its routers close on their own —
 * mediasoup emits 'workerclose' on each — and Room turns that into a RoomClosed event).
 *
 * mediasoup is injected (`createWorker`) instead of imported: mediasoup reads MEDIASOUP_WORKER_BIN
 * at import time, so main.ts imports it only after the config check.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import { UnavailableError } from './errors.ts';
import type { MediaKindLabel } from './metrics.ts';

export type CreateWorker = (settings: ms.WorkerSettings) => Promise<ms.Worker>;

/** What one worker hosts. */
export type WorkerLoad = {
  pid: number;
  /**
   * The worker's place in the pool, 0..size-1: a replacement takes the dead worker's place, so the
   * index is a stable metrics label where the pid is not.
   */
  slot: number;
  routers: number;
  transports: number;
  producers: Record<MediaKindLabel, number>;
  consumers: Record<MediaKindLabel, number>;
};

/**
 * The worker for a new room: fewest transports (each is a browser connection: the real CPU cost),
 * then fewest routers, then pool order. Returns undefined for an empty pool.
 */
export function pickLeastLoaded<T extends Pick<WorkerLoad, 'routers' | 'transports'>>(loads: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const load of loads) {
    if (
      !best ||
      load.transports < best.transports ||
      (load.transports === best.transports && load.routers < best.routers)
    ) {
      best = load;
    }
  }
  return best;
}

/** Everything the workers host, added up (metrics). */
export function sumLoads(loads: readonly WorkerLoad[]): Omit<WorkerLoad, 'pid' | 'slot'> {
  const total: Omit<WorkerLoad, 'pid' | 'slot'> = {
    routers: 0,
    transports: 0,
    producers: { audio: 0, video: 0 },
    consumers: { audio: 0, video: 0 },
  };
  for (const load of loads) {
    total.routers += load.routers;
    total.transports += load.transports;
    total.producers.audio += load.producers.audio;
    total.producers.video += load.producers.video;
    total.consumers.audio += load.consumers.audio;
    total.consumers.video += load.consumers.video;
  }
  return total;
}

/** A worker plus the counts of what it hosts, kept current by mediasoup's observer events. */
class PooledWorker {
  readonly load: WorkerLoad;
  /** Routers being created right now: counted so concurrent room creations spread over workers. */
  pendingRouters = 0;

  constructor(
    readonly worker: ms.Worker,
    slot: number,
  ) {
    this.load = {
      pid: worker.pid,
      slot,
      routers: 0,
      transports: 0,
      producers: { audio: 0, video: 0 },
      consumers: { audio: 0, video: 0 },
    };
    const load = this.load;
    worker.observer.on('newrouter', (router) => {
      load.routers += 1;
      router.observer.once('close', () => (load.routers -= 1));
      router.observer.on('newtransport', (transport) => {
        load.transports += 1;
        transport.observer.once('close', () => (load.transports -= 1));
        transport.observer.on('newproducer', (producer) => {
          load.producers[producer.kind] += 1;
          producer.observer.once('close', () => (load.producers[producer.kind] -= 1));
        });
        transport.observer.on('newconsumer', (consumer) => {
          load.consumers[consumer.kind] += 1;
          consumer.observer.once('close', () => (load.consumers[consumer.kind] -= 1));
        });
      });
    });
  }

  /** Load used for picking: routers being created count as routers. */
  get selectionLoad(): Pick<WorkerLoad, 'routers' | 'transports'> & { pooled: PooledWorker } {
    return { routers: this.load.routers + this.pendingRouters, transports: this.load.transports, pooled: this };
  }
}

export type WorkerPoolEvents = {
  /** A worker process died unexpectedly; a replacement is being spawned. */
  workerdied: [pid: number, error: Error];
  /** A worker (initial or replacement) is running. */
  workerstarted: [pid: number];
};

export type WorkerPoolOptions = {
  /** Workers to keep running (SFU_WORKERS); a dead one is replaced to get back to this number. */
  size: number;
  /** mediasoup.createWorker, injected: see the file comment. */
  createWorker: CreateWorker;
  /** Settings of every worker; logLevel defaults to 'warn' (mediasoup's 'error' hides useful warnings). */
  settings?: ms.WorkerSettings;
  log: Logger;
  /** Delay before retrying a failed replacement spawn; doubles up to 30 s. */
  respawnDelayMs?: number;
};

const MAX_RESPAWN_DELAY_MS = 30_000;

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #options: WorkerPoolOptions;
  readonly #workers = new Map<number, PooledWorker>();
  #closed = false;
  readonly #respawnTimers = new Set<NodeJS.Timeout>();

  constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
  }

  /** Spawns the initial workers; rejects (after closing those that started) if any fails. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(Array.from({ length: this.#options.size }, () => this.#spawn()));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) {
      await this.close();
      throw failure.reason;
    }
  }

  /** Workers alive now. */
  get size(): number {
    return this.#workers.size;
  }

  /** Per-worker load, in pool order. */
  loads(): WorkerLoad[] {
    return [...this.#workers.values()].map((pooled) => ({
      ...pooled.load,
      producers: { ...pooled.load.producers },
      consumers: { ...pooled.load.consumers },
    }));
  }

  /**
   * CPU time each live worker process has used so far (user + system, seconds), by slot. A worker
   * that dies meanwhile is left out.
   */
  async cpuSeconds(): Promise<{ slot: number; pid: number; seconds: number }[]> {
    const readings = await Promise.allSettled(
      [...this.#workers.values()].map(async ({ worker, load }) => {
        const usage = await worker.getResourceUsage();
        // mediasoup reports libuv's getrusage(): ru_utime / ru_stime in milliseconds.
        return { slot: load.slot, pid: load.pid, seconds: (usage.ru_utime + usage.ru_stime) / 1000 };
      }),
    );
    return readings.flatMap((reading) => (reading.status === 'fulfilled' ? [reading.value] : []));
  }

  /** Creates a router on the least loaded worker. UnavailableError when no worker is alive. */
  async createRouter(options: ms.RouterOptions): Promise<{ router: ms.Router; workerPid: number }> {
    const chosen = pickLeastLoaded([...this.#workers.values()].map((pooled) => pooled.selectionLoad));
    if (this.#closed || !chosen) throw new UnavailableError('no mediasoup worker is available');
    const { pooled } = chosen;
    pooled.pendingRouters += 1;
    try {
      const router = await pooled.worker.createRouter(options);
      return { router, workerPid: pooled.worker.pid };
    } finally {
      pooled.pendingRouters -= 1;
    }
  }

  /**
   * Closes every worker (and so every router); no replacement is spawned afterwards. Idempotent.
   * Resolves once the worker processes have exited (at most `waitMs`), so a shutting-down SFU
   * leaves no orphan worker behind.
   */
  async close(waitMs = 3000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#respawnTimers) clearTimeout(timer);
    this.#respawnTimers.clear();
    const workers = [...this.#workers.values()].map((pooled) => pooled.worker);
    this.#workers.clear();
    const exits = workers.map((worker) =>
      worker.subprocessClosed ? Promise.resolve() : new Promise<void>((resolve) => worker.once('subprocessclose', resolve)),
    );
    for (const worker of workers) worker.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(exits), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  async #spawn(): Promise<void> {
    const worker = await this.#options.createWorker({ logLevel: 'warn', ...this.#options.settings });
    if (this.#closed) {
      worker.close();
      return;
    }
    this.#workers.set(worker.pid, new PooledWorker(worker, this.#freeSlot()));
    worker.once('died', (error) => this.#onDied(worker, error));
    this.#options.log.info({ workerPid: worker.pid, workers: this.#workers.size }, 'mediasoup worker started');
    this.emit('workerstarted', worker.pid);
  }

  /** The lowest slot no live worker holds (a replacement gets its predecessor's). */
  #freeSlot(): number {
    const taken = new Set([...this.#workers.values()].map((pooled) => pooled.load.slot));
    let slot = 0;
    while (taken.has(slot)) slot += 1;
    return slot;
  }

  #onDied(worker: ms.Worker, error: Error): void {
    this.#workers.delete(worker.pid);
    this.#options.log.error(
      { workerPid: worker.pid, err: error, workersLeft: this.#workers.size },
      'mediasoup worker died; spawning a replacement',
    );
    this.emit('workerdied', worker.pid, error);
    this.#respawn(this.#options.respawnDelayMs ?? 1000);
  }

  #respawn(retryDelayMs: number): void {
    if (this.#closed) return;
    this.#spawn().catch((error: unknown) => {
      if (this.#closed) return;
      this.#options.log.error({ err: error, retryInMs: retryDelayMs }, 'spawning a replacement worker failed');
      const timer = setTimeout(() => {
        this.#respawnTimers.delete(timer);
        this.#respawn(Math.min(retryDelayMs * 2, MAX_RESPAWN_DELAY_MS));
      }, retryDelayMs);
      this.#respawnTimers.add(timer);
    });
  }
}
