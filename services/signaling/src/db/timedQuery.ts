/**
 * Times PostgreSQL operations for signaling_db_query_duration_seconds{query} and counts their
 * failures by kind in signaling_db_errors_total{query,kind}.
 */
import { performance } from 'node:perf_hooks';
import { DatabaseTimeoutError, UnavailableError } from '../errors.ts';
import type { DbFailureKind, DbQuery, SignalingMetrics } from '../metrics.ts';

export type QueryMetrics = Pick<SignalingMetrics, 'observeDbQuery' | 'dbQueryFailed'>;

/** `timeout`: no answer in time; `unavailable`: the server refused or dropped the connection; `error`: the query failed. */
export function failureKind(error: unknown): DbFailureKind {
  if (error instanceof DatabaseTimeoutError) return 'timeout';
  if (error instanceof UnavailableError) return 'unavailable';
  return 'error';
}

/** Runs one database operation and observes its duration under `query`, whether it succeeds or fails. */
export async function timedQuery<T>(metrics: QueryMetrics, query: DbQuery, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } catch (error) {
    metrics.dbQueryFailed(query, failureKind(error));
    throw error;
  } finally {
    metrics.observeDbQuery(query, (performance.now() - started) / 1000);
  }
}
