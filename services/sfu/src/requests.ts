/**
 * One zod schema per gRPC request of sfu.proto, turning the loosely typed decoded message into what
 * the domain needs (JSON fields parsed, enums mapped) or an InvalidArgumentError whose message names
 * the proto field: `peer.room_id: must be 1..128 characters`,
 * `rtp_parameters_json: codecs[0].payloadType: must be an integer 0..127`.
 *
 * The JSON schemas check the shape mediasoup needs and let unknown keys through (mediasoup-client
 * may send more than this file knows); mediasoup's own validation runs after them.
 */
import type { types as ms } from 'mediasoup';
import { z } from 'zod';
import { InvalidArgumentError } from './errors.ts';
import type { TransportDirectionLabel } from './Peer.ts';

/** Why 64 KiB: a browser's RTP capabilities are ~10 KiB; anything far bigger is not from mediasoup-client. */
export const MAX_JSON_FIELD_CHARS = 64 * 1024;

const required = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined || issue.input === null ? 'is required' : `must be ${what}`;

/** Room and peer ids are opaque strings chosen by signaling, 1..128 characters (sfu.proto PeerRef). */
const id = z.string({ error: required('a string') }).min(1, 'must be 1..128 characters').max(128, 'must be 1..128 characters');

const peerRef = z.object({ roomId: id, peerId: id }, { error: required('a PeerRef') });

const uint8 = (max: number) =>
  z.number({ error: 'must be a number' }).int(`must be an integer 0..${max}`).min(0, `must be an integer 0..${max}`).max(max, `must be an integer 0..${max}`);
const positiveInt = z.number({ error: 'must be a number' }).int('must be a positive integer').positive('must be a positive integer');
const mimeType = z
  .string({ error: 'must be a string' })
  .regex(/^(audio|video)\/[^/\s]+$/i, 'must look like "audio/opus" or "video/VP8"');
const codecParameters = z.record(z.string(), z.unknown(), { error: 'must be an object' });
const rtcpFeedback = z.array(
  z.looseObject({ type: z.string({ error: 'must be a string' }).min(1, 'must not be empty'), parameter: z.string().optional() }),
  { error: 'must be an array' },
);

const rtpParametersShape = z.looseObject(
  {
    mid: z.string({ error: 'must be a string' }).optional(),
    codecs: z
      .array(
        z.looseObject({
          mimeType,
          payloadType: uint8(127),
          clockRate: positiveInt,
          channels: positiveInt.optional(),
          parameters: codecParameters.optional(),
          rtcpFeedback: rtcpFeedback.optional(),
        }),
        { error: required('an array') },
      )
      .min(1, 'must contain at least one codec'),
    headerExtensions: z
      .array(
        z.looseObject({
          uri: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
          id: z.number({ error: 'must be a number' }).int('must be an integer 1..255').min(1, 'must be an integer 1..255').max(255, 'must be an integer 1..255'),
          encrypt: z.boolean({ error: 'must be a boolean' }).optional(),
          parameters: codecParameters.optional(),
        }),
        { error: 'must be an array' },
      )
      .optional(),
    encodings: z
      .array(
        z.looseObject({
          ssrc: z.number({ error: 'must be a number' }).int('must be an integer 0..4294967295').min(0, 'must be an integer 0..4294967295').max(0xffffffff, 'must be an integer 0..4294967295').optional(),
          rid: z.string({ error: 'must be a string' }).optional(),
        }),
        { error: 'must be an array' },
      )
      .optional(),
    rtcp: z
      .looseObject({ cname: z.string({ error: 'must be a string' }).optional(), reducedSize: z.boolean({ error: 'must be a boolean' }).optional() })
      .optional(),
  },
  { error: 'must be a JSON object (mediasoup RtpParameters)' },
);

const rtpCapabilitiesShape = z.looseObject(
  {
    codecs: z
      .array(
        z.looseObject({
          kind: z.enum(['audio', 'video'], { error: 'must be "audio" or "video"' }),
          mimeType,
          preferredPayloadType: uint8(127).optional(),
          clockRate: positiveInt,
          channels: positiveInt.optional(),
          parameters: codecParameters.optional(),
          rtcpFeedback: rtcpFeedback.optional(),
        }),
        { error: 'must be an array' },
      )
      .optional(),
    headerExtensions: z
      .array(
        z.looseObject({
          kind: z.enum(['audio', 'video'], { error: 'must be "audio" or "video"' }),
          uri: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
          preferredId: z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1'),
        }),
        { error: 'must be an array' },
      )
      .optional(),
  },
  { error: 'must be a JSON object (mediasoup RtpCapabilities)' },
);

/** A `*_json` string field: parsed, then checked against `shape`. */
function jsonField<T extends z.ZodType>(shape: T) {
  return z
    .string({ error: required('a string') })
    .min(1, 'is required')
    .max(MAX_JSON_FIELD_CHARS, `must be at most ${MAX_JSON_FIELD_CHARS} characters`)
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        context.addIssue({ code: 'custom', message: `is not valid JSON (${(error as Error).message})` });
        return z.NEVER;
      }
    })
    .pipe(shape);
}

const kind = z
  .enum(['MEDIA_KIND_AUDIO', 'MEDIA_KIND_VIDEO'], { error: 'must be MEDIA_KIND_AUDIO or MEDIA_KIND_VIDEO' })
  .transform((value): ms.MediaKind => (value === 'MEDIA_KIND_AUDIO' ? 'audio' : 'video'));

const direction = z
  .enum(['TRANSPORT_DIRECTION_UNSPECIFIED', 'TRANSPORT_DIRECTION_SEND', 'TRANSPORT_DIRECTION_RECV'], {
    error: 'must be TRANSPORT_DIRECTION_SEND, TRANSPORT_DIRECTION_RECV or TRANSPORT_DIRECTION_UNSPECIFIED',
  })
  .transform((value): TransportDirectionLabel =>
    value === 'TRANSPORT_DIRECTION_SEND' ? 'send' : value === 'TRANSPORT_DIRECTION_RECV' ? 'recv' : 'unspecified',
  );

const FINGERPRINT_ALGORITHMS = ['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512'] as const;
const dtlsParameters = z.object(
  {
    // proto3 cannot tell "unset" from "": empty means "let mediasoup decide" (role auto).
    role: z
      .enum(['', 'auto', 'client', 'server'], { error: 'must be "auto", "client" or "server"' })
      .transform((role) => (role === '' ? undefined : role)),
    fingerprints: z
      .array(
        z.object({
          algorithm: z.enum(FINGERPRINT_ALGORITHMS, { error: `must be one of ${FINGERPRINT_ALGORITHMS.join(', ')}` }),
          value: z
            .string({ error: 'must be a string' })
            .regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})+$/, 'must be colon-separated hex bytes ("AB:CD:…")'),
        }),
        { error: required('an array') },
      )
      .min(1, 'must contain at least one fingerprint'),
  },
  { error: required('a DtlsParameters message') },
);

const resourceId = (field: string) => z.string({ error: required('a string') }).min(1, `is required (the ${field})`).max(128, 'must be at most 128 characters');

/** A signaling instance's name (SIGNALING_INSTANCE_ID); empty or absent: no lease. */
const instanceName = z.string({ error: 'must be a string' }).max(128, 'must be at most 128 characters').optional();

export const requestSchemas = {
  GetRouterRtpCapabilities: z.object({
    peer: peerRef,
    displayName: z.string({ error: 'must be a string' }).max(64, 'must be at most 64 characters').optional(),
    signalingInstance: instanceName,
  }),
  CreateWebRtcTransport: z.object({ peer: peerRef, direction }),
  ConnectWebRtcTransport: z.object({
    peer: peerRef,
    transportId: resourceId('transport id'),
    dtlsParameters: dtlsParameters.transform((value): ms.DtlsParameters => ({
      fingerprints: value.fingerprints,
      ...(value.role ? { role: value.role } : {}),
    })),
  }),
  RestartIce: z.object({ peer: peerRef, transportId: resourceId('transport id') }),
  CloseTransport: z.object({ peer: peerRef, transportId: resourceId('transport id') }),
  Produce: z
    .object({
      peer: peerRef,
      transportId: resourceId('transport id'),
      kind,
      rtpParametersJson: jsonField(rtpParametersShape).transform((value) => value as ms.RtpParameters),
      source: z.string({ error: 'must be a string' }).max(64, 'must be at most 64 characters'),
      paused: z.boolean({ error: 'must be a boolean' }),
    })
    .superRefine((request, context) => {
      // mediasoup maps codecs by MIME type only, so a video producer with an Opus codec would be
      // accepted and then forward nothing usable: refuse it here.
      request.rtpParametersJson.codecs.forEach((codec, index) => {
        if (!codec.mimeType.toLowerCase().startsWith(`${request.kind}/`)) {
          context.addIssue({
            code: 'custom',
            path: ['rtpParametersJson', 'codecs', index, 'mimeType'],
            message: `${codec.mimeType} is not a ${request.kind} codec (kind is MEDIA_KIND_${request.kind.toUpperCase()})`,
          });
        }
      });
    }),
  CloseProducer: z.object({ peer: peerRef, producerId: resourceId('producer id') }),
  ProducerRequest: z.object({ peer: peerRef, producerId: resourceId('producer id') }),
  Consume: z.object({
    peer: peerRef,
    transportId: resourceId('transport id'),
    producerId: resourceId('producer id'),
    rtpCapabilitiesJson: jsonField(rtpCapabilitiesShape).transform((value) => value as ms.RtpCapabilities),
  }),
  ConsumerRequest: z.object({ peer: peerRef, consumerId: resourceId('consumer id') }),
  ClosePeer: z.object({ peer: peerRef, reason: z.string({ error: 'must be a string' }).max(256, 'must be at most 256 characters') }),
  GetRoom: z.object({ roomId: id }),
  GetStatus: z.object({}),
  WatchEvents: z.object({
    roomIds: z.array(id, { error: 'must be a list of room ids' }).max(1000, 'must list at most 1000 rooms'),
    signalingInstance: instanceName,
  }),
} as const;

/** Validates `request`; InvalidArgumentError naming every wrong field otherwise. */
export function parseRequest<S extends z.ZodType>(schema: S, request: unknown): z.output<S> {
  const result = schema.safeParse(request);
  if (result.success) return result.data;
  throw new InvalidArgumentError(result.error.issues.map((issue) => `${describePath(issue.path)}: ${issue.message}`).join('; '));
}

/**
 * ['peer', 'roomId'] → 'peer.room_id'; ['rtpParametersJson', 'codecs', 0, 'payloadType'] →
 * 'rtp_parameters_json: codecs[0].payloadType' (proto field names in snake_case as in sfu.proto,
 * keys inside a JSON field as the JSON spells them).
 */
export function describePath(path: readonly PropertyKey[]): string {
  const protoPart: string[] = [];
  let jsonPart = '';
  let insideJson = false;
  for (const segment of path) {
    if (insideJson) {
      jsonPart += typeof segment === 'number' ? `[${segment}]` : `${jsonPart ? '.' : ''}${String(segment)}`;
      continue;
    }
    const name = typeof segment === 'number' ? `[${segment}]` : String(segment).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (typeof segment === 'number' && protoPart.length > 0) protoPart[protoPart.length - 1] += name;
    else protoPart.push(name);
    insideJson = typeof segment === 'string' && segment.endsWith('Json');
  }
  const protoPath = protoPart.join('.') || 'request';
  return jsonPart ? `${protoPath}: ${jsonPart}` : protoPath;
}
