/**
 * Media parameters for producing and consuming without a browser: what mediasoup-client would send
 * for an Opus microphone and a VP8 camera with fixed SSRCs. The SFU validates them with mediasoup,
 * so a produce that succeeds with these is a real producer (it simply never receives packets).
 */
export function opusRtpParameters(ssrc = 11_111_111): Record<string, unknown> {
  return {
    mid: '0',
    codecs: [
      {
        mimeType: 'audio/opus',
        payloadType: 111,
        clockRate: 48_000,
        channels: 2,
        parameters: { minptime: 10, useinbandfec: 1 },
        rtcpFeedback: [{ type: 'transport-cc' }],
      },
    ],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 4, encrypt: false, parameters: {} }],
    encodings: [{ ssrc, dtx: false }],
    rtcp: { cname: 'signaling-test', reducedSize: true },
  };
}

export function vp8RtpParameters(ssrc = 22_222_222): Record<string, unknown> {
  return {
    mid: '1',
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: 96,
        clockRate: 90_000,
        parameters: {},
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }],
      },
      { mimeType: 'video/rtx', payloadType: 97, clockRate: 90_000, parameters: { apt: 96 }, rtcpFeedback: [] },
    ],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 4, encrypt: false, parameters: {} }],
    encodings: [{ ssrc, rtx: { ssrc: ssrc + 1 } }],
    rtcp: { cname: 'signaling-test', reducedSize: true },
  };
}

/** DTLS parameters as a browser sends them on transport "connect" (the SFU stores them; no handshake follows here). */
export const CLIENT_DTLS_PARAMETERS = {
  role: 'client' as const,
  fingerprints: [
    {
      algorithm: 'sha-256',
      value: 'AF:4B:2B:31:5F:9B:A6:7B:33:0A:9B:D0:95:62:81:0E:FF:22:16:8C:81:48:09:D4:34:DF:45:5E:2A:1B:F1:52',
    },
  ],
};
