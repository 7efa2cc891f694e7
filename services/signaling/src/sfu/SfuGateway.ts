/**
 * The signaling service's only way to the SFU: a promisified, typed client of lab.sfu.v1.Sfu
 * (proto/sfu.proto). Every unary call carries a deadline, is timed (signaling_sfu_request_duration_seconds)
 * and traced (a client span whose trace context goes along in the call's metadata); every failure
 * becomes an SfuCallError with the gRPC status, which errors.ts maps to a protocol error code.
 * `watchEvents()` keeps the SFU's event stream open, re-subscribing with backoff whenever it drops.
 */
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import { loadSfuProto, type SfuClient, type SfuEvent__Output } from '@lab/proto/sfu';
import { SfuCallError } from '../errors.ts';
import { moduleLogger } from '../logger.ts';
import { noopMetrics, type SignalingMetrics } from '../metrics.ts';
import { startSfuCallSpan } from '../telemetry/tracing.ts';

const log = moduleLogger('SfuGateway');

/** The unary RPCs of SfuClient (lower-camel names), i.e. every method but the WatchEvents stream. */
export type SfuUnaryRpc =
  | 'getRouterRtpCapabilities'
  | 'createWebRtcTransport'
  | 'connectWebRtcTransport'
  | 'restartIce'
  | 'closeTransport'
  | 'produce'
  | 'closeProducer'
  | 'pauseProducer'
  | 'resumeProducer'
  | 'consume'
  | 'resumeConsumer'
  | 'pauseConsumer'
  | 'closeConsumer'
  | 'closePeer'
  | 'getRoom'
  | 'getStatus';

// The last overload of each generated method is `(argument, callback)`: read both types from it.
type LastOverloadParams<F> = F extends (argument: infer A, callback: infer C) => grpc.ClientUnaryCall ? [A, C] : never;
export type SfuRequest<M extends SfuUnaryRpc> = LastOverloadParams<SfuClient[M]>[0];
export type SfuResponse<M extends SfuUnaryRpc> =
  LastOverloadParams<SfuClient[M]>[1] extends grpc.requestCallback<infer R> ? R : never;

/** The SFU operations signaling needs; SfuGateway implements it, unit tests may fake it. */
export type SfuApi = {
  readonly [M in SfuUnaryRpc]: (request: SfuRequest<M>) => Promise<SfuResponse<M>>;
} & {
  /** Human-readable name of the node (its address), for logs. */
  readonly address: string;
};

export interface SfuGatewayOptions {
  /** host:port of the SFU's gRPC server. */
  address: string;
  /** Deadline of every unary call, in milliseconds. */
  deadlineMs: number;
  /** Where call durations go; default: nowhere. */
  metrics?: Pick<SignalingMetrics, 'observeSfuRequest'>;
}

export interface WatchEventsOptions {
  /** Only these rooms' events (empty: all rooms). */
  roomIds?: string[];
  /**
   * This signaling instance's name: while the stream is open, the SFU keeps the peers this instance
   * registered (their lease, see sfu.proto); once it has been gone for the SFU's grace, it closes them.
   */
  signalingInstance?: string;
  /** First re-subscribe delay after the stream drops; doubled up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called with true once a (re)subscription is established, false when it drops. */
  onConnectionChange?: (connected: boolean) => void;
}

/** A running WatchEvents subscription. */
export interface SfuEventWatch {
  /** True while a subscription is established (events are being received). */
  readonly connected: boolean;
  /** Stops the subscription for good (no more events, no reconnect). */
  close(): void;
}

// Channel options. The reconnect backoff is capped low (default: 120 s) so that unary calls work again
// within seconds of an SFU restart; keepalive pings detect a silently dead SFU under the long-lived
// event stream (grpc-js servers accept pings while a call is open).
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.keepalive_time_ms': 15_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

const HealthClient = grpc.makeClientConstructor(
  healthServiceDefinition as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
);
/** 'getRouterRtpCapabilities' → '/lab.sfu.v1.Sfu/GetRouterRtpCapabilities', read from the service definition. */
function sfuMethodPath(rpc: SfuUnaryRpc): string {
  const definition = Object.values(loadSfuProto().Sfu.service).find((method) => method.originalName === rpc);
  if (!definition) throw new Error(`sfu.proto has no method ${rpc}`);
  return definition.path;
}

type HealthCheck = (
  request: { service: string },
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
) => void;

export class SfuGateway implements SfuApi {
  readonly address: string;
  readonly #deadlineMs: number;
  readonly #metrics: Pick<SignalingMetrics, 'observeSfuRequest'>;
  readonly #client: SfuClient;
  readonly #health: grpc.Client;
  readonly #watches = new Set<SfuEventWatch>();
  #closed = false;

  readonly getRouterRtpCapabilities = this.#unary('getRouterRtpCapabilities');
  readonly createWebRtcTransport = this.#unary('createWebRtcTransport');
  readonly connectWebRtcTransport = this.#unary('connectWebRtcTransport');
  readonly restartIce = this.#unary('restartIce');
  readonly closeTransport = this.#unary('closeTransport');
  readonly produce = this.#unary('produce');
  readonly closeProducer = this.#unary('closeProducer');
  readonly pauseProducer = this.#unary('pauseProducer');
  readonly resumeProducer = this.#unary('resumeProducer');
  readonly consume = this.#unary('consume');
  readonly resumeConsumer = this.#unary('resumeConsumer');
  readonly pauseConsumer = this.#unary('pauseConsumer');
  readonly closeConsumer = this.#unary('closeConsumer');
  readonly closePeer = this.#unary('closePeer');
  readonly getRoom = this.#unary('getRoom');
  readonly getStatus = this.#unary('getStatus');

  constructor(options: SfuGatewayOptions) {
    this.address = options.address;
    this.#deadlineMs = options.deadlineMs;
    this.#metrics = options.metrics ?? noopMetrics;
    const { Sfu } = loadSfuProto();
    const credentials = grpc.credentials.createInsecure();
    this.#client = new Sfu(options.address, credentials, CHANNEL_OPTIONS);
    // The health client shares the Sfu client's channel, so "healthy" means this very connection works.
    this.#health = new HealthClient(options.address, credentials, { channelOverride: this.#client.getChannel() });
  }

  /** True when the SFU answers grpc.health.v1 Check for lab.sfu.v1.Sfu with SERVING (within the deadline). */
  isServing(timeoutMs = this.#deadlineMs): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (this.#health as unknown as { Check: HealthCheck }).Check.bind(this.#health);
      check({ service: 'lab.sfu.v1.Sfu' }, { deadline: Date.now() + timeoutMs }, (error, response) => {
        resolve(!error && response?.status === 'SERVING');
      });
    });
  }

  /**
   * Subscribes to the SFU's event feed and keeps the subscription alive: when the stream ends or fails
   * (SFU restart, network), it re-subscribes after a backoff (doubling, with jitter, reset once a
   * subscription works). Events that happen while disconnected are lost; the SFU's feed has no replay.
   * A throwing handler is logged and does not end the subscription.
   */
  watchEvents(onEvent: (event: SfuEvent__Output) => void, options: WatchEventsOptions = {}): SfuEventWatch {
    const minBackoffMs = options.minBackoffMs ?? 250;
    // Low: after an SFU restart, the resubscription is what tells signaling (reconcileWithSfu) that
    // its pages must set their media up again, and a resubscribe attempt costs the SFU little.
    const maxBackoffMs = options.maxBackoffMs ?? 1000;
    let backoffMs = minBackoffMs;
    let call: grpc.ClientReadableStream<SfuEvent__Output> | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let stopped = false;
    let connected = false;
    let failuresInARow = 0;

    const setConnected = (value: boolean) => {
      if (connected === value) return;
      connected = value;
      if (value) {
        backoffMs = minBackoffMs;
        failuresInARow = 0;
        log.info({ sfu: this.address }, 'SFU event stream connected');
      }
      options.onConnectionChange?.(value);
    };

    const subscribe = () => {
      retryTimer = undefined;
      if (stopped) return;
      let settled = false;
      const current = this.#client.watchEvents({ roomIds: options.roomIds ?? [], signalingInstance: options.signalingInstance ?? '' });
      call = current;
      // The SFU sends its response headers right away; they prove the subscription is registered.
      current.on('metadata', () => setConnected(true));
      current.on('data', (event: SfuEvent__Output) => {
        setConnected(true);
        try {
          onEvent(event);
        } catch (error) {
          log.error({ err: error, event: event.event, sfu: this.address }, 'SFU event handler threw');
        }
      });
      const onDrop = (error?: grpc.ServiceError) => {
        if (settled) return;
        settled = true;
        if (stopped) return;
        setConnected(false);
        failuresInARow += 1;
        const delay = Math.round(backoffMs * (0.5 + Math.random() / 2));
        backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
        // One warning per outage, then debug: an SFU that is down for a minute must not flood the log.
        const level = failuresInARow === 1 ? 'warn' : 'debug';
        log[level](
          { sfu: this.address, code: error ? grpc.status[error.code] : 'END', details: error?.details, retryInMs: delay },
          'SFU event stream dropped; re-subscribing',
        );
        retryTimer = setTimeout(subscribe, delay);
      };
      current.on('error', (error: grpc.ServiceError) => onDrop(error));
      current.on('end', () => onDrop());
    };

    const watch: SfuEventWatch = {
      get connected() {
        return connected;
      },
      close: () => {
        if (stopped) return;
        stopped = true;
        if (retryTimer) clearTimeout(retryTimer);
        call?.cancel();
        this.#watches.delete(watch);
      },
    };
    this.#watches.add(watch);
    subscribe();
    return watch;
  }

  /** Stops every event subscription and closes the channel. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const watch of [...this.#watches]) watch.close();
    this.#health.close();
    this.#client.close();
  }

  #unary<M extends SfuUnaryRpc>(rpc: M): (request: SfuRequest<M>) => Promise<SfuResponse<M>> {
    const path = sfuMethodPath(rpc);
    // The SFU's own name for it ('GetRouterRtpCapabilities'), as its sfu_grpc_* metrics label it.
    const methodName = path.slice(path.lastIndexOf('/') + 1);
    return (request) =>
      new Promise<SfuResponse<M>>((resolve, reject) => {
        const method = this.#client[rpc] as unknown as (
          request: SfuRequest<M>,
          metadata: grpc.Metadata,
          options: grpc.CallOptions,
          callback: (error: grpc.ServiceError | null, response?: SfuResponse<M>) => void,
        ) => grpc.ClientUnaryCall;
        const started = performance.now();
        const span = startSfuCallSpan(path, this.address);
        method.call(this.#client, request, span.metadata, { deadline: Date.now() + this.#deadlineMs }, (error, response) => {
          const code = error ? error.code : grpc.status.OK;
          this.#metrics.observeSfuRequest(methodName, grpc.status[code] ?? String(code), (performance.now() - started) / 1000);
          span.end(code, error?.details);
          if (error) reject(new SfuCallError(rpc, error.code, error.details, { cause: error }));
          else resolve(response as SfuResponse<M>);
        });
      });
  }
}
