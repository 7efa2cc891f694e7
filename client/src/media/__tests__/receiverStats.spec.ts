import { describe, expect, it } from 'vitest';
import { audioReceiveStats, videoReceiveStats } from '../receiverStats.ts';

// Shapes as Chromium reports them (trimmed): an RTCStatsReport is a map of id → stats dictionary.
const report = new Map<string, Record<string, unknown>>([
  ['T01', { type: 'transport', id: 'T01', bytesReceived: 1000 }],
  ['CP1', { type: 'candidate-pair', id: 'CP1', currentRoundTripTime: 0.001 }],
  [
    'IT01V',
    { type: 'inbound-rtp', kind: 'video', framesDecoded: 120, framesPerSecond: 30, packetsLost: 2, jitter: 0.004, packetsReceived: 400 },
  ],
  [
    'IT01A',
    { type: 'inbound-rtp', kind: 'audio', packetsReceived: 250, packetsLost: 1, jitter: 0.002, totalSamplesReceived: 240000 },
  ],
]);

describe('receiver stats', () => {
  it('reads the video inbound-rtp figures', () => {
    expect(videoReceiveStats(report)).toEqual({ framesDecoded: 120, framesPerSecond: 30, packetsLost: 2, jitter: 0.004 });
  });

  it('reads the audio inbound-rtp figures', () => {
    expect(audioReceiveStats(report)).toEqual({ packetsReceived: 250, packetsLost: 1, jitter: 0.002, totalSamplesReceived: 240000 });
  });

  it('is null before the first packet (no inbound-rtp entry yet)', () => {
    const early = new Map([['T01', { type: 'transport' }]]);
    expect(videoReceiveStats(early)).toBeNull();
    expect(audioReceiveStats(early)).toBeNull();
  });

  it('reports 0 for figures the browser has not filled in yet', () => {
    const partial = new Map([['IT', { type: 'inbound-rtp', kind: 'video', framesDecoded: 3 }]]);
    expect(videoReceiveStats(partial)).toEqual({ framesDecoded: 3, framesPerSecond: 0, packetsLost: 0, jitter: 0 });
  });
});
