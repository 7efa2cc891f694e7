/**
 * Named errors of the signaling service and the ONE table that turns any error (ours or a gRPC status
 * from the SFU) into the protocol's `{ code, message }`. Handlers throw; only the dispatcher maps.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ErrorCode, type ErrorBody } from '@lab/proto/signaling';

/** The frame is not a JSON object. */
export class BadJsonError extends Error {
  override name = 'BadJsonError';
}
/** `method` is not part of the protocol. */
export class UnknownMethodError extends Error {
  override name = 'UnknownMethodError';
}
/** A message or field does not match its schema. */
export class ValidationError extends Error {
  override name = 'ValidationError';
}
/** The request is valid but not allowed in the peer's current state (join twice, produce before join, room full). */
export class InvalidStateError extends Error {
  override name = 'InvalidStateError';
}
/** An id in the request is unknown or not the caller's. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
/** Too many requests (socket rate, reportStats' minimum interval, room creations per address); the socket keeps working. */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
}
/** The request would take the peer past a per-peer cap (transports, producers, consumers); nothing was created. */
export class LimitExceededError extends Error {
  override name = 'LimitExceededError';
}
/** A dependency (SFU, database) cannot serve the request now. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}
/**
 * A database operation got no answer within its bound (SIGNALING_DB_QUERY_TIMEOUT_MS): the database is
 * stalled or overloaded. A kind of UnavailableError, so the client gets `unavailable` and may retry;
 * its own class so metrics can count timeouts apart from refused connections.
 */
export class DatabaseTimeoutError extends UnavailableError {
  override name = 'DatabaseTimeoutError';
}

/** A failed SFU call, carrying the gRPC status so the table below can classify it. */
export class SfuCallError extends Error {
  override name = 'SfuCallError';
  constructor(
    readonly rpc: string,
    readonly grpcCode: GrpcStatus,
    readonly details: string,
    options?: ErrorOptions,
  ) {
    super(`SFU ${rpc} failed: ${GrpcStatus[grpcCode] ?? grpcCode}: ${details}`, options);
  }
}

/** Our errors → protocol error codes. Anything not listed is a bug: `internal`. */
const ERROR_CLASS_CODES: ReadonlyArray<readonly [abstract new (...args: never[]) => Error, ErrorCode]> = [
  [BadJsonError, ErrorCode.BadJson],
  [UnknownMethodError, ErrorCode.UnknownMethod],
  [ValidationError, ErrorCode.InvalidMessage],
  [InvalidStateError, ErrorCode.InvalidState],
  [NotFoundError, ErrorCode.NotFound],
  [UnavailableError, ErrorCode.Unavailable],
  [RateLimitedError, ErrorCode.RateLimited],
  [LimitExceededError, ErrorCode.LimitExceeded],
];

/** gRPC status codes from the SFU (see the status list at the top of sfu.proto) → protocol error codes. */
const GRPC_STATUS_CODES: ReadonlyMap<GrpcStatus, ErrorCode> = new Map([
  [GrpcStatus.INVALID_ARGUMENT, ErrorCode.InvalidMessage],
  [GrpcStatus.NOT_FOUND, ErrorCode.NotFound],
  [GrpcStatus.FAILED_PRECONDITION, ErrorCode.InvalidState],
  [GrpcStatus.UNAVAILABLE, ErrorCode.Unavailable],
  [GrpcStatus.DEADLINE_EXCEEDED, ErrorCode.Unavailable],
  // The SFU's own per-peer caps (defence in depth behind signaling's, which are lower).
  [GrpcStatus.RESOURCE_EXHAUSTED, ErrorCode.LimitExceeded],
]);

/** The protocol error code for any thrown value. */
export function errorCodeOf(error: unknown): ErrorCode {
  if (error instanceof SfuCallError) return GRPC_STATUS_CODES.get(error.grpcCode) ?? ErrorCode.Internal;
  for (const [errorClass, code] of ERROR_CLASS_CODES) {
    if (error instanceof errorClass) return code;
  }
  return ErrorCode.Internal;
}

/**
 * The `error` body of a failed response. Client-caused errors keep their message verbatim (it names
 * the problem); SFU errors pass the SFU's own explanation (it names the unknown id or bad field).
 */
export function toErrorBody(error: unknown): ErrorBody {
  const code = errorCodeOf(error);
  let message: string;
  if (error instanceof SfuCallError) message = error.details || error.message;
  else if (error instanceof Error) message = error.message;
  else message = String(error);
  return { code, message: message || code };
}
