import { describe, expect, it } from 'vitest';
import { RequestEnvelope, describeZodError, pushes, requests } from '../signaling.ts';

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
});
