import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
  toGrpcStatus,
} from '../errors.ts';

/** Stand-ins for mediasoup's error classes, which 3.15 does not export as values. */
function mediasoupError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('toGrpcStatus', () => {
  it.each([
    [new InvalidArgumentError('peer.room_id: is required'), status.INVALID_ARGUMENT],
    [new NotFoundError('transport_id x not found'), status.NOT_FOUND],
    [new FailedPreconditionError('already connected'), status.FAILED_PRECONDITION],
    [new UnavailableError('no worker'), status.UNAVAILABLE],
    [new DeadlineExceededError('too late'), status.DEADLINE_EXCEEDED],
    [new ResourceExhaustedError('peer p already has 8 transports'), status.RESOURCE_EXHAUSTED],
    [mediasoupError('UnsupportedError', 'no compatible media codecs'), status.FAILED_PRECONDITION],
    [mediasoupError('InvalidStateError', 'Channel closed'), status.UNAVAILABLE],
  ])('maps %s to its status and keeps the message', (error, code) => {
    expect(toGrpcStatus(error)).toEqual({ code, details: error.message });
  });

  it('maps anything else to INTERNAL with the error text', () => {
    expect(toGrpcStatus(new Error('worker said: ssrc already exists'))).toEqual({
      code: status.INTERNAL,
      details: 'worker said: ssrc already exists',
    });
    expect(toGrpcStatus('boom')).toEqual({ code: status.INTERNAL, details: 'boom' });
  });

  it('maps a bare TypeError to INTERNAL: outside the calls that pass caller input to mediasoup (which say which field), it is a bug of ours', () => {
    expect(toGrpcStatus(new TypeError("Cannot read properties of undefined (reading 'id')")).code).toBe(status.INTERNAL);
  });
});
