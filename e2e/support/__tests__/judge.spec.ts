import { describe, expect, it } from 'vitest';
import { judge, type HopFigures, type StreamFigures } from '../scenario/judge.ts';
import { estimatedMos } from '../scenario/mos.ts';

const clean: HopFigures = { loss: 0, jitterSeconds: 0.002, roundTripSeconds: 0.002 };

function stream(sender: string, receiver: string, hops: Partial<Record<'uplink' | 'sfu' | 'downlink', Partial<HopFigures>>> = {}): StreamFigures {
  const kind = () => ({ uplink: { ...clean, ...hops.uplink }, sfu: { ...clean, ...hops.sfu }, downlink: { ...clean, ...hops.downlink } });
  return {
    window: 'w',
    sender,
    receiver,
    hops: { audio: kind(), video: kind() },
    video: null,
    audio: { levelDb: -30, dominantPitchHz: 140, seconds: 10, expectedPitchHz: 140, lossPercent: 0, mos: 4.38 },
  };
}

describe('judge', () => {
  const thresholds = { maxHopLoss: 0.02, maxRoundTripSeconds: 0.1, minAudioLevelDb: -50, minMos: 4 };

  it('passes clean streams', () => {
    expect(judge([stream('alice', 'bob'), stream('bob', 'alice')], thresholds)).toMatchObject({ pass: true, brokenHops: [] });
  });

  it("names the sender's uplink and the receiver's downlink as the broken hops", () => {
    const up = judge([stream('alice', 'bob', { uplink: { loss: 0.1 } })], thresholds);
    expect(up.brokenHops).toEqual([{ participant: 'alice', hop: 'uplink' }]);
    const down = judge([stream('alice', 'bob', { downlink: { loss: 0.1 } })], thresholds);
    expect(down.brokenHops).toEqual([{ participant: 'bob', hop: 'downlink' }]);
    expect(judge([stream('alice', 'bob', { sfu: { loss: 0.1 } })], thresholds).brokenHops).toEqual([{ participant: null, hop: 'sfu' }]);
  });

  it('an end-to-end failure with no broken hop on its path is unexplained; with one, it is explained', () => {
    const quiet = stream('alice', 'bob');
    quiet.audio = { ...quiet.audio!, dominantPitchHz: 200 };
    expect(judge([quiet], thresholds)).toMatchObject({ pass: false, brokenHops: [] });
    expect(judge([quiet], thresholds).unexplained).toHaveLength(1);
    const lossy = stream('alice', 'bob', { uplink: { loss: 0.1 } });
    lossy.audio = { ...lossy.audio!, mos: 3.1 };
    expect(judge([lossy], thresholds).unexplained).toEqual([]);
  });

  it("a muted microphone's hops are not judged", () => {
    const muted = stream('alice', 'bob', { uplink: { loss: 0.5 } });
    muted.audio = null;
    // The video hops carry the same loss figures here, and video is off too.
    expect(judge([muted], thresholds).pass).toBe(true);
  });
});

describe('judge: fault steps', () => {
  it('an interruption longer than allowed, or media that never came back, fails the stream', () => {
    const interruptions = [
      { fault: 'worker killed', receiver: 'bob', sender: 'alice', seconds: 1.3 },
      { fault: 'worker killed', receiver: 'alice', sender: 'bob', seconds: 7.5 },
      { fault: 'worker killed', receiver: 'carol', sender: 'bob', seconds: null },
    ];
    const verdict = judge([], { maxInterruptionSeconds: 5 }, {}, interruptions);
    expect(verdict.pass).toBe(false);
    expect(verdict.violations.map((violation) => [violation.stream, violation.value])).toEqual([
      ['bob → alice', 7.5],
      ['bob → carol', -1],
    ]);
  });
});

describe('estimatedMos (E-model)', () => {
  it('a clean fast path is near the top of the scale; 10 % loss is "fair"', () => {
    expect(estimatedMos({ lossPercent: 0, uplinkRttSeconds: 0.002, downlinkRttSeconds: 0.002, jitterSeconds: 0.002 })).toBeCloseTo(4.38, 1);
    const lossy = estimatedMos({ lossPercent: 10, uplinkRttSeconds: 0.002, downlinkRttSeconds: 0.002, jitterSeconds: 0.002 });
    expect(lossy).toBeGreaterThan(2.9);
    expect(lossy).toBeLessThan(3.3);
    // Past G.114's 177 ms of one-way delay the score falls faster.
    expect(estimatedMos({ lossPercent: 0, uplinkRttSeconds: 0.4, downlinkRttSeconds: 0.4, jitterSeconds: 0.002 })).toBeLessThan(4);
  });
});
