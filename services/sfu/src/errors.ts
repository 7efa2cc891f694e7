/**
 * Named errors of the SFU and the ONE table that turns any error (ours or mediasoup's) into a gRPC
 * status. Domain code throws; only the gRPC layer (SfuService) maps.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

/** A request field is missing or malformed; the message starts with the proto field name. */
export class InvalidArgumentError extends Error {
  override name = 'InvalidArgumentError';
}
/** Unknown room, peer, transport, producer or consumer — or one that the requesting peer does not own. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
/** The request is valid but cannot be done in the current state (connect twice, incompatible consume). */
export class FailedPreconditionError extends Error {
  override name = 'FailedPreconditionError';
}
/** No mediasoup worker can take the request now; the caller may retry (possibly on another SFU). */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}
/** The peer already holds the most transports, producers or consumers the SFU allows one peer (config.limits). */
export class ResourceExhaustedError extends Error {
  override name = 'ResourceExhaustedError';
}
/** The caller's deadline passed (or it cancelled) before the SFU could act; nothing was kept. */
export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
}

/**
 * Error name → gRPC status. Keyed by `name` rather than class because mediasoup 3.15 does not export
 * its error classes as values (`types` is type-only); its names are stable API.
 * - `TypeError` is deliberately absent: mediasoup throws it for bad arguments, but so does any bug
 *   of ours. Call sites that hand caller input to mediasoup (Produce's RTP parameters) turn it into an
 *   InvalidArgumentError naming the field; anywhere else it is INTERNAL.
 * - mediasoup `UnsupportedError`: no codec in common (router vs. producer / consumer capabilities).
 * - mediasoup `InvalidStateError`: the worker channel is closed, i.e. the worker died: retryable.
 */
const STATUS_BY_ERROR_NAME: ReadonlyMap<string, GrpcStatus> = new Map([
  ['InvalidArgumentError', GrpcStatus.INVALID_ARGUMENT],
  ['NotFoundError', GrpcStatus.NOT_FOUND],
  ['FailedPreconditionError', GrpcStatus.FAILED_PRECONDITION],
  ['UnavailableError', GrpcStatus.UNAVAILABLE],
  ['DeadlineExceededError', GrpcStatus.DEADLINE_EXCEEDED],
  ['ResourceExhaustedError', GrpcStatus.RESOURCE_EXHAUSTED],
  ['UnsupportedError', GrpcStatus.FAILED_PRECONDITION],
  ['InvalidStateError', GrpcStatus.UNAVAILABLE],
]);

export type GrpcErrorStatus = { code: GrpcStatus; details: string };

/** Maps any thrown value to the status sent to the caller. Anything not in the table is a bug: INTERNAL. */
export function toGrpcStatus(error: unknown): GrpcErrorStatus {
  if (error instanceof Error) {
    return { code: STATUS_BY_ERROR_NAME.get(error.name) ?? GrpcStatus.INTERNAL, details: error.message };
  }
  return { code: GrpcStatus.INTERNAL, details: String(error) };
}

/** `GrpcStatus.NOT_FOUND` → 'NOT_FOUND' (metric labels, logs). */
export function statusName(code: GrpcStatus): string {
  return GrpcStatus[code] ?? String(code);
}
