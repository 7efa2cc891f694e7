import { describe, expect, it } from 'vitest';
import {
  audioReceiveStats,
  audioSendStats,
  inboundStreamReading,
  inboundStreamStats,
  qualityLimitationReason,
  selectedCandidatePairStats,
  videoReceiveStats,
  videoSendStats,
} from '../rtcStats.ts';
import { requests } from '../signaling.ts';

// Shapes as Chromium reports them (trimmed): an RTCStatsReport is a map of id → stats dictionary.
const report = new Map<string, Record<string, unknown>>([
  ['T01', { type: 'transport', id: 'T01', bytesReceived: 1000 }],
  ['CP1', { type: 'candidate-pair', id: 'CP1', currentRoundTripTime: 0.001 }],
  [
    'IT01V',
    {
      type: 'inbound-rtp',
      kind: 'video',
      timestamp: 1_764_000_000_100.5,
      framesReceived: 122,
      framesDecoded: 120,
      framesPerSecond: 30,
      freezeCount: 2,
      totalFreezesDuration: 0.41,
      packetsLost: 2,
      jitter: 0.004,
      packetsReceived: 400,
    },
  ],
  [
    'IT01A',
    { type: 'inbound-rtp', kind: 'audio', timestamp: 1_764_000_000_200, packetsReceived: 250, packetsLost: 1, jitter: 0.002, totalSamplesReceived: 240000, concealedSamples: 960 },
  ],
  [
    'OT01V',
    {
      type: 'outbound-rtp',
      kind: 'video',
      timestamp: 1_764_000_000_300,
      framesEncoded: 130,
      framesSent: 129,
      packetsSent: 510,
      retransmittedPacketsSent: 7,
      nackCount: 3,
      pliCount: 1,
      ssrc: 3001,
      rtxSsrc: 3002,
      frameWidth: 640,
      frameHeight: 480,
      framesPerSecond: 29.5,
    },
  ],
  ['OT01A', { type: 'outbound-rtp', kind: 'audio', timestamp: 1_764_000_000_400, packetsSent: 260, ssrc: 4001 }],
]);

describe('receiver stats', () => {
  it('reads the video inbound-rtp figures, freezes included', () => {
    expect(videoReceiveStats(report)).toEqual({
      timestamp: 1_764_000_000_100.5,
      framesReceived: 122,
      framesDecoded: 120,
      framesPerSecond: 30,
      freezeCount: 2,
      totalFreezesDuration: 0.41,
      packetsLost: 2,
      jitter: 0.004,
    });
  });

  it('reads the audio inbound-rtp figures', () => {
    expect(audioReceiveStats(report)).toEqual({ timestamp: 1_764_000_000_200, packetsReceived: 250, packetsLost: 1, jitter: 0.002, totalSamplesReceived: 240000, concealedSamples: 960 });
  });

  it('is null before the first packet (no inbound-rtp entry yet)', () => {
    const early = new Map([['T01', { type: 'transport' }]]);
    expect(videoReceiveStats(early)).toBeNull();
    expect(audioReceiveStats(early)).toBeNull();
  });

  it('reports 0 for figures the browser has not filled in yet', () => {
    const partial = new Map([['IT', { type: 'inbound-rtp', kind: 'video', framesDecoded: 3 }]]);
    expect(videoReceiveStats(partial)).toEqual({
      timestamp: 0,
      framesReceived: 0,
      framesDecoded: 3,
      framesPerSecond: 0,
      freezeCount: 0,
      totalFreezesDuration: 0,
      packetsLost: 0,
      jitter: 0,
    });
  });

  it('reads an array of stats dictionaries as well (a report passed out of a page as JSON)', () => {
    expect(videoReceiveStats([...report.values()])?.framesDecoded).toBe(120);
  });
});

describe('sender stats', () => {
  it('reads the video outbound-rtp figures and the SSRCs seen on the wire', () => {
    expect(videoSendStats(report)).toEqual({
      timestamp: 1_764_000_000_300,
      framesEncoded: 130,
      framesSent: 129,
      packetsSent: 510,
      retransmittedPacketsSent: 7,
      nackCount: 3,
      pliCount: 1,
      ssrc: 3001,
      rtxSsrc: 3002,
      frameWidth: 640,
      frameHeight: 480,
      framesPerSecond: 29.5,
    });
  });

  it('reads the audio outbound-rtp figures', () => {
    expect(audioSendStats(report)).toEqual({ timestamp: 1_764_000_000_400, packetsSent: 260, ssrc: 4001 });
  });

  it('has no RTX SSRC when none was negotiated, and is null before anything was sent', () => {
    const noRtx = new Map([['OT', { type: 'outbound-rtp', kind: 'video', framesSent: 1, ssrc: 9 }]]);
    expect(videoSendStats(noRtx)?.rtxSsrc).toBeNull();
    expect(videoSendStats(new Map())).toBeNull();
    expect(audioSendStats(new Map())).toBeNull();
  });

  it('does not mistake received streams for sent ones', () => {
    const receiveOnly = new Map([['IT', { type: 'inbound-rtp', kind: 'video', framesDecoded: 3 }]]);
    expect(videoSendStats(receiveOnly)).toBeNull();
  });
});

describe('reportStats sample figures', () => {
  /** What a video receiver reports and the sample carries as it is. */
  const videoFigures = {
    jitter: 0.004,
    packetsLost: 2,
    packetsReceived: 400,
    framesDecoded: 120,
    framesDropped: 1,
    freezeCount: 2,
    totalFreezesDuration: 0.41,
    jitterBufferDelay: 6.3,
    jitterBufferEmittedCount: 120,
  };
  // framesPerSecond is not part of the sample.
  const videoReceiver = new Map([['IT01V', { type: 'inbound-rtp', kind: 'video', ...videoFigures, framesPerSecond: 30 }]]);
  const audioReceiver = new Map<string, Record<string, unknown>>([
    [
      'IT01A',
      { type: 'inbound-rtp', kind: 'audio', jitter: 0.002, packetsLost: -1, packetsReceived: 250, concealedSamples: 960, jitterBufferDelay: 4.8, jitterBufferEmittedCount: 96000 },
    ],
  ]);

  it('reads a video stream: the common figures, the video ones and the jitter buffer', () => {
    expect(inboundStreamStats(videoReceiver, 'video')).toEqual(videoFigures);
  });

  it('reads an audio stream without video fields, and a negative packetsLost (duplicates) as 0', () => {
    expect(inboundStreamStats(audioReceiver, 'audio')).toEqual({
      jitter: 0.002,
      packetsLost: 0,
      packetsReceived: 250,
      concealedSamples: 960,
      jitterBufferDelay: 4.8,
      jitterBufferEmittedCount: 96000,
    });
  });

  it('leaves out what the browser does not report, and is null before the first packet', () => {
    const partial = new Map([['IT', { type: 'inbound-rtp', kind: 'video', packetsReceived: 3 }]]);
    expect(inboundStreamStats(partial, 'video')).toEqual({ jitter: 0, packetsLost: 0, packetsReceived: 3 });
    expect(inboundStreamStats(new Map(), 'audio')).toBeNull();
  });

  it('reads the video sender’s quality limitation reason; null for an unknown reason or no video sender', () => {
    const sender = (reason: unknown) => new Map([['OT', { type: 'outbound-rtp', kind: 'video', qualityLimitationReason: reason }]]);
    expect(qualityLimitationReason(sender('bandwidth'))).toBe('bandwidth');
    expect(qualityLimitationReason(sender('thermal'))).toBeNull();
    expect(qualityLimitationReason(new Map([['OT', { type: 'outbound-rtp', kind: 'audio' }]]))).toBeNull();
  });

  it('reads the selected candidate pair named by the transport (Chromium), else the one marked selected (Firefox)', () => {
    const chromium = new Map<string, Record<string, unknown>>([
      ['CPa', { type: 'candidate-pair', id: 'CPa', nominated: true, state: 'succeeded', currentRoundTripTime: 0.5 }],
      ['CPb', { type: 'candidate-pair', id: 'CPb', currentRoundTripTime: 0.012, availableOutgoingBitrate: 2_500_000 }],
      ['T01', { type: 'transport', id: 'T01', selectedCandidatePairId: 'CPb' }],
    ]);
    expect(selectedCandidatePairStats(chromium)).toEqual({ currentRoundTripTime: 0.012, availableOutgoingBitrate: 2_500_000 });
    const firefox = new Map([['P', { type: 'candidate-pair', id: 'P', selected: true, currentRoundTripTime: 0.02 }]]);
    expect(selectedCandidatePairStats(firefox)).toEqual({ currentRoundTripTime: 0.02 });
    expect(selectedCandidatePairStats(new Map([['P', { type: 'candidate-pair', id: 'P', state: 'in-progress' }]]))).toBeNull();
  });

  it('produces figures the reportStats schema accepts', () => {
    const sample = {
      v: 1,
      inbound: { c1: inboundStreamStats(videoReceiver, 'video'), c2: inboundStreamStats(audioReceiver, 'audio') },
      outbound: { camera: { qualityLimitationReason: 'cpu' } },
      transports: { send: selectedCandidatePairStats(new Map([['P', { type: 'candidate-pair', id: 'P', selected: true, currentRoundTripTime: 0.02 }]])) },
    };
    expect(requests.reportStats.safeParse(sample).success).toBe(true);
  });
});

describe('connection details reading', () => {
  it('is the reportStats figures of the stream plus bytes, decoded size, frame rate and the entry time', () => {
    const video = new Map<string, Record<string, unknown>>([
      [
        'IT02V',
        {
          type: 'inbound-rtp',
          kind: 'video',
          timestamp: 1000,
          jitter: 0.004,
          packetsLost: 2,
          packetsReceived: 400,
          framesDecoded: 120,
          bytesReceived: 50_000,
          frameWidth: 640,
          frameHeight: 480,
          framesPerSecond: 30,
        },
      ],
    ]);
    const reading = inboundStreamReading(video, 'video');
    expect(reading).toMatchObject({ ...inboundStreamStats(video, 'video'), timestamp: 1000, bytesReceived: 50_000, frameWidth: 640, frameHeight: 480, framesPerSecond: 30 });
  });

  it('has no size or frame rate before the first decoded frame, and is null before the first packet', () => {
    const audio = new Map([['A', { type: 'inbound-rtp', kind: 'audio', timestamp: 5, jitter: 0.01, packetsLost: -1, packetsReceived: 3, bytesReceived: 90 }]]);
    expect(inboundStreamReading(audio, 'audio')).toMatchObject({ packetsLost: 0, frameWidth: null, frameHeight: null, framesPerSecond: null, bytesReceived: 90 });
    expect(inboundStreamReading(audio, 'video')).toBeNull();
  });

  it('picks one stream out of a whole transport report by its track', () => {
    const stream = (trackIdentifier: string, packetsReceived: number) => ({ type: 'inbound-rtp', kind: 'video', trackIdentifier, timestamp: 7, packetsReceived, bytesReceived: 1 });
    const transport = new Map([
      ['V1', stream('track-alice', 100)],
      ['V2', stream('track-bob', 200)],
    ]);
    expect(inboundStreamReading(transport, 'video', 'track-alice')?.packetsReceived).toBe(100);
    expect(inboundStreamReading(transport, 'video', 'track-bob')?.packetsReceived).toBe(200);
    expect(inboundStreamReading(transport, 'video', 'track-carol')).toBeNull();
  });
});
