/**
 * The SFU's Prometheus metrics (catalogue: docs/metrics.md): one registry, intent-named methods for
 * call sites, and the HTTP endpoint (GET /metrics). Call sites never touch metric objects.
 *
 * Load gauges (rooms, transports, producers, consumers, workers, per worker) are not incremented
 * and decremented by call sites: they read the live state at scrape time (`watchLoad`), so a missed
 * close event can never make them drift. The per-stream series and the fleet figures are fed by the
 * stats collector (telemetry/StatsCollector.ts) through `streams` and `fleet`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FleetMetrics } from './telemetry/FleetMetrics.ts';
import { StreamSeries } from './telemetry/StreamSeries.ts';
import type { WorkerLoad } from './WorkerPool.ts';

export type MediaKindLabel = 'audio' | 'video';

/** What the SFU holds right now, read at every scrape. */
export type LoadSnapshot = {
  workers: number;
  rooms: number;
  transports: number;
  producers: Record<MediaKindLabel, number>;
  consumers: Record<MediaKindLabel, number>;
  /** The same, per worker. */
  perWorker: WorkerLoad[];
  /** WatchEvents streams open. */
  eventSubscribers: number;
};

const EMPTY_LOAD: LoadSnapshot = {
  workers: 0,
  rooms: 0,
  transports: 0,
  producers: { audio: 0, video: 0 },
  consumers: { audio: 0, video: 0 },
  perWorker: [],
  eventSubscribers: 0,
};

/** Control-plane calls: mostly a few ms (one worker round trip); router creation and slow workers reach hundreds of ms; above 5 s callers have usually given up. */
const UNARY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** An event stream lives as long as its signaling instance: seconds in tests, days in production. */
const STREAM_BUCKETS = [1, 10, 60, 600, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600];

export type SfuMetricsOptions = {
  /** prom-client's process and Node.js metrics (event-loop lag, memory…); default true. */
  defaultMetrics?: boolean;
  /** Per-stream series (SFU_METRICS_PER_STREAM); default true. */
  perStream?: boolean;
  /** Cap on streams with per-stream series (SFU_METRICS_MAX_STREAMS); default 2000. */
  maxStreams?: number;
};

/** What runs, for sfu_build_info. */
export type BuildInfo = { version: string; mediasoup: string; node: string; workerRecipe: string };

export class SfuMetrics {
  readonly registry = new Registry();
  /** Per-consumer, per-producer and per-transport series. */
  readonly streams: StreamSeries;
  /** Fleet histograms, worker CPU, collection cost. */
  readonly fleet: FleetMetrics;
  #readLoad: () => LoadSnapshot = () => EMPTY_LOAD;

  readonly #grpcRequests = new Counter({
    name: 'sfu_grpc_requests_total',
    help: 'gRPC calls handled by the SFU (unary and streams), by method and final status code.',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });

  readonly #grpcDuration = new Histogram({
    name: 'sfu_grpc_request_duration_seconds',
    help: 'Unary gRPC calls: time from the request arriving to its status being sent.',
    labelNames: ['method', 'code'] as const,
    buckets: UNARY_BUCKETS,
    registers: [this.registry],
  });

  readonly #grpcStreamDuration = new Histogram({
    name: 'sfu_grpc_stream_duration_seconds',
    help: 'Server-streaming gRPC calls (WatchEvents): lifetime of the stream.',
    labelNames: ['method'] as const,
    buckets: STREAM_BUCKETS,
    registers: [this.registry],
  });

  readonly #workerDeaths = new Counter({
    name: 'sfu_worker_deaths_total',
    help: 'mediasoup worker processes that died unexpectedly (each is replaced).',
    registers: [this.registry],
  });

  readonly #eventsPublished = new Counter({
    name: 'sfu_events_published_total',
    help: 'Events published to the WatchEvents feed, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly #subscriberOverflows = new Counter({
    name: 'sfu_event_subscriber_overflows_total',
    help: 'WatchEvents subscribers cut off for falling too far behind.',
    registers: [this.registry],
  });

  readonly #leasePeersClosed = new Counter({
    name: 'sfu_signaling_lease_peers_closed_total',
    help: 'Peers closed because the signaling instance holding them kept no event stream open for the lease grace.',
    registers: [this.registry],
  });

  readonly #buildInfo = new Gauge({
    name: 'sfu_build_info',
    help: 'Constant 1; the labels say what runs: the lab version, mediasoup, Node.js and the worker build recipe.',
    labelNames: ['version', 'mediasoup', 'node', 'worker_recipe'] as const,
    registers: [this.registry],
  });

  constructor(options: SfuMetricsOptions = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.streams = new StreamSeries({
      registry: this.registry,
      perStream: options.perStream ?? true,
      maxStreams: options.maxStreams ?? 2000,
    });
    this.fleet = new FleetMetrics(this.registry);
    const read = () => this.#readLoad();
    new Gauge({
      name: 'sfu_workers',
      help: 'mediasoup worker processes alive.',
      registers: [this.registry],
      collect() {
        this.set(read().workers);
      },
    });
    new Gauge({
      name: 'sfu_rooms',
      help: 'Rooms open on this SFU (one mediasoup router each).',
      registers: [this.registry],
      collect() {
        this.set(read().rooms);
      },
    });
    new Gauge({
      name: 'sfu_transports',
      help: 'WebRTC transports open.',
      registers: [this.registry],
      collect() {
        this.set(read().transports);
      },
    });
    new Gauge({
      name: 'sfu_producers',
      help: 'Producers (incoming tracks) open, by media kind.',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        const { producers } = read();
        this.set({ kind: 'audio' }, producers.audio);
        this.set({ kind: 'video' }, producers.video);
      },
    });
    new Gauge({
      name: 'sfu_consumers',
      help: 'Consumers (outgoing tracks) open, by media kind.',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        const { consumers } = read();
        this.set({ kind: 'audio' }, consumers.audio);
        this.set({ kind: 'video' }, consumers.video);
      },
    });
    const perWorker = (name: string, help: string, value: (load: WorkerLoad) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['worker'] as const,
        registers: [this.registry],
        collect() {
          // Reset first: a slot whose worker is gone (dead, not yet replaced) must not keep its last value.
          this.reset();
          for (const load of read().perWorker) this.set({ worker: String(load.slot) }, value(load));
        },
      });
    perWorker('sfu_worker_routers', 'Routers (rooms) on each mediasoup worker, by slot.', (load) => load.routers);
    perWorker('sfu_worker_transports', 'WebRTC transports on each mediasoup worker, by slot.', (load) => load.transports);
    const perWorkerByKind = (name: string, help: string, value: (load: WorkerLoad) => Record<MediaKindLabel, number>) =>
      new Gauge({
        name,
        help,
        labelNames: ['worker', 'kind'] as const,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const load of read().perWorker) {
            for (const kind of ['audio', 'video'] as const) this.set({ worker: String(load.slot), kind }, value(load)[kind]);
          }
        },
      });
    perWorkerByKind('sfu_worker_producers', 'Producers on each mediasoup worker, by slot and media kind.', (load) => load.producers);
    perWorkerByKind('sfu_worker_consumers', 'Consumers on each mediasoup worker, by slot and media kind.', (load) => load.consumers);
    new Gauge({
      name: 'sfu_event_subscribers',
      help: 'WatchEvents streams open.',
      registers: [this.registry],
      collect() {
        this.set(read().eventSubscribers);
      },
    });
  }

  /** Makes the load gauges report `read()` at every scrape. */
  watchLoad(read: () => LoadSnapshot): void {
    this.#readLoad = read;
  }

  /** One finished unary gRPC call: request arrival → status sent. */
  grpcRequestHandled(method: string, code: string, seconds: number): void {
    this.#grpcRequests.inc({ method, code });
    this.#grpcDuration.observe({ method, code }, seconds);
  }

  /** One finished server stream (its whole lifetime; kept apart from the unary latencies). */
  grpcStreamEnded(method: string, code: string, seconds: number): void {
    this.#grpcRequests.inc({ method, code });
    this.#grpcStreamDuration.observe({ method }, seconds);
  }

  workerDied(): void {
    this.#workerDeaths.inc();
  }

  eventPublished(type: string): void {
    this.#eventsPublished.inc({ type });
  }

  eventSubscriberOverflowed(): void {
    this.#subscriberOverflows.inc();
  }

  leaseExpired(peers: number): void {
    this.#leasePeersClosed.inc(peers);
  }

  buildInfo(info: BuildInfo): void {
    this.#buildInfo.set({ version: info.version, mediasoup: info.mediasoup, node: info.node, worker_recipe: info.workerRecipe }, 1);
  }
}

export type MetricsServer = { readonly port: number; close(): Promise<void> };

/** Serves GET /metrics (Prometheus text format) on host:port (port 0 = any free port). */
export async function startMetricsServer(
  metrics: SfuMetrics,
  { host, port }: { host: string; port: number },
  log: Logger,
): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: only GET /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      },
      (error: unknown) => {
        log.error({ err: error }, 'collecting metrics failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
