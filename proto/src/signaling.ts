/**
 * Signaling protocol v1: the JSON messages between the call page and the signaling service over one
 * WebSocket. Both sides validate every message against these schemas (zod), so this file is the
 * protocol's single definition. Documented in docs/signaling-protocol.md.
 *
 * Transport: WebSocket at `/ws`, subprotocol {@link SIGNALING_SUBPROTOCOL}; one JSON object per text
 * frame, at most {@link MAX_MESSAGE_BYTES} bytes (larger frames close the socket with code 1009 "message
 * too big"; frames over 256 KiB are dropped by uWebSockets.js itself, so the client then sees 1006).
 *
 * Three message shapes:
 * - request  (client → server): `{ id, method, data }`; `id` is chosen by the client, unique per socket.
 * - response (server → client): `{ id, ok: true, data }` or `{ id, ok: false, error: { code, message } }`.
 *   A message that cannot be parsed far enough to know its id is answered with `id: null`.
 * - push     (server → client): `{ event, data }`.
 */
import { z } from 'zod';

export const SIGNALING_PROTOCOL_VERSION = 1;
/** WebSocket subprotocol naming the protocol version; the server refuses sockets that do not offer it. */
export const SIGNALING_SUBPROTOCOL = 'webrtc-lab.v1';
/** Largest accepted frame. mediasoup RTP parameters/capabilities from Chromium are ~2-8 KiB. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Error codes carried in `error.code`; one per cause, stable across versions. */
export const ErrorCode = {
  /** The frame is not a JSON object. */
  BadJson: 'bad_json',
  /** `method` is not one of the protocol's methods. */
  UnknownMethod: 'unknown_method',
  /** The message does not match the method's schema; `message` says which field and why. */
  InvalidMessage: 'invalid_message',
  /** The method is not allowed in the peer's current state (e.g. produce before join, join twice). */
  InvalidState: 'invalid_state',
  /** An id in the request (transport, producer, consumer) is unknown or not this peer's. */
  NotFound: 'not_found',
  /** The SFU or database cannot serve the request now; retrying later may work. */
  Unavailable: 'unavailable',
  /**
   * Too many requests: more than the socket's request rate, a reportStats sooner than 2 s after the
   * last one, or more room creations per minute than one address may make. The socket keeps working;
   * send it later.
   */
  RateLimited: 'rate_limited',
  /**
   * The request would take the peer past a per-peer cap (transports, producers, consumers). Nothing was
   * created; close something first (or reconnect, which releases everything).
   */
  LimitExceeded: 'limit_exceeded',
  /** A bug on the server; `message` has details. */
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** Room names as typed by people: letters, digits, `-` and `_`, 1..64 characters. */
export const RoomId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'roomId must be 1..64 characters of A-Z, a-z, 0-9, "-" or "_"');
export const DisplayName = z
  .string()
  .trim()
  .min(1, 'displayName must be 1..64 characters')
  .max(64, 'displayName must be 1..64 characters');
/** Server-issued ids (peers, transports, producers, consumers). */
export const Id = z.string().min(1, 'id must not be empty').max(128, 'id must be at most 128 characters');
export const MediaKind = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof MediaKind>;
/** What a producer carries; a peer has at most one producer per source. */
export const MediaSource = z.enum(['mic', 'camera', 'screen']);
export type MediaSource = z.infer<typeof MediaSource>;
/**
 * The sources a person mutes and unmutes (`setMuted`). A screen share is not muted: it is started
 * with `produce` and stopped with `closeProducer`.
 */
export const MutableSource = z.enum(['mic', 'camera'], {
  error: () => 'source must be "mic" or "camera" (a screen share is stopped with closeProducer)',
});
export type MutableSource = z.infer<typeof MutableSource>;
export const TransportDirection = z.enum(['send', 'recv']);
export type TransportDirection = z.infer<typeof TransportDirection>;

/**
 * mediasoup objects (RtpCapabilities, RtpParameters) are passed through to the SFU, which validates
 * them field by field; here we only require a JSON object.
 */
const MediasoupObject = z.record(z.string(), z.unknown());

export const IceParameters = z.object({
  usernameFragment: z.string(),
  password: z.string(),
  iceLite: z.boolean().optional(),
});
export const IceCandidate = z.object({
  foundation: z.string(),
  priority: z.number(),
  address: z.string(),
  ip: z.string().optional(),
  protocol: z.enum(['udp', 'tcp']),
  port: z.number().int(),
  type: z.string(),
  tcpType: z.string().optional(),
});
export const DtlsParameters = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(z.object({ algorithm: z.string().min(1), value: z.string().min(1) }))
    .min(1, 'dtlsParameters.fingerprints must not be empty')
    .max(8),
});

export const ProducerInfo = z.object({
  producerId: Id,
  kind: MediaKind,
  source: MediaSource,
  paused: z.boolean(),
});
export type ProducerInfo = z.infer<typeof ProducerInfo>;

export const PeerInfo = z.object({
  peerId: Id,
  displayName: DisplayName,
  /** Mic muted (or no mic). */
  audioMuted: z.boolean(),
  /** Camera off (or no camera). */
  videoMuted: z.boolean(),
  producers: z.array(ProducerInfo),
});
export type PeerInfo = z.infer<typeof PeerInfo>;

// ---------------------------------------------------------------------------------------------
// Browser-reported stats: the sample of `reportStats` (docs/metrics.md, "Browser-reported")

/** The sample format this version of the protocol defines; `v` of every sample. */
export const STATS_SAMPLE_VERSION = 1;
/**
 * Inbound streams one sample may carry. A full room (16 peers: mic, camera, and a screen share each)
 * gives 45; 64 leaves room, and 64 entries with 128-character ids stay far below the 64 KiB frame
 * limit (~27 KiB).
 */
export const MAX_REPORTED_STREAMS = 64;
/** The server refuses (rate_limited) a sample that comes sooner than this after the last accepted one. */
export const MIN_STATS_REPORT_INTERVAL_MS = 2000;

/** Seconds and bits per second: finite and ≥ 0 (zod's number already refuses NaN and ±Infinity). */
const StatsMeasure = z.number().nonnegative('must be a finite number >= 0');
/** Cumulative counters of the stats API: whole numbers ≥ 0. */
const StatsCount = z.number().int('must be a whole number').nonnegative('must be >= 0');

/**
 * One received stream, from its `inbound-rtp` stats (https://www.w3.org/TR/webrtc-stats/). Counters
 * are cumulative since the stream started. Video-only and audio-only fields are optional, and so is
 * anything the browser does not report yet.
 */
export const InboundStreamStats = z
  .object({
    /** Seconds. */
    jitter: StatsMeasure,
    /** Cumulative (RTCP allows negative values after duplicates; the page sends them as 0). */
    packetsLost: StatsCount,
    packetsReceived: StatsCount,
    /** Video. */
    framesDecoded: StatsCount.optional(),
    framesDropped: StatsCount.optional(),
    freezeCount: StatsCount.optional(),
    /** Video, seconds. */
    totalFreezesDuration: StatsMeasure.optional(),
    /** Seconds summed over every emitted sample or frame; ÷ jitterBufferEmittedCount = the average delay. */
    jitterBufferDelay: StatsMeasure.optional(),
    jitterBufferEmittedCount: StatsCount.optional(),
    /** Audio. */
    concealedSamples: StatsCount.optional(),
  })
  .strict();
export type InboundStreamStats = z.infer<typeof InboundStreamStats>;

/** Why the sender lowers its quality now (`outbound-rtp.qualityLimitationReason`). */
export const QualityLimitationReason = z.enum(['none', 'cpu', 'bandwidth', 'other']);
export type QualityLimitationReason = z.infer<typeof QualityLimitationReason>;

/** One of the page's own senders, from its `outbound-rtp` stats. */
export const OutboundSourceStats = z.object({ qualityLimitationReason: QualityLimitationReason }).strict();
export type OutboundSourceStats = z.infer<typeof OutboundSourceStats>;

/** The selected `candidate-pair` of the receive transport. */
export const RecvTransportStats = z.object({ /** Seconds. */ currentRoundTripTime: StatsMeasure.optional() }).strict();
/** The selected `candidate-pair` of the send transport: its RTT and the browser's bandwidth estimate. */
export const SendTransportStats = RecvTransportStats.extend({
  /** Bits per second. */
  availableOutgoingBitrate: StatsMeasure.optional(),
}).strict();
export type RecvTransportStats = z.infer<typeof RecvTransportStats>;
export type SendTransportStats = z.infer<typeof SendTransportStats>;

/** A compact getStats() sample: what the page receives, how its senders fare, its transports. */
export const StatsSample = z
  .object({
    v: z.literal(STATS_SAMPLE_VERSION, `v must be ${STATS_SAMPLE_VERSION} (the stats sample version)`),
    /** consumerId (from the consume response) → that stream's figures. */
    inbound: z
      .record(Id, InboundStreamStats, {
        error: (issue) => (issue.code === 'invalid_key' ? 'keys must be consumer ids (1..128 characters)' : undefined),
      })
      .refine((streams) => Object.keys(streams).length <= MAX_REPORTED_STREAMS, `at most ${MAX_REPORTED_STREAMS} inbound streams per sample`),
    /** The page's own senders, by source. */
    outbound: z
      .object({ mic: OutboundSourceStats.optional(), camera: OutboundSourceStats.optional(), screen: OutboundSourceStats.optional() })
      .strict(),
    /** The page's two transports, by direction. */
    transports: z.object({ send: SendTransportStats.optional(), recv: RecvTransportStats.optional() }).strict(),
  })
  .strict();
export type StatsSample = z.infer<typeof StatsSample>;

// ---------------------------------------------------------------------------------------------
// Requests: method name → data schema, and the response data each returns.

export const requests = {
  /** Enter a room (created on first join). Must be the socket's first request. */
  join: z.object({ roomId: RoomId, displayName: DisplayName }).strict(),
  /**
   * Take over a joined session whose socket was lost, on a new socket, as its first request: the
   * same participant for the others, media untouched. `not_found` when the server no longer holds
   * it (the resume grace passed, or another server): join again.
   */
  resume: z.object({ resumeToken: z.string().min(16).max(128) }).strict(),
  /** Open a WebRTC transport on the SFU; `send` for producing, `recv` for consuming. */
  createTransport: z.object({ direction: TransportDirection }).strict(),
  connectTransport: z.object({ transportId: Id, dtlsParameters: DtlsParameters }).strict(),
  restartIce: z.object({ transportId: Id }).strict(),
  /** Start sending a track; other peers get a `newProducer` push. */
  produce: z
    .object({
      transportId: Id,
      kind: MediaKind,
      source: MediaSource,
      rtpParameters: MediasoupObject,
      paused: z.boolean().default(false),
    })
    .strict(),
  closeProducer: z.object({ producerId: Id }).strict(),
  /** Mic mute / camera off (muted=true) and back; the server pauses the producer and tells everyone. */
  setMuted: z.object({ source: MutableSource, muted: z.boolean() }).strict(),
  /** Receive another peer's producer on the peer's `recv` transport. The consumer starts paused. */
  consume: z
    .object({ transportId: Id, producerId: Id, rtpCapabilities: MediasoupObject })
    .strict(),
  /** Start the flow of a consumer once mediasoup-client has created it. */
  resumeConsumer: z.object({ consumerId: Id }).strict(),
  /** Leave the room; the server releases everything and the socket may be closed afterwards. */
  leave: z.object({}).strict(),
  /** A getStats() sample (every few seconds while joined; at most one per MIN_STATS_REPORT_INTERVAL_MS). */
  reportStats: StatsSample,
} as const;

export type Method = keyof typeof requests;
export const METHODS = Object.keys(requests) as Method[];
export type RequestData<M extends Method> = z.output<(typeof requests)[M]>;
/** What the client passes (before defaults are filled). */
export type RequestInput<M extends Method> = z.input<(typeof requests)[M]>;

export const responses = {
  join: z.object({
    peerId: Id,
    roomId: RoomId,
    /** mediasoup RtpCapabilities of the room's router, for Device.load(). */
    routerRtpCapabilities: MediasoupObject,
    /** Everyone already in the room (not including the caller). */
    peers: z.array(PeerInfo),
    /** Secret for `resume` on a new socket if this one is lost (valid while the server holds the session). */
    resumeToken: z.string(),
    /** Who speaks in the room now (later changes come as `activeSpeaker` pushes); null: nobody. */
    activeSpeakerPeerId: Id.nullable().optional(),
  }),
  resume: z.object({
    peerId: Id,
    roomId: RoomId,
    /** Everyone in the room now (not including the caller); pushes missed meanwhile follow the response. */
    peers: z.array(PeerInfo),
    /** Who speaks in the room now, as in the join response (a push sent into the lost socket was lost). */
    activeSpeakerPeerId: Id.nullable().optional(),
  }),
  createTransport: z.object({
    transportId: Id,
    iceParameters: IceParameters,
    iceCandidates: z.array(IceCandidate),
    dtlsParameters: DtlsParameters,
  }),
  connectTransport: z.object({}),
  restartIce: z.object({ iceParameters: IceParameters }),
  produce: z.object({ producerId: Id }),
  closeProducer: z.object({}),
  setMuted: z.object({ audioMuted: z.boolean(), videoMuted: z.boolean() }),
  consume: z.object({
    consumerId: Id,
    producerId: Id,
    peerId: Id,
    kind: MediaKind,
    source: MediaSource,
    rtpParameters: MediasoupObject,
    producerPaused: z.boolean(),
  }),
  resumeConsumer: z.object({}),
  leave: z.object({}),
  reportStats: z.object({}),
} as const satisfies Record<Method, z.ZodType>;
export type ResponseData<M extends Method> = z.output<(typeof responses)[M]>;

/** The envelope of a request; `data` is validated separately against `requests[method]`. */
export const RequestEnvelope = z
  .object({
    id: z.number().int('id must be an integer').nonnegative('id must be >= 0'),
    method: z.string(),
    data: z.unknown().optional(),
  })
  .strict();

export const ErrorBody = z.object({ code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]), message: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;

export const ResponseEnvelope = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), data: z.unknown() }),
  z.object({ id: z.number().int().nullable(), ok: z.literal(false), error: ErrorBody }),
]);
export type ResponseEnvelope = z.infer<typeof ResponseEnvelope>;

// ---------------------------------------------------------------------------------------------
// Pushes (server → client)

export const pushes = {
  /** Someone entered the room. */
  peerJoined: z.object({ peer: PeerInfo }),
  /** Someone left ("left", "disconnected", "replaced", ...). Drop their tile. */
  peerLeft: z.object({ peerId: Id, reason: z.string() }),
  /** A peer started sending a track; consume it. */
  newProducer: z.object({ peerId: Id, producer: ProducerInfo }),
  /** A peer stopped sending a track. */
  producerClosed: z.object({ peerId: Id, producerId: Id }),
  /** A peer's mic / camera state changed (server-side, authoritative). */
  peerMediaChanged: z.object({ peerId: Id, audioMuted: z.boolean(), videoMuted: z.boolean() }),
  /** The SFU closed one of this peer's consumers (its producer or transport went away). */
  consumerClosed: z.object({ consumerId: Id, reason: z.string() }),
  /** mediasoup's 0..10 score of what a consumer receives. */
  consumerScore: z.object({ consumerId: Id, score: z.number(), producerScore: z.number() }),
  /**
   * Who speaks in the room now (the SFU's active-speaker observer), or `null` when nobody does: the
   * last speaker muted or left. Sent to everyone in the room, the speaker included, on each change.
   */
  activeSpeaker: z.object({ peerId: Id.nullable() }),
  /** ICE/DTLS state of one of this peer's transports as the SFU sees it. */
  transportState: z.object({ transportId: Id, iceState: z.string(), dtlsState: z.string() }),
  /**
   * The SFU lost this peer's media (its worker died, or the SFU restarted): every transport, producer
   * and consumer of it is gone. Create the transports again, produce again and consume every
   * producer of `peers` (the room now); later producers arrive as `newProducer`.
   */
  mediaReset: z.object({ reason: z.string(), peers: z.array(PeerInfo) }),
} as const;

export type PushEvent = keyof typeof pushes;
export type PushData<E extends PushEvent> = z.output<(typeof pushes)[E]>;
export const PushEnvelope = z.object({ event: z.string(), data: z.unknown() });

/** A push, as a tagged union over all events. */
export type Push = { [E in PushEvent]: { event: E; data: PushData<E> } }[PushEvent];

/** Formats a zod error as one readable sentence: `displayName: displayName must be 1..64 characters`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
