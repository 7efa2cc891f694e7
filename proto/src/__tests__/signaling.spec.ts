import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, MAX_REPORTED_STREAMS, RequestEnvelope, describeZodError, pushes, requests } from '../signaling.ts';

describe('signaling protocol v1 schemas', () => {
  it('accepts a well-formed join and trims the display name', () => {
    const parsed = requests.join.parse({ roomId: 'daily-standup_2', displayName: '  Ada  ' });
    expect(parsed).toEqual({ roomId: 'daily-standup_2', displayName: 'Ada' });
  });

  it('rejects a bad room id and a too-long name with messages that name the field', () => {
    const result = requests.join.safeParse({ roomId: 'no spaces!', displayName: 'x'.repeat(65) });
    expect(result.success).toBe(false);
    const message = describeZodError(result.error!);
    expect(message).toContain('roomId: roomId must be 1..64 characters of A-Z');
    expect(message).toContain('displayName: displayName must be 1..64 characters');
  });

  it('rejects unknown fields instead of ignoring them', () => {
    const result = requests.setMuted.safeParse({ source: 'mic', muted: true, admin: true });
    expect(result.success).toBe(false);
    expect(describeZodError(result.error!)).toMatch(/admin/);
  });

  it('knows a screen share as a video source that is produced and closed, never muted', () => {
    const produce = requests.produce.safeParse({ transportId: 't', kind: 'video', source: 'screen', rtpParameters: {} });
    expect(produce.success).toBe(true);
    const mute = requests.setMuted.safeParse({ source: 'screen', muted: true });
    expect(mute.success).toBe(false);
    expect(describeZodError(mute.error!)).toBe('source: source must be "mic" or "camera" (a screen share is stopped with closeProducer)');
    const sample = requests.reportStats.safeParse({ v: 1, inbound: {}, outbound: { screen: { qualityLimitationReason: 'cpu' } }, transports: {} });
    expect(sample.success).toBe(true);
  });

  it('fills produce defaults without touching the input object', () => {
    const input = { transportId: 't', kind: 'audio', source: 'mic', rtpParameters: { codecs: [] } };
    const parsed = requests.produce.parse(input);
    expect(parsed.paused).toBe(false);
    expect(input).not.toHaveProperty('paused');
  });

  it('requires an integer request id in the envelope', () => {
    expect(RequestEnvelope.safeParse({ id: 1.5, method: 'join', data: {} }).success).toBe(false);
    expect(RequestEnvelope.safeParse({ id: 7, method: 'join', data: {} }).success).toBe(true);
  });

  it('validates pushes the client receives', () => {
    expect(pushes.peerLeft.safeParse({ peerId: 'p1', reason: 'left' }).success).toBe(true);
    expect(pushes.peerMediaChanged.safeParse({ peerId: 'p1', audioMuted: 'yes', videoMuted: false }).success).toBe(false);
  });

  it('names the active speaker, or null for nobody; an empty or missing peer id is refused', () => {
    expect(pushes.activeSpeaker.safeParse({ peerId: 'p1' }).success).toBe(true);
    expect(pushes.activeSpeaker.safeParse({ peerId: null }).success).toBe(true);
    expect(pushes.activeSpeaker.safeParse({ peerId: '' }).success).toBe(false);
    expect(pushes.activeSpeaker.safeParse({}).success).toBe(false);
  });
});

describe('reportStats', () => {
  const stream = { jitter: 0.01, packetsLost: 0, packetsReceived: 10 };
  const sample = (overrides: Record<string, unknown> = {}) => ({ v: 1, inbound: { c1: stream }, outbound: {}, transports: {}, ...overrides });
  const problem = (data: unknown) => {
    const result = requests.reportStats.safeParse(data);
    return result.success ? undefined : describeZodError(result.error);
  };

  it('accepts a compact sample: streams by consumer id, senders by source, transports by direction', () => {
    expect(
      problem(
        sample({
          inbound: { c1: { ...stream, framesDecoded: 5, jitterBufferDelay: 0.4, jitterBufferEmittedCount: 5 }, c2: { ...stream, concealedSamples: 0 } },
          outbound: { mic: { qualityLimitationReason: 'none' }, camera: { qualityLimitationReason: 'bandwidth' } },
          transports: { send: { currentRoundTripTime: 0.02, availableOutgoingBitrate: 1e6 }, recv: { currentRoundTripTime: 0.02 } },
        }),
      ),
    ).toBeUndefined();
  });

  it('names the version it reads', () => {
    expect(problem(sample({ v: 2 }))).toBe('v: v must be 1 (the stats sample version)');
  });

  it('refuses negative, non-finite and fractional counts, naming the field', () => {
    expect(problem(sample({ inbound: { c1: { ...stream, jitter: -0.1 } } }))).toBe('inbound.c1.jitter: must be a finite number >= 0');
    expect(problem(sample({ inbound: { c1: { ...stream, packetsLost: 1.5 } } }))).toBe('inbound.c1.packetsLost: must be a whole number');
    expect(problem(sample({ transports: { send: { availableOutgoingBitrate: Number.POSITIVE_INFINITY } } }))).toMatch(/^transports\.send\.availableOutgoingBitrate: /);
  });

  it('refuses unknown fields, reasons and sources, an outgoing bitrate on the receive transport and a bad consumer id', () => {
    expect(problem(sample({ inbound: { c1: { ...stream, extra: 1 } } }))).toMatch(/inbound\.c1: Unrecognized key: "extra"/);
    expect(problem(sample({ outbound: { camera: { qualityLimitationReason: 'thermal' } } }))).toMatch(/^outbound\.camera\.qualityLimitationReason: /);
    expect(problem(sample({ outbound: { window: { qualityLimitationReason: 'none' } } }))).toMatch(/Unrecognized key: "window"/);
    expect(problem(sample({ transports: { recv: { availableOutgoingBitrate: 1 } } }))).toMatch(/transports\.recv: Unrecognized key/);
    expect(problem(sample({ inbound: { ['x'.repeat(129)]: stream } }))).toMatch(/keys must be consumer ids/);
  });

  it(`caps a sample at ${MAX_REPORTED_STREAMS} inbound streams, and such a sample fits in one frame`, () => {
    const many = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, index) => [
          `${index}`.padStart(128, 'c'),
          { ...stream, framesDecoded: 2 ** 40, framesDropped: 2 ** 40, freezeCount: 2 ** 40, totalFreezesDuration: 1e9 / 3, jitterBufferDelay: 1e9 / 7, jitterBufferEmittedCount: 2 ** 40, concealedSamples: 2 ** 40 },
        ]),
      );
    expect(problem(sample({ inbound: many(MAX_REPORTED_STREAMS + 1) }))).toBe(`inbound: at most ${MAX_REPORTED_STREAMS} inbound streams per sample`);
    const largest = sample({
      inbound: many(MAX_REPORTED_STREAMS),
      outbound: { mic: { qualityLimitationReason: 'bandwidth' }, camera: { qualityLimitationReason: 'bandwidth' } },
      transports: { send: { currentRoundTripTime: 1e9 / 3, availableOutgoingBitrate: 1e12 / 7 }, recv: { currentRoundTripTime: 1e9 / 3 } },
    });
    expect(problem(largest)).toBeUndefined();
    const frame = JSON.stringify({ id: Number.MAX_SAFE_INTEGER, method: 'reportStats', data: largest });
    expect(new TextEncoder().encode(frame).byteLength).toBeLessThan(MAX_MESSAGE_BYTES);
  });
});
