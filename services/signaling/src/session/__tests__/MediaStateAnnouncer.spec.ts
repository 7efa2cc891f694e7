import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { MediaStateAnnouncer, type MediaState } from '../MediaStateAnnouncer.ts';

describe('MediaStateAnnouncer', () => {
  let state: MediaState;
  let published: MediaState[];
  let active: boolean;
  let announcer: MediaStateAnnouncer;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    state = { audioMuted: true, videoMuted: true };
    published = [];
    active = true;
    announcer = new MediaStateAnnouncer({
      windowMs: 100,
      current: () => ({ ...state }),
      publish: async (now) => {
        published.push(now);
      },
      active: () => active,
    });
  });
  afterEach(() => vi.useRealTimers());

  test('nothing changed → nothing announced', async () => {
    await announcer.changed();
    await vi.advanceTimersByTimeAsync(500);
    expect(published).toEqual([]);
  });

  test('the first change goes out at once; a burst inside the window becomes one announcement of the final state', async () => {
    state.audioMuted = false;
    await announcer.changed();
    expect(published).toEqual([{ audioMuted: false, videoMuted: true }]);
    for (let toggle = 0; toggle < 201; toggle++) {
      state.audioMuted = !state.audioMuted;
      await announcer.changed();
    }
    expect(published).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(published).toEqual([
      { audioMuted: false, videoMuted: true },
      { audioMuted: true, videoMuted: true },
    ]);
  });

  test('a burst that ends where it started announces nothing more', async () => {
    state.audioMuted = false;
    await announcer.changed();
    state.audioMuted = true;
    await announcer.changed();
    state.audioMuted = false;
    await announcer.changed();
    await vi.advanceTimersByTimeAsync(100);
    expect(published).toHaveLength(1);
  });

  test('a pending announcement is dropped once the peer is leaving or cleared', async () => {
    state.audioMuted = false;
    await announcer.changed();
    state.audioMuted = true;
    await announcer.changed();
    active = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(published).toHaveLength(1);
    active = true;
    state.videoMuted = false;
    await announcer.changed();
    expect(published).toHaveLength(2);
    state.videoMuted = true;
    await announcer.changed();
    announcer.clear();
    await vi.advanceTimersByTimeAsync(200);
    expect(published).toHaveLength(2);
  });
});
