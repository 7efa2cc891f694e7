/** Database on a real PostgreSQL server through a `pg` connection pool, every operation bounded in time. */
import pg from 'pg';
import { DatabaseTimeoutError, UnavailableError } from '../errors.ts';
import { moduleLogger } from '../logger.ts';
import type { Database, Queryable, QueryResult, TransactionOptions } from './Database.ts';
import { withDeadline } from './withDeadline.ts';

const log = moduleLogger('PgDatabase');

/** SIGNALING_DB_QUERY_TIMEOUT_MS's default. */
export const DEFAULT_QUERY_TIMEOUT_MS = 2000;

// SQLSTATE classes meaning "the server cannot serve now" rather than "the query is wrong":
// 08 connection exception, 53 insufficient resources, 57P admin shutdown / cannot connect now.
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
// pg's own timeouts: query_timeout ("Query read timeout"), connectionTimeoutMillis (pool queue or handshake),
// and the server's statement_timeout (SQLSTATE 57014 query_canceled).
const PG_TIMEOUT_MESSAGE = /Query read timeout|timeout exceeded when trying to connect|connection timeout/i;
const STATEMENT_TIMEOUT_SQLSTATE = '57014';

/**
 * Rethrows failures of the server rather than of the query as UnavailableError (→ protocol
 * `unavailable`), timeouts as its DatabaseTimeoutError kind; others unchanged.
 */
function classify(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof UnavailableError) return error;
  const code = (error as { code?: unknown }).code;
  if (PG_TIMEOUT_MESSAGE.test(error.message) || code === STATEMENT_TIMEOUT_SQLSTATE) {
    return new DatabaseTimeoutError(`database unavailable: ${error.message}`, { cause: error });
  }
  const unavailable =
    (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) ||
    /Connection terminated/i.test(error.message);
  return unavailable ? new UnavailableError(`database unavailable: ${error.message}`, { cause: error }) : error;
}

/** A query with its own read timeout (pg honours `query_timeout` per query; @types/pg omits it). */
function boundedQuery(text: string, values: unknown[] | undefined, timeoutMs: number): pg.QueryConfig {
  const config: pg.QueryConfig & { query_timeout: number } = { text, values, query_timeout: timeoutMs };
  return config;
}

function wrap(client: pg.Pool | pg.PoolClient, timeoutMs: number): Queryable {
  return {
    async query<Row extends object>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
      try {
        // query_timeout frees pg's connection when no answer comes; the deadline around it also bounds
        // the wait for a pooled connection, so the whole operation takes at most timeoutMs.
        const result = await withDeadline(client.query<Row>(boundedQuery(sql, params, timeoutMs)), timeoutMs);
        return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
      } catch (error) {
        throw classify(error);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        // Without parameters pg uses the simple query protocol, which accepts several statements.
        await withDeadline(client.query(boundedQuery(sql, undefined, timeoutMs)), timeoutMs);
      } catch (error) {
        throw classify(error);
      }
    },
  };
}

export interface PgDatabaseOptions {
  /** Pool size. Default 10. */
  max?: number;
  /** Bound of every statement and of the wait for a connection (SIGNALING_DB_QUERY_TIMEOUT_MS). Default 2000. */
  queryTimeoutMs?: number;
}

export class PgDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #queryable: Queryable;
  readonly #queryTimeoutMs: number;
  #closed?: Promise<void>;

  constructor(connectionString: string, options: PgDatabaseOptions = {}) {
    this.#queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.#pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      // Fail a request rather than hang it when PostgreSQL is unreachable or stalled; the client gets
      // `unavailable`. The server gives up on a statement at the same bound (statement_timeout), so it
      // does not keep working for a client that has stopped waiting.
      connectionTimeoutMillis: this.#queryTimeoutMs,
      statement_timeout: this.#queryTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'webrtc-lab-signaling',
    });
    // An idle client losing its connection emits on the pool; without a listener that crashes the process.
    this.#pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL connection failed'));
    this.#queryable = wrap(this.#pool, this.#queryTimeoutMs);
  }

  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    return this.#queryable.query<Row>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.#queryable.exec(sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#queryTimeoutMs;
    const connecting = this.#pool.connect();
    let client: pg.PoolClient;
    try {
      client = await withDeadline(connecting, timeoutMs);
    } catch (error) {
      // A connection that arrives after we stopped waiting goes straight back to the pool.
      connecting.then((late) => late.release(), () => {});
      throw classify(error);
    }
    const tx = wrap(client, timeoutMs);
    let broken: Error | undefined;
    try {
      await tx.exec('BEGIN');
      if (timeoutMs !== this.#queryTimeoutMs) await tx.exec(`SET LOCAL statement_timeout = ${Math.trunc(timeoutMs)}`);
      const result = await work(tx);
      await tx.exec('COMMIT');
      return result;
    } catch (error) {
      if (error instanceof UnavailableError) {
        // The connection is gone or stalled: a ROLLBACK would only wait behind the stuck statement.
        // Discarding the connection ends the transaction on the server (rolled back) just the same.
        broken = error;
        throw error;
      }
      try {
        await tx.exec('ROLLBACK');
      } catch (rollbackError) {
        // The connection itself is gone or stalled: do not put it back into the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    return this.#closed;
  }
}
