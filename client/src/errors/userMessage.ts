/**
 * Every error a person can see on the page, in words: what happened and what to do next. Close
 * codes, protocol error codes, method names and stack text stay out of the sentence; they are kept
 * in `detail` (the console, and the banner's `data-detail` for tests and whoever debugs the page).
 */
import { SignalingError } from '../signaling/SignalingError.ts';

export interface UserMessage {
  /** The sentence shown to the person. */
  text: string;
  /** The technical description (error name, code, message) for the console and the DOM. */
  detail: string;
}

/** An error whose message was written for people already (form validation, device problems). */
export class UserFacingError extends Error {
  override readonly name = 'UserFacingError';
}

export const MESSAGES = {
  unreachable: 'Could not reach the call server. Check your connection and try again.',
  outdatedPage: 'This page is out of date for the call server. Reload the page and join again.',
  timeout: 'The call server did not answer in time. Check your connection and try again.',
  unavailable: 'The call service is busy or restarting. Try again in a moment.',
  roomFull: 'This room is full. Try again when someone leaves, or use another room.',
  rateLimited: 'Too many attempts in a short time. Wait a minute, then try again.',
  limitExceeded: 'The call could not add more audio or video for you. Leave and join again.',
  serverFault: 'Something went wrong on the call server. Try again; if it keeps happening, reload the page.',
  pageFault: 'The page and the call server did not understand each other. Reload the page and join again.',
  lostServer: 'Lost the connection to the call server and could not get back. Check your connection, then join again.',
  sendFailed: 'Your audio and video stopped reaching the others and could not be restored. Leave and join again.',
  receiveFailed: "The others' audio and video stopped reaching you and could not be restored. Leave and join again.",
  restoreFailed: "The call's audio and video could not be restored. Leave and join again.",
  receiveOneFailed: "Could not receive a participant's audio or video. The call goes on; leave and join again to retry.",
  unexpected: 'Something went wrong. If the call does not work, reload the page.',
  reconnecting: 'Lost the connection to the call server. Trying again…',
} as const;

/**
 * The call session's own failures (media/CallSession.ts words them for developers, with close codes
 * and the underlying error appended), recognised by how their message starts.
 */
const SESSION_FAILURES: readonly [RegExp, string][] = [
  [/^Lost the connection to the server\b/, MESSAGES.lostServer],
  [/^The send media connection failed\b/, MESSAGES.sendFailed],
  [/^The recv media connection failed\b/, MESSAGES.receiveFailed],
  [/^Could not restore the call's media\b/, MESSAGES.restoreFailed],
  [/^Cannot receive \w+ from a participant\b/, MESSAGES.receiveOneFailed],
  [/^signaling: /, MESSAGES.pageFault],
];

/** Already sentences for people, shown as they are. */
const PLAIN_SENTENCES: readonly RegExp[] = [/^There is no (microphone|camera) to (unmute|turn on)\.$/];

function signalingText(error: SignalingError): string {
  switch (error.code) {
    case 'closed':
      return /did not accept protocol/.test(error.message) ? MESSAGES.outdatedPage : MESSAGES.unreachable;
    case 'timeout':
      return MESSAGES.timeout;
    case 'unavailable':
      return MESSAGES.unavailable;
    case 'rate_limited':
      return MESSAGES.rateLimited;
    case 'limit_exceeded':
      return MESSAGES.limitExceeded;
    case 'invalid_state':
      // The server's words for a room at SIGNALING_MAX_PEERS_PER_ROOM (services/signaling Membership).
      return /\bis full\b/.test(error.message) ? MESSAGES.roomFull : MESSAGES.serverFault;
    case 'internal':
    case 'not_found':
      return MESSAGES.serverFault;
    case 'bad_json':
    case 'unknown_method':
    case 'invalid_message':
    case 'bad_response':
    case 'invalid_request':
      return MESSAGES.pageFault;
  }
}

function detailOf(error: unknown): string {
  if (error instanceof SignalingError) return `${error.name} ${error.code}${error.method ? ` (${error.method})` : ''}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The sentence to show for `error`, and its technical detail. */
export function toUserMessage(error: unknown): UserMessage {
  const detail = detailOf(error);
  if (error instanceof UserFacingError) return { text: error.message, detail };
  if (error instanceof SignalingError) return { text: signalingText(error), detail };
  const message = error instanceof Error ? error.message : '';
  if (PLAIN_SENTENCES.some((pattern) => pattern.test(message))) return { text: message, detail };
  const known = SESSION_FAILURES.find(([pattern]) => pattern.test(message));
  return { text: known ? known[1] : MESSAGES.unexpected, detail };
}
