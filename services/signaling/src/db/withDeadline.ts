/** The time bound of every PostgreSQL operation. */
import { DatabaseTimeoutError } from '../errors.ts';

/**
 * `operation`, or a DatabaseTimeoutError once `timeoutMs` has passed without it settling. The
 * operation is not cancelled (pg's own query_timeout frees its connection); its late outcome is dropped.
 */
export function withDeadline<T>(operation: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DatabaseTimeoutError(`database unavailable: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  // Settling after the deadline won must not become an unhandled rejection.
  operation.catch(() => {});
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}
