/**
 * The SFU's Prometheus metrics: one registry, intent-named methods for call sites, and the HTTP
 * endpoint (GET /metrics). Call sites never touch metric objects.
 *
 * Load gauges (rooms, transports, producers, consumers, workers) are not incremented and decremented
 * by call sites: they read the live state at scrape time (`watchLoad`), so a missed close event can
 * never make them drift.
 *
 * Per-consumer quality series (RTT, loss, jitter…) belong here too when they come; they must be
 * labelled by consumer, removed when the consumer closes, and bounded in number by config.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type MediaKindLabel = 'audio' | 'video';

/** What the SFU holds right now, read at every scrape. */
export type LoadSnapshot = {
  workers: number;
  rooms: number;
  transports: number;
  producers: Record<MediaKindLabel, number>;
  consumers: Record<MediaKindLabel, number>;
};

const EMPTY_LOAD: LoadSnapshot = {
  workers: 0,
  rooms: 0,
  transports: 0,
  producers: { audio: 0, video: 0 },
  consumers: { audio: 0, video: 0 },
};

export class SfuMetrics {
  readonly registry = new Registry();
  #readLoad: () => LoadSnapshot = () => EMPTY_LOAD;

  readonly #grpcRequests = new Counter({
    name: 'sfu_grpc_requests_total',
    help: 'gRPC requests handled by the SFU, by method and final status code.',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });

  readonly #grpcDuration = new Histogram({
    name: 'sfu_grpc_request_duration_seconds',
    help: 'Time from a gRPC request arriving to its status being sent (streams: the stream lifetime).',
    labelNames: ['method'] as const,
    // Control-plane calls: mostly a few ms (one worker round trip); router creation and slow
    // workers reach hundreds of ms; above 5 s callers have usually given up.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly #workerDeaths = new Counter({
    name: 'sfu_worker_deaths_total',
    help: 'mediasoup worker processes that died unexpectedly (each is replaced).',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
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
  }

  /** Makes the load gauges report `read()` at every scrape. */
  watchLoad(read: () => LoadSnapshot): void {
    this.#readLoad = read;
  }

  /** One finished gRPC call (unary: request → response; stream: whole stream). */
  grpcRequestHandled(method: string, code: string, seconds: number): void {
    this.#grpcRequests.inc({ method, code });
    this.#grpcDuration.observe({ method }, seconds);
  }

  workerDied(): void {
    this.#workerDeaths.inc();
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
