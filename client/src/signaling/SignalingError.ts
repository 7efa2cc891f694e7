import type { ErrorCode, Method } from '@lab/proto/signaling';

/**
 * Failures that happen on this side of the socket, next to the server's own {@link ErrorCode}s:
 * - `timeout`: no response within the request timeout;
 * - `closed`: the socket is not open or closed while the request was pending;
 * - `bad_response`: the server answered something that does not match the protocol schema;
 * - `invalid_request`: the request was refused before sending (it would not match the schema).
 */
export type ClientErrorCode = 'timeout' | 'closed' | 'bad_response' | 'invalid_request';

/** A failed signaling request; `code` says why, `message` is fit to show to the user. */
export class SignalingError extends Error {
  override readonly name = 'SignalingError';
  readonly code: ErrorCode | ClientErrorCode;
  readonly method: Method | undefined;

  constructor(code: ErrorCode | ClientErrorCode, message: string, method?: Method) {
    super(message);
    this.code = code;
    this.method = method;
  }
}
