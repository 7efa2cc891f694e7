/**
 * Signaling metrics (docs/metrics.md, "Signaling" and "Browser-reported"). Call sites use the
 * intent-named methods of {@link SignalingMetrics}; only this file touches prom-client. Gauges count
 * what THIS instance holds (its sockets, its peers and the rooms they are in): with several
 * instances, sum them in PromQL.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  METHODS,
  QualityLimitationReason,
  type ErrorCode,
  type InboundStreamStats,
  type MediaKind,
  type MediaSource,
  type Push,
  type ResponseEnvelope,
  type SendTransportStats,
  type TransportDirection,
} from '@lab/proto/signaling';

/** What a handled message ended as: `ok` or the protocol error code. */
export type MessageResult = 'ok' | ErrorCode;
/** `socket_to_joined`: socket open → join answered; `joined_to_first_consume`: join answered → first consume answered. */
export type JoinPhase = 'socket_to_joined' | 'joined_to_first_consume';
/** The PostgreSQL operations signaling runs (`query` label). */
export type DbQuery =
  | 'ensure_room'
  | 'session_started'
  | 'session_ended'
  | 'readiness'
  | 'instance_heartbeat'
  | 'close_previous_sessions'
  | 'sweep_lost_instances'
  | 'forget_lost_instances';
/** How a PostgreSQL operation failed (`kind` label): no answer in time, server unreachable, or the query itself. */
export type DbFailureKind = 'timeout' | 'unavailable' | 'error';
/**
 * The abuse limits (`limit` label of signaling_limit_rejections_total; docs/signaling-protocol.md,
 * "Limits"). `socket_rate_limit_close` counts sockets closed with 1008 for hammering on.
 */
export type LimitName =
  | 'json_depth'
  | 'json_array_length'
  | 'requests_per_second'
  | 'socket_rate_limit_close'
  | 'connections_per_address'
  | 'room_creations_per_address'
  | 'transports_per_peer'
  | 'producers_per_peer'
  | 'consumers_per_peer';

/** Labels of one stream a page receives, as the SFU labels its consumer. */
export interface BrowserStreamLabels {
  room: string;
  /** The reporting (receiving) peer's metrics name. */
  subscriber: string;
  /** The sending peer's metrics name. */
  publisher: string;
  kind: MediaKind;
  source: MediaSource;
}
/** Labels of one peer's per-peer browser series. */
export interface BrowserPeerLabels {
  room: string;
  /** The peer's metrics name. */
  peer: string;
}

export interface SignalingMetrics {
  socketOpened(): void;
  socketClosed(): void;
  /** Local peers and the number of distinct rooms they are in, after every change. */
  presenceChanged(rooms: number, peers: number): void;
  /**
   * One inbound request answered: `type` is its method ('unknown' when unparseable or not a protocol
   * method), `result` 'ok' or the error code, `seconds` from its arrival to its response being sent.
   */
  requestAnswered(type: string, result: MessageResult, seconds: number): void;
  /** A response or push went out on a socket (an error response also counts under its code). */
  messageSent(message: ResponseEnvelope | Push): void;
  /** Time from receiving `join` to sending its successful response. */
  observeJoin(seconds: number): void;
  observeJoinPhase(phase: JoinPhase, seconds: number): void;
  /** One gRPC call to the SFU: its method ('Consume'), final status ('OK', 'NOT_FOUND'…) and duration. */
  observeSfuRequest(method: string, code: string, seconds: number): void;
  /** One PostgreSQL query (failed ones included). */
  observeDbQuery(query: DbQuery, seconds: number): void;
  /** A message, connection or request refused (or a socket closed) because it went past `limit`. */
  limitHit(limit: LimitName): void;
  /** A PostgreSQL query failed (also observed by observeDbQuery). */
  dbQueryFailed(query: DbQuery, kind: DbFailureKind): void;
  /** Session ends not yet written (the database was unavailable), after every change. */
  sessionEndsPending(count: number): void;
  /** A retry of a session end that could not be written before: `written` or `failed` (retried again later). */
  sessionEndRetried(result: 'written' | 'failed'): void;
  /** Sessions of dead instances closed as `instance_lost` by this instance (sweep, or at start for its own id). */
  lostInstanceSessionsClosed(count: number): void;
  /** A page's figures of one stream it receives (fields it did not report leave their gauge as it was). */
  browserStreamReported(labels: BrowserStreamLabels, stats: InboundStreamStats): void;
  /** The stream's consumer closed or its subscriber left: its series go. */
  browserStreamGone(labels: BrowserStreamLabels): void;
  /** A page's figures of one of its transports (the outgoing bitrate is read from the send transport only). */
  browserTransportReported(labels: BrowserPeerLabels & { direction: TransportDirection }, stats: SendTransportStats): void;
  browserTransportGone(labels: BrowserPeerLabels & { direction: TransportDirection }): void;
  /** Why a page's sender of `source` limits its quality now. */
  browserQualityLimitation(labels: BrowserPeerLabels & { source: MediaSource }, reason: QualityLimitationReason): void;
  browserQualityLimitationGone(labels: BrowserPeerLabels & { source: MediaSource }): void;
  /** A peer's page was told to set its media up again (the SFU lost it: worker death, SFU restart). */
  mediaReset(): void;
  /** A page took its session over from a new socket after losing its connection. */
  sessionResumed(): void;
}

/** For unit tests and tools that need no Prometheus. */
export const noopMetrics: SignalingMetrics = {
  socketOpened() {},
  socketClosed() {},
  presenceChanged() {},
  mediaReset() {},
  sessionResumed() {},
  requestAnswered() {},
  messageSent() {},
  observeJoin() {},
  observeJoinPhase() {},
  observeSfuRequest() {},
  observeDbQuery() {},
  limitHit() {},
  dbQueryFailed() {},
  sessionEndsPending() {},
  sessionEndRetried() {},
  lostInstanceSessionsClosed() {},
  browserStreamReported() {},
  browserStreamGone() {},
  browserTransportReported() {},
  browserTransportGone() {},
  browserQualityLimitation() {},
  browserQualityLimitationGone() {},
};

const KNOWN_METHODS = new Set<string>(METHODS);
const QUALITY_LIMITATION_REASONS = QualityLimitationReason.options;
/**
 * Round trips inside the data centre: sub-millisecond normally (PostgreSQL, the SFU on loopback),
 * up to the SFU deadline (5 s) when something is stuck.
 */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Per-stream browser gauges: name, help, and the figure read from a stream's sample (undefined: not reported). */
const BROWSER_STREAM_GAUGES: ReadonlyArray<readonly [string, string, (stats: InboundStreamStats) => number | undefined]> = [
  ['signaling_browser_jitter_seconds', 'Interarrival jitter the receiving browser measures (inbound-rtp.jitter).', (stats) => stats.jitter],
  ['signaling_browser_packets_lost', 'Packets lost on the way to the receiving browser, cumulative (inbound-rtp.packetsLost).', (stats) => stats.packetsLost],
  ['signaling_browser_packets_received', 'Packets the receiving browser got, cumulative (inbound-rtp.packetsReceived).', (stats) => stats.packetsReceived],
  ['signaling_browser_frames_decoded', 'Video frames decoded, cumulative (inbound-rtp.framesDecoded).', (stats) => stats.framesDecoded],
  ['signaling_browser_frames_dropped', 'Video frames dropped before decoding, cumulative (inbound-rtp.framesDropped).', (stats) => stats.framesDropped],
  ['signaling_browser_freezes', 'Video freezes the receiving browser saw, cumulative (inbound-rtp.freezeCount).', (stats) => stats.freezeCount],
  ['signaling_browser_freeze_duration_seconds', 'Time spent frozen, cumulative (inbound-rtp.totalFreezesDuration).', (stats) => stats.totalFreezesDuration],
  [
    'signaling_browser_jitter_buffer_delay_seconds',
    'Average jitter-buffer delay since the stream started (inbound-rtp.jitterBufferDelay / jitterBufferEmittedCount).',
    ({ jitterBufferDelay, jitterBufferEmittedCount }) =>
      jitterBufferDelay !== undefined && jitterBufferEmittedCount ? jitterBufferDelay / jitterBufferEmittedCount : undefined,
  ],
  ['signaling_browser_concealed_samples', 'Audio samples concealed (lost and made up), cumulative (inbound-rtp.concealedSamples).', (stats) => stats.concealedSamples],
];

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
    help: 'Messages: direction="in": requests by method ("unknown" when unparseable), result "ok" or the error code; direction="out": responses (type="response") and pushes by event name.',
    labelNames: ['direction', 'type', 'result'] as const,
    registers: [this.registry],
  });
  readonly #handlingDuration = this.#latencyHistogram(
    'signaling_message_handling_duration_seconds',
    'Inbound request → its response sent, by method (time queued behind the socket’s earlier requests included).',
    ['type'] as const,
  );
  readonly #errors = new Counter({
    name: 'signaling_errors_total',
    help: 'Error responses sent, by protocol error code.',
    labelNames: ['code'] as const,
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
  readonly #joinPhases = new Histogram({
    name: 'signaling_join_phase_duration_seconds',
    help: 'socket_to_joined: socket open → join answered; joined_to_first_consume: join answered → first consume answered.',
    labelNames: ['phase'] as const,
    // The call page opens its socket while its join form is shown, so socket_to_joined includes a
    // person typing their name: a tail of minutes is expected there, milliseconds for the rest.
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly #sfuRequests = this.#latencyHistogram(
    'signaling_sfu_request_duration_seconds',
    'gRPC calls to the SFU, by method and final status code.',
    ['method', 'code'] as const,
  );
  readonly #dbQueries = this.#latencyHistogram('signaling_db_query_duration_seconds', 'PostgreSQL queries, by operation.', ['query'] as const);
  readonly #limitRejections = new Counter({
    name: 'signaling_limit_rejections_total',
    help: 'Messages, connections and requests refused for going past an abuse limit, by limit; socket_rate_limit_close counts sockets closed with 1008.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly #dbErrors = new Counter({
    name: 'signaling_db_errors_total',
    help: 'Failed PostgreSQL queries, by operation and kind: timeout (no answer within SIGNALING_DB_QUERY_TIMEOUT_MS or the readiness bound), unavailable (connection refused or lost), error (the query failed).',
    labelNames: ['query', 'kind'] as const,
    registers: [this.registry],
  });
  readonly #sessionEndsPending = new Gauge({
    name: 'signaling_session_ends_pending',
    help: 'Session ends (left_at) this instance could not write yet because the database was unavailable; retried with backoff.',
    registers: [this.registry],
  });
  readonly #sessionEndRetries = new Counter({
    name: 'signaling_session_end_retries_total',
    help: 'Retries of session ends that could not be written at first, by result: written, failed (retried again later).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly #lostInstanceSessions = new Counter({
    name: 'signaling_lost_instance_sessions_closed_total',
    help: 'Open sessions of dead signaling instances (stale heartbeat, or a previous run of this instance id) this instance closed as instance_lost.',
    registers: [this.registry],
  });
  readonly #browserStreams = BROWSER_STREAM_GAUGES.map(([name, help, read]) => ({
    gauge: new Gauge({ name, help, labelNames: ['room', 'subscriber', 'publisher', 'kind', 'source'] as const, registers: [this.registry] }),
    read,
  }));
  readonly #browserRoundTrip = new Gauge({
    name: 'signaling_browser_round_trip_time_seconds',
    help: 'Round-trip time of the selected candidate pair of a page’s transport (candidate-pair.currentRoundTripTime).',
    labelNames: ['room', 'peer', 'direction'] as const,
    registers: [this.registry],
  });
  readonly #browserOutgoingBitrate = new Gauge({
    name: 'signaling_browser_available_outgoing_bitrate_bits_per_second',
    help: 'The browser’s bandwidth estimate on its send transport (candidate-pair.availableOutgoingBitrate).',
    labelNames: ['room', 'peer'] as const,
    registers: [this.registry],
  });
  readonly #browserQualityLimitation = new Gauge({
    name: 'signaling_browser_quality_limitation',
    help: '1 for the reason a page’s sender limits its quality now (outbound-rtp.qualityLimitationReason), 0 for the others.',
    labelNames: ['room', 'peer', 'source', 'reason'] as const,
    registers: [this.registry],
  });
  readonly #browserReports = new Counter({
    name: 'signaling_browser_reports_total',
    help: 'reportStats samples received: ok, invalid (a malformed sample, or one sent before join or after leave), rate_limited.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly #mediaResets = new Counter({
    name: 'signaling_media_resets_total',
    help: 'Pages told to set their media up again because the SFU lost it (mediaReset pushes).',
    registers: [this.registry],
  });
  readonly #resumes = new Counter({
    name: 'signaling_sessions_resumed_total',
    help: 'Sessions taken over from a new socket after their socket was lost (resume).',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  socketOpened(): void {
    this.#sockets.inc();
  }
  mediaReset(): void {
    this.#mediaResets.inc();
  }
  sessionResumed(): void {
    this.#resumes.inc();
  }
  socketClosed(): void {
    this.#sockets.dec();
  }
  presenceChanged(rooms: number, peers: number): void {
    this.#rooms.set(rooms);
    this.#peers.set(peers);
  }
  requestAnswered(type: string, result: MessageResult, seconds: number): void {
    // The label stays bounded whatever clients send.
    const method = KNOWN_METHODS.has(type) ? type : 'unknown';
    this.#messages.inc({ direction: 'in', type: method, result });
    this.#handlingDuration.observe({ type: method }, seconds);
    if (method === 'reportStats') {
      // Refusals for what the sample is (or when it came) count as invalid; a server failure
      // (unavailable, internal) is no verdict on the sample and shows in signaling_messages_total only.
      if (result === 'ok' || result === 'rate_limited') this.#browserReports.inc({ result });
      else if (result === 'invalid_message' || result === 'invalid_state') this.#browserReports.inc({ result: 'invalid' });
    }
  }
  messageSent(message: ResponseEnvelope | Push): void {
    if ('event' in message) {
      this.#messages.inc({ direction: 'out', type: message.event, result: 'ok' });
      return;
    }
    this.#messages.inc({ direction: 'out', type: 'response', result: 'ok' });
    if (!message.ok) this.#errors.inc({ code: message.error.code });
  }
  observeJoin(seconds: number): void {
    this.#joinDuration.observe(seconds);
  }
  observeJoinPhase(phase: JoinPhase, seconds: number): void {
    this.#joinPhases.observe({ phase }, seconds);
  }
  observeSfuRequest(method: string, code: string, seconds: number): void {
    this.#sfuRequests.observe({ method, code }, seconds);
  }
  observeDbQuery(query: DbQuery, seconds: number): void {
    this.#dbQueries.observe({ query }, seconds);
  }
  limitHit(limit: LimitName): void {
    this.#limitRejections.inc({ limit });
  }
  dbQueryFailed(query: DbQuery, kind: DbFailureKind): void {
    this.#dbErrors.inc({ query, kind });
  }
  sessionEndsPending(count: number): void {
    this.#sessionEndsPending.set(count);
  }
  sessionEndRetried(result: 'written' | 'failed'): void {
    this.#sessionEndRetries.inc({ result });
  }
  lostInstanceSessionsClosed(count: number): void {
    this.#lostInstanceSessions.inc(count);
  }
  browserStreamReported(labels: BrowserStreamLabels, stats: InboundStreamStats): void {
    for (const { gauge, read } of this.#browserStreams) {
      const value = read(stats);
      if (value !== undefined) gauge.set({ ...labels }, value);
    }
  }
  browserStreamGone(labels: BrowserStreamLabels): void {
    for (const { gauge } of this.#browserStreams) gauge.remove({ ...labels });
  }
  browserTransportReported(labels: BrowserPeerLabels & { direction: TransportDirection }, stats: SendTransportStats): void {
    if (stats.currentRoundTripTime !== undefined) this.#browserRoundTrip.set({ ...labels }, stats.currentRoundTripTime);
    if (labels.direction === 'send' && stats.availableOutgoingBitrate !== undefined) {
      this.#browserOutgoingBitrate.set({ room: labels.room, peer: labels.peer }, stats.availableOutgoingBitrate);
    }
  }
  browserTransportGone(labels: BrowserPeerLabels & { direction: TransportDirection }): void {
    this.#browserRoundTrip.remove({ ...labels });
    if (labels.direction === 'send') this.#browserOutgoingBitrate.remove({ room: labels.room, peer: labels.peer });
  }
  browserQualityLimitation(labels: BrowserPeerLabels & { source: MediaSource }, reason: QualityLimitationReason): void {
    for (const candidate of QUALITY_LIMITATION_REASONS) {
      this.#browserQualityLimitation.set({ ...labels, reason: candidate }, candidate === reason ? 1 : 0);
    }
  }
  browserQualityLimitationGone(labels: BrowserPeerLabels & { source: MediaSource }): void {
    for (const reason of QUALITY_LIMITATION_REASONS) this.#browserQualityLimitation.remove({ ...labels, reason });
  }

  /** A histogram of round trips (LATENCY_BUCKETS) in this registry. */
  #latencyHistogram<L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  }

  /** Prometheus text exposition, for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
