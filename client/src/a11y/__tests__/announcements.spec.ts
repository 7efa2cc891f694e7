import { describe, expect, it } from 'vitest';
import { enteredText, joinedText, leftText, mediaChangeTexts, ownMediaText, updateEverOn } from '../announcements.ts';

describe('live-region announcements', () => {
  it('say who joined and left', () => {
    expect(joinedText('Bob')).toBe('Bob joined');
    expect(leftText('Bob')).toBe('Bob left');
  });

  it('say where the person landed and who is there', () => {
    expect(enteredText('standup', [])).toBe('You joined standup. Nobody else is here yet.');
    expect(enteredText('standup', ['Bob'])).toBe('You joined standup with Bob.');
    expect(enteredText('standup', ['Bob', 'Carol', 'Dan'])).toBe('You joined standup with Bob, Carol and Dan.');
  });

  it('say each mic or camera change, and nothing when nothing changed', () => {
    const on = { audioMuted: false, videoMuted: false };
    expect(mediaChangeTexts('Bob', on, { audioMuted: true, videoMuted: false })).toEqual(['Bob muted their microphone']);
    expect(mediaChangeTexts('Bob', { audioMuted: true, videoMuted: true }, on)).toEqual([
      'Bob unmuted their microphone',
      'Bob turned their camera on',
    ]);
    expect(mediaChangeTexts('Bob', on, { audioMuted: false, videoMuted: true })).toEqual(['Bob turned their camera off']);
    expect(mediaChangeTexts('Bob', on, on)).toEqual([]);
  });

  it("leave out a newcomer's mic and camera coming on as part of joining, but not a later unmute", () => {
    const joining = { audioMuted: true, videoMuted: true };
    const on = { audioMuted: false, videoMuted: false };
    let everOn = updateEverOn(undefined, joining);
    expect(everOn).toEqual({ mic: false, camera: false });
    expect(mediaChangeTexts('Bob', joining, on, everOn)).toEqual([]);
    everOn = updateEverOn(everOn, on);
    expect(mediaChangeTexts('Bob', on, joining, everOn)).toEqual(['Bob muted their microphone', 'Bob turned their camera off']);
    everOn = updateEverOn(everOn, joining);
    expect(everOn).toEqual({ mic: true, camera: true });
    expect(mediaChangeTexts('Bob', joining, on, everOn)).toEqual(['Bob unmuted their microphone', 'Bob turned their camera on']);
    // Joined with the camera off and the mic on: turning the camera on later is news only once it was on.
    expect(mediaChangeTexts('Bob', { audioMuted: false, videoMuted: true }, on, updateEverOn(undefined, { audioMuted: false, videoMuted: true }))).toEqual([]);
  });

  it("say the page's own state after a shortcut", () => {
    expect(ownMediaText('mic', true)).toBe('Your microphone is muted');
    expect(ownMediaText('camera', false)).toBe('Your camera is on');
  });
});
