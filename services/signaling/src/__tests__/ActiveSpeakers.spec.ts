import { describe, expect, test } from 'vitest';
import { ActiveSpeakers } from '../ActiveSpeakers.ts';

function clock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('ActiveSpeakers', () => {
  test('a join gets the last event seen since it asked the SFU, else the SFU answer', () => {
    const time = clock();
    const speakers = new ActiveSpeakers(() => true, time.now);
    speakers.changed('room', 'alice');
    time.advance(10);
    // Asked after alice's event: the SFU's answer is at least as new.
    expect(speakers.forJoin('room', time.now(), 'bob')).toBe('bob');
    expect(speakers.current('room')).toBe('bob');

    const askedAt = time.advance(10);
    time.advance(5);
    speakers.changed('room', 'carol'); // seen while the join waited for the SFU
    expect(speakers.forJoin('room', askedAt, 'bob')).toBe('carol');
    expect(speakers.current('room')).toBe('carol');
  });

  test('nobody speaking is null, and a forgotten room knows nobody', () => {
    const speakers = new ActiveSpeakers(() => true);
    speakers.changed('room', null);
    expect(speakers.current('room')).toBeNull();
    speakers.changed('room', 'alice');
    speakers.forget('room');
    expect(speakers.current('room')).toBeNull();
    expect(speakers.size).toBe(0);
  });

  test('stale entries of rooms without local peers are swept as others are added; rooms with local peers stay', () => {
    const time = clock();
    const local = new Set(['kept']);
    const speakers = new ActiveSpeakers((roomId) => local.has(roomId), time.now);
    speakers.changed('kept', 'alice');
    for (let room = 0; room < 64; room += 1) speakers.changed(`old-${room}`, 'x');
    time.advance(60_000);
    // The map doubles before it is swept again (amortised): these 70 fresh rooms trigger one sweep.
    for (let room = 0; room < 70; room += 1) speakers.changed(`new-${room}`, 'y');
    expect(speakers.current('kept')).toBe('alice');
    expect(speakers.current('new-0')).toBe('y');
    expect(speakers.current('old-0')).toBeNull();
    expect(speakers.size).toBe(1 + 70);
  });
});
