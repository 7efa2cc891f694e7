import { describe, expect, it } from 'vitest';
import { SignalingError } from '../../signaling/SignalingError.ts';
import { MESSAGES, UserFacingError, toUserMessage } from '../userMessage.ts';

/** What must never reach the sentence: close codes, protocol codes, method names, stack text. */
const TECHNICAL = /\b(code|\d{4}|signaling|resume|[a-z]+_[a-z]+|\w*Error)\b|[{}]|ws:\/\/|\bat \w+ \(/;

function expectInWords(text: string): void {
  expect(text).not.toMatch(TECHNICAL);
  // A sentence: a capital first, a full stop (or an ellipsis) last.
  expect(text).toMatch(/^[A-Z].*[.…]$/);
}

describe('errors in words', () => {
  it.each([
    [new SignalingError('closed', 'cannot reach the signaling service at ws://localhost:8080/ws (code 1006)'), MESSAGES.unreachable],
    [new SignalingError('closed', 'the server did not accept protocol webrtc-lab.v1'), MESSAGES.outdatedPage],
    [new SignalingError('closed', 'join: the socket closed (1001)', 'join'), MESSAGES.unreachable],
    [new SignalingError('timeout', 'join: no response within 10 s', 'join'), MESSAGES.timeout],
    [new SignalingError('unavailable', 'database unavailable: timeout', 'join'), MESSAGES.unavailable],
    [new SignalingError('invalid_state', 'room "standup" is full (16 peers at most)', 'join'), MESSAGES.roomFull],
    [new SignalingError('invalid_state', 'already joined', 'join'), MESSAGES.serverFault],
    [new SignalingError('rate_limited', 'too many requests', 'join'), MESSAGES.rateLimited],
    [new SignalingError('limit_exceeded', 'at most 2 producers', 'produce'), MESSAGES.limitExceeded],
    [new SignalingError('internal', 'TypeError: x is undefined', 'consume'), MESSAGES.serverFault],
    [new SignalingError('not_found', 'no transport t1', 'connectTransport'), MESSAGES.serverFault],
    [new SignalingError('bad_response', "join: the server's response does not match the protocol", 'join'), MESSAGES.pageFault],
    [new SignalingError('invalid_message', 'rtpParameters: required', 'produce'), MESSAGES.pageFault],
  ])('a signaling failure (%s) says what happened and what to do', (error, text) => {
    const message = toUserMessage(error);
    expect(message.text).toBe(text);
    expectInWords(message.text);
    // The technical detail is kept, code and all, for the console and the DOM.
    expect(message.detail).toContain(error.code);
    expect(message.detail).toContain(error.message);
  });

  it.each([
    ['Lost the connection to the server (code 1006) and could not get back: timeout', MESSAGES.lostServer],
    ['The send media connection failed and could not be restored: ICE did not reconnect within 5 s', MESSAGES.sendFailed],
    ['The recv media connection failed and could not be restored: ICE did not reconnect within 5 s', MESSAGES.receiveFailed],
    ["Could not restore the call's media: produce: no response within 10 s", MESSAGES.restoreFailed],
    ['Cannot receive camera from a participant: consume: limit', MESSAGES.receiveOneFailed],
    ['signaling: unknown push event "x"', MESSAGES.pageFault],
  ])("the call session's failure %j is put in words", (raw, text) => {
    const message = toUserMessage(new Error(raw));
    expect(message.text).toBe(text);
    expect(message.detail).toBe(`Error: ${raw}`);
  });

  it('passes sentences written for people through unchanged', () => {
    const formError = new UserFacingError('Invalid room name: use 1 to 64 characters of A-Z, a-z, 0-9, "-" or "_".');
    expect(toUserMessage(formError).text).toBe(formError.message);
    expect(toUserMessage(new Error('There is no camera to turn on.')).text).toBe('There is no camera to turn on.');
  });

  it('anything unforeseen becomes a general sentence, never its message or stack', () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'track')");
    const message = toUserMessage(error);
    expect(message.text).toBe(MESSAGES.unexpected);
    expect(message.detail).toBe("TypeError: Cannot read properties of undefined (reading 'track')");
    expect(toUserMessage('a string').text).toBe(MESSAGES.unexpected);
    expect(toUserMessage(new DOMException('play() failed', 'NotSupportedError')).text).toBe(MESSAGES.unexpected);
  });

  it('every message of the table is a sentence without technical words', () => {
    for (const text of Object.values(MESSAGES)) expectInWords(text);
  });
});
