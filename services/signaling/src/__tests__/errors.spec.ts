import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, test } from 'vitest';
import {
  BadJsonError,
  InvalidStateError,
  LimitExceededError,
  NotFoundError,
  RateLimitedError,
  SfuCallError,
  UnavailableError,
  UnknownMethodError,
  ValidationError,
  errorCodeOf,
  toErrorBody,
} from '../errors.ts';

describe('error table', () => {
  test.each([
    [new BadJsonError('x'), 'bad_json'],
    [new UnknownMethodError('x'), 'unknown_method'],
    [new ValidationError('x'), 'invalid_message'],
    [new InvalidStateError('x'), 'invalid_state'],
    [new NotFoundError('x'), 'not_found'],
    [new UnavailableError('x'), 'unavailable'],
    [new RateLimitedError('x'), 'rate_limited'],
    [new LimitExceededError('x'), 'limit_exceeded'],
    [new TypeError('a bug'), 'internal'],
    ['a string', 'internal'],
  ])('%s → %s', (error, code) => {
    expect(errorCodeOf(error)).toBe(code);
  });

  test.each([
    [GrpcStatus.INVALID_ARGUMENT, 'invalid_message'],
    [GrpcStatus.NOT_FOUND, 'not_found'],
    [GrpcStatus.FAILED_PRECONDITION, 'invalid_state'],
    [GrpcStatus.UNAVAILABLE, 'unavailable'],
    [GrpcStatus.DEADLINE_EXCEEDED, 'unavailable'],
    [GrpcStatus.INTERNAL, 'internal'],
    [GrpcStatus.RESOURCE_EXHAUSTED, 'limit_exceeded'],
    [GrpcStatus.UNKNOWN, 'internal'],
  ])('SFU status %s → %s', (grpcCode, code) => {
    expect(errorCodeOf(new SfuCallError('produce', grpcCode, 'details'))).toBe(code);
  });

  test("an SFU error's body carries the SFU's own explanation", () => {
    const error = new SfuCallError('produce', GrpcStatus.NOT_FOUND, 'transport_id t1 not found for peer p1');
    expect(toErrorBody(error)).toEqual({ code: 'not_found', message: 'transport_id t1 not found for peer p1' });
    expect(error.message).toBe('SFU produce failed: NOT_FOUND: transport_id t1 not found for peer p1');
  });

  test('our errors keep their message', () => {
    expect(toErrorBody(new InvalidStateError('produce before join: send join first'))).toEqual({
      code: 'invalid_state',
      message: 'produce before join: send join first',
    });
  });
});
