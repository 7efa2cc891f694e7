import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.ts';
import { describePath, parseRequest, requestSchemas } from '../requests.ts';

const peer = { roomId: 'room-1', peerId: 'alice' };
const opus = { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 };

function produce(overrides: Record<string, unknown>) {
  return {
    peer,
    transportId: 't1',
    kind: 'MEDIA_KIND_AUDIO',
    rtpParametersJson: JSON.stringify({ codecs: [opus], encodings: [{ ssrc: 1111 }] }),
    source: 'mic',
    paused: false,
    ...overrides,
  };
}

function refusal(schema: Parameters<typeof parseRequest>[0], request: unknown): string {
  try {
    parseRequest(schema, request);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error('the request was accepted');
}

describe('request validation', () => {
  it('accepts a valid Produce request and parses its JSON field', () => {
    const request = parseRequest(requestSchemas.Produce, produce({}));
    expect(request.kind).toBe('audio');
    expect(request.rtpParametersJson.codecs[0]!.mimeType).toBe('audio/opus');
  });

  it('names a missing PeerRef and empty ids by their proto field names', () => {
    expect(refusal(requestSchemas.GetRouterRtpCapabilities, { peer: null })).toBe('peer: is required');
    expect(refusal(requestSchemas.GetRouterRtpCapabilities, { peer: { roomId: '', peerId: 'x'.repeat(129) } })).toBe(
      'peer.room_id: must be 1..128 characters; peer.peer_id: must be 1..128 characters',
    );
  });

  it('bounds the display name a peer is labelled with in metrics', () => {
    const peer = { roomId: 'r', peerId: 'p' };
    expect(refusal(requestSchemas.GetRouterRtpCapabilities, { peer, displayName: 'x'.repeat(65) })).toBe(
      'display_name: must be at most 64 characters',
    );
    expect(requestSchemas.GetRouterRtpCapabilities.parse({ peer, displayName: 'alice #3f2a9c' }).displayName).toBe('alice #3f2a9c');
  });

  it('names malformed JSON and wrong values inside JSON fields', () => {
    expect(refusal(requestSchemas.Produce, produce({ rtpParametersJson: '{not json' }))).toMatch(
      /^rtp_parameters_json: is not valid JSON/,
    );
    expect(refusal(requestSchemas.Produce, produce({ rtpParametersJson: JSON.stringify({ codecs: [{ ...opus, payloadType: 300 }] }) }))).toBe(
      'rtp_parameters_json: codecs[0].payloadType: must be an integer 0..127',
    );
    expect(refusal(requestSchemas.Produce, produce({ rtpParametersJson: '[]' }))).toBe(
      'rtp_parameters_json: must be a JSON object (mediasoup RtpParameters)',
    );
  });

  it('refuses an unspecified kind and codecs of the other kind', () => {
    expect(refusal(requestSchemas.Produce, produce({ kind: 'MEDIA_KIND_UNSPECIFIED' }))).toBe(
      'kind: must be MEDIA_KIND_AUDIO or MEDIA_KIND_VIDEO',
    );
    expect(refusal(requestSchemas.Produce, produce({ kind: 'MEDIA_KIND_VIDEO' }))).toBe(
      'rtp_parameters_json: codecs[0].mimeType: audio/opus is not a video codec (kind is MEDIA_KIND_VIDEO)',
    );
  });

  it('validates DTLS parameters field by field and maps an empty role to "unset"', () => {
    const dtls = { role: '', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD:EF' }] };
    const parsed = parseRequest(requestSchemas.ConnectWebRtcTransport, { peer, transportId: 't', dtlsParameters: dtls });
    expect(parsed.dtlsParameters).toEqual({ fingerprints: dtls.fingerprints });
    expect(
      refusal(requestSchemas.ConnectWebRtcTransport, {
        peer,
        transportId: 't',
        dtlsParameters: { role: 'boss', fingerprints: [{ algorithm: 'md5', value: 'zz' }] },
      }),
    ).toBe(
      'dtls_parameters.role: must be "auto", "client" or "server"; ' +
        'dtls_parameters.fingerprints[0].algorithm: must be one of sha-1, sha-224, sha-256, sha-384, sha-512; ' +
        'dtls_parameters.fingerprints[0].value: must be colon-separated hex bytes ("AB:CD:…")',
    );
  });
});

describe('describePath', () => {
  it('snake-cases proto fields and keeps JSON keys as written', () => {
    expect(describePath(['peer', 'roomId'])).toBe('peer.room_id');
    expect(describePath(['roomIds', 2])).toBe('room_ids[2]');
    expect(describePath(['rtpCapabilitiesJson', 'codecs', 1, 'preferredPayloadType'])).toBe(
      'rtp_capabilities_json: codecs[1].preferredPayloadType',
    );
    expect(describePath([])).toBe('request');
  });
});
