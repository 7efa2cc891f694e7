/**
 * What the page's polite live region says about the call (screen readers read it out without
 * moving focus): who joined or left, who muted or turned their camera off, and the page's own mic
 * and camera when a keyboard shortcut changed them.
 */

export interface MediaState {
  audioMuted: boolean;
  videoMuted: boolean;
}

/** How many recent announcements the region keeps (older ones are dropped from the DOM). */
export const ANNOUNCEMENTS_KEPT = 5;

export const joinedText = (name: string): string => `${name} joined`;
export const leftText = (name: string): string => `${name} left`;

/** On entering a call: the room and who is already there. */
export function enteredText(room: string, names: readonly string[]): string {
  if (names.length === 0) return `You joined ${room}. Nobody else is here yet.`;
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `You joined ${room} with ${list}.`;
}

/** Whether a participant's mic / camera has ever been on since the page saw them. */
export interface EverOn {
  mic: boolean;
  camera: boolean;
}

/**
 * One sentence per change between two states of a participant's mic and camera. A participant who
 * just joined shows as muted until their microphone and camera are set up a moment later; that
 * first "on" is part of joining, not news, so turning on is said only for what was on before.
 */
export function mediaChangeTexts(name: string, before: MediaState, after: MediaState, everOn: EverOn = { mic: true, camera: true }): string[] {
  const texts: string[] = [];
  if (before.audioMuted !== after.audioMuted && (after.audioMuted || everOn.mic)) {
    texts.push(after.audioMuted ? `${name} muted their microphone` : `${name} unmuted their microphone`);
  }
  if (before.videoMuted !== after.videoMuted && (after.videoMuted || everOn.camera)) {
    texts.push(after.videoMuted ? `${name} turned their camera off` : `${name} turned their camera on`);
  }
  return texts;
}

/** `everOn` after seeing `state`. */
export function updateEverOn(everOn: EverOn | undefined, state: MediaState): EverOn {
  return { mic: (everOn?.mic ?? false) || !state.audioMuted, camera: (everOn?.camera ?? false) || !state.videoMuted };
}

/** The page's own mic or camera, after a shortcut changed it (the button was not in view of focus). */
export function ownMediaText(source: 'mic' | 'camera', off: boolean): string {
  if (source === 'mic') return off ? 'Your microphone is muted' : 'Your microphone is on';
  return off ? 'Your camera is off' : 'Your camera is on';
}
