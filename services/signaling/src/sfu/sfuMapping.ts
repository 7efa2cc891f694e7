/**
 * Conversions between the SFU's gRPC messages (sfu.proto) and the signaling protocol's JSON
 * (proto/src/signaling.ts). mediasoup objects travel as JSON text over gRPC and as objects over the
 * WebSocket.
 */
import type {
  CreateWebRtcTransportResponse__Output,
  DtlsParameters__Output,
  IceParameters__Output,
  MediaKind as SfuMediaKind,
  TransportDirection as SfuTransportDirection,
} from '@lab/proto/sfu';
import type { MediaKind, ResponseData, TransportDirection } from '@lab/proto/signaling';
import { z } from 'zod';
import { SfuCallError } from '../errors.ts';
import { status as GrpcStatus } from '@grpc/grpc-js';

type SfuKindName = keyof typeof SfuMediaKind;
type SfuDirectionName = keyof typeof SfuTransportDirection;

export function toSfuKind(kind: MediaKind): SfuKindName {
  return kind === 'audio' ? 'MEDIA_KIND_AUDIO' : 'MEDIA_KIND_VIDEO';
}

export function fromSfuKind(kind: string): MediaKind {
  if (kind === 'MEDIA_KIND_AUDIO') return 'audio';
  if (kind === 'MEDIA_KIND_VIDEO') return 'video';
  throw new SfuCallError('consume', GrpcStatus.INTERNAL, `SFU answered an unknown media kind ${JSON.stringify(kind)}`);
}

export function toSfuDirection(direction: TransportDirection): SfuDirectionName {
  return direction === 'send' ? 'TRANSPORT_DIRECTION_SEND' : 'TRANSPORT_DIRECTION_RECV';
}

const JsonObject = z.record(z.string(), z.unknown());

/** Parses a `*_json` field of an SFU response; a malformed one is an SFU bug (internal). */
export function parseSfuJson(rpc: string, field: string, text: string): Record<string, unknown> {
  try {
    return JsonObject.parse(JSON.parse(text));
  } catch (error) {
    throw new SfuCallError(rpc, GrpcStatus.INTERNAL, `SFU answered ${field} that is not a JSON object`, { cause: error });
  }
}

const DTLS_ROLES = new Set(['auto', 'client', 'server']);

export function iceParametersFromSfu(ice: IceParameters__Output | null): ResponseData<'restartIce'>['iceParameters'] {
  if (!ice) throw new SfuCallError('restartIce', GrpcStatus.INTERNAL, 'SFU answered without ICE parameters');
  return { usernameFragment: ice.usernameFragment, password: ice.password, iceLite: ice.iceLite };
}

function dtlsParametersFromSfu(dtls: DtlsParameters__Output | null): ResponseData<'createTransport'>['dtlsParameters'] {
  if (!dtls) throw new SfuCallError('createWebRtcTransport', GrpcStatus.INTERNAL, 'SFU answered without DTLS parameters');
  return {
    ...(DTLS_ROLES.has(dtls.role) ? { role: dtls.role as 'auto' | 'client' | 'server' } : {}),
    fingerprints: dtls.fingerprints.map(({ algorithm, value }) => ({ algorithm, value })),
  };
}

/** CreateWebRtcTransportResponse → the createTransport response (mediasoup-client's transport options). */
export function transportFromSfu(response: CreateWebRtcTransportResponse__Output): ResponseData<'createTransport'> {
  return {
    transportId: response.transportId,
    iceParameters: iceParametersFromSfu(response.iceParameters),
    iceCandidates: response.iceCandidates.map((candidate) => ({
      foundation: candidate.foundation,
      priority: candidate.priority,
      address: candidate.address,
      // Older mediasoup-client versions read `ip`; both carry the same address.
      ip: candidate.address,
      protocol: candidate.protocol === 'tcp' ? 'tcp' : 'udp',
      port: candidate.port,
      type: candidate.type,
      ...(candidate.tcpType ? { tcpType: candidate.tcpType } : {}),
    })),
    dtlsParameters: dtlsParametersFromSfu(response.dtlsParameters),
  };
}
