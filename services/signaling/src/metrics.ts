/**
 * Signaling metrics. Call sites use the intent-named methods of {@link SignalingMetrics}; only this
 * file touches prom-client. Gauges count what THIS instance holds (its sockets, its peers and the
 * rooms they are in): with several instances, sum them in PromQL.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METHODS } from '@lab/proto/signaling';

/** What a handled message ended as: `ok` or the protocol error code. */
export type MessageResult = 'ok' | string;

export interface SignalingMetrics {
  socketOpened(): void;
  socketClosed(): void;
  /** Local peers and the number of distinct rooms they are in, after every change. */
  presenceChanged(rooms: number, peers: number): void;
  /** One per inbound message; `method` is a protocol method or 'unknown' (bad JSON, unknown method). */
  messageHandled(method: string, result: MessageResult): void;
  /** Time from receiving `join` to sending its successful response. */
  observeJoin(seconds: number): void;
}

/** For unit tests and tools that need no Prometheus. */
export const noopMetrics: SignalingMetrics = {
  socketOpened() {},
  socketClosed() {},
  presenceChanged() {},
  messageHandled() {},
  observeJoin() {},
};

const KNOWN_METHODS = new Set<string>(METHODS);

export class PrometheusSignalingMetrics implements SignalingMetrics {
  readonly registry = new Registry();
  readonly #sockets = new Gauge({
    name: 'signaling_connected_sockets',
    help: 'Open WebSocket connections on this instance (joined or not).',
    registers: [this.registry],
  });
  readonly #rooms = new Gauge({
    name: 'signaling_rooms',
    help: 'Rooms with at least one peer connected to this instance.',
    registers: [this.registry],
  });
  readonly #peers = new Gauge({
    name: 'signaling_peers',
    help: 'Joined peers connected to this instance.',
    registers: [this.registry],
  });
  readonly #messages = new Counter({
    name: 'signaling_messages_total',
    help: 'Inbound signaling messages by method ("unknown" when unparseable or not a protocol method) and result ("ok" or the error code).',
    labelNames: ['method', 'result'] as const,
    registers: [this.registry],
  });
  readonly #joinDuration = new Histogram({
    name: 'signaling_join_duration_seconds',
    help: 'Time from receiving join to answering it successfully (database + SFU round trips included).',
    // Join does one database transaction and one SFU round trip: milliseconds normally, the SFU
    // deadline (5 s) at worst.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  socketOpened(): void {
    this.#sockets.inc();
  }
  socketClosed(): void {
    this.#sockets.dec();
  }
  presenceChanged(rooms: number, peers: number): void {
    this.#rooms.set(rooms);
    this.#peers.set(peers);
  }
  messageHandled(method: string, result: MessageResult): void {
    // The label stays bounded whatever clients send.
    this.#messages.inc({ method: KNOWN_METHODS.has(method) ? method : 'unknown', result });
  }
  observeJoin(seconds: number): void {
    this.#joinDuration.observe(seconds);
  }

  /** Prometheus text exposition, for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
