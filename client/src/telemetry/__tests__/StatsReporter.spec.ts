import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requests, type StatsSample } from '@lab/proto/signaling';
import { STATS_REPORT_INTERVAL_MS, StatsReporter, collectStatsSample, type StatsSources } from '../StatsReporter.ts';

/** A getStats() answer as Chromium gives it (an RTCStatsReport is a map of id → stats dictionary). */
const report = (...entries: Record<string, unknown>[]) =>
  new Map(entries.map((entry, index) => [String(entry.id ?? index), entry])) as unknown as RTCStatsReport;

const provider = (stats: RTCStatsReport | Error, closed = false) => ({
  closed,
  getStats: () => (stats instanceof Error ? Promise.reject(stats) : Promise.resolve(stats)),
});

const videoIn = { type: 'inbound-rtp', kind: 'video', jitter: 0.01, packetsLost: 1, packetsReceived: 300, framesDecoded: 90, framesDropped: 0, freezeCount: 0, totalFreezesDuration: 0 };
const audioIn = { type: 'inbound-rtp', kind: 'audio', jitter: 0.002, packetsLost: 0, packetsReceived: 250, concealedSamples: 0 };
const pair = (rtt: number) => [
  { type: 'candidate-pair', id: 'CP', currentRoundTripTime: rtt, availableOutgoingBitrate: 1_500_000 },
  { type: 'transport', id: 'T', selectedCandidatePairId: 'CP' },
];

function sources(overrides: Partial<{ [K in keyof StatsSources]: ReturnType<StatsSources[K]> }> = {}): StatsSources {
  return {
    consumers: () =>
      overrides.consumers ?? [
        { id: 'c-video', kind: 'video', ...provider(report(videoIn)) },
        { id: 'c-audio', kind: 'audio', ...provider(report(audioIn)) },
      ],
    producers: () =>
      overrides.producers ?? [
        ['camera', { kind: 'video', ...provider(report({ type: 'outbound-rtp', kind: 'video', qualityLimitationReason: 'cpu' })) }],
        // Would fail the sample if it were asked: audio senders have no quality limitation to read.
        ['mic', { kind: 'audio', ...provider(new Error('not to be asked')) }],
      ],
    transports: () => overrides.transports ?? { send: provider(report(...pair(0.02))), recv: provider(report(...pair(0.03))) },
  };
}

describe('collectStatsSample', () => {
  it('reads every consumer by its id, the senders’ quality limitation and both transports, in the protocol’s shape', async () => {
    const sample = await collectStatsSample(sources());
    expect(sample).toEqual({
      v: 1,
      inbound: {
        'c-video': { jitter: 0.01, packetsLost: 1, packetsReceived: 300, framesDecoded: 90, framesDropped: 0, freezeCount: 0, totalFreezesDuration: 0 },
        'c-audio': { jitter: 0.002, packetsLost: 0, packetsReceived: 250, concealedSamples: 0 },
      },
      outbound: { camera: { qualityLimitationReason: 'cpu' } },
      transports: { send: { currentRoundTripTime: 0.02, availableOutgoingBitrate: 1_500_000 }, recv: { currentRoundTripTime: 0.03 } },
    });
    expect(requests.reportStats.safeParse(sample).success).toBe(true);
  });

  it('leaves out what has no figures yet or is closing, and sends at most 64 streams', async () => {
    const many = Array.from({ length: 70 }, (_, index) => ({ id: `c${index}`, kind: 'audio' as const, ...provider(report(audioIn)) }));
    const sample = await collectStatsSample(
      sources({
        consumers: [{ id: 'closing', kind: 'video', ...provider(new Error('closed'), true) }, { id: 'no-packet-yet', kind: 'video', ...provider(report()) }, ...many],
        producers: [['camera', { kind: 'video', ...provider(report({ type: 'outbound-rtp', kind: 'video' })) }]],
        transports: {},
      }),
    );
    expect(Object.keys(sample.inbound)).toHaveLength(62); // 64 read, two of them without figures
    expect(sample.inbound).not.toHaveProperty('closing');
    expect(sample.outbound).toEqual({});
    expect(sample.transports).toEqual({});
  });

  it('fails when an open object cannot give its stats (a real problem, for the reporter to log)', async () => {
    await expect(collectStatsSample(sources({ consumers: [{ id: 'c', kind: 'video', ...provider(new Error('getStats broke')) }] }))).rejects.toThrow(
      'getStats broke',
    );
  });
});

describe('StatsReporter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const sample: StatsSample = { v: 1, inbound: {}, outbound: {}, transports: {} };

  it(`reports every ${STATS_REPORT_INTERVAL_MS / 1000} s from start() until stop()`, async () => {
    const send = vi.fn(async () => ({}));
    const reporter = new StatsReporter({ collect: async () => sample, send });
    reporter.start();
    await vi.advanceTimersByTimeAsync(STATS_REPORT_INTERVAL_MS - 1);
    expect(send).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(send).toHaveBeenCalledExactlyOnceWith(sample);
    await vi.advanceTimersByTimeAsync(2 * STATS_REPORT_INTERVAL_MS);
    expect(send).toHaveBeenCalledTimes(3);
    reporter.stop();
    await vi.advanceTimersByTimeAsync(10 * STATS_REPORT_INTERVAL_MS);
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('one report at a time: the next is due an interval after the previous one ended', async () => {
    let answer!: () => void;
    const send = vi.fn(() => new Promise<void>((resolve) => (answer = resolve)));
    const reporter = new StatsReporter({ collect: async () => sample, send, intervalMs: 100 });
    reporter.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(send).toHaveBeenCalledTimes(1);
    answer();
    await vi.advanceTimersByTimeAsync(100);
    expect(send).toHaveBeenCalledTimes(2);
    reporter.stop();
  });

  it('logs a failed report and goes on with the next one', async () => {
    const onError = vi.fn();
    const send = vi.fn().mockRejectedValueOnce(new Error('rate_limited')).mockResolvedValue({});
    const reporter = new StatsReporter({ collect: async () => sample, send, intervalMs: 100, onError });
    reporter.start();
    await vi.advanceTimersByTimeAsync(200);
    expect(onError).toHaveBeenCalledExactlyOnceWith(new Error('rate_limited'));
    expect(send).toHaveBeenCalledTimes(2);
    reporter.stop();
  });
});
