/** Database on a real PostgreSQL server through a `pg` connection pool. */
import pg from 'pg';
import { UnavailableError } from '../errors.ts';
import { moduleLogger } from '../logger.ts';
import type { Database, Queryable, QueryResult } from './Database.ts';

const log = moduleLogger('PgDatabase');

// SQLSTATE classes meaning "the server cannot serve now" rather than "the query is wrong":
// 08 connection exception, 53 insufficient resources, 57P admin shutdown / cannot connect now.
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** Rethrows connection-level failures as UnavailableError (→ protocol `unavailable`), others unchanged. */
function classify(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const unavailable =
    (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(error.message);
  return unavailable ? new UnavailableError(`database unavailable: ${error.message}`, { cause: error }) : error;
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row extends object>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
      try {
        const result = await client.query<Row>(sql, params);
        return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
      } catch (error) {
        throw classify(error);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        // Without parameters pg uses the simple query protocol, which accepts several statements.
        await client.query(sql);
      } catch (error) {
        throw classify(error);
      }
    },
  };
}

export class PgDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #queryable: Queryable;
  #closed?: Promise<void>;

  constructor(connectionString: string, options: { max?: number } = {}) {
    this.#pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      // Fail a request rather than hang it when PostgreSQL is unreachable; the client gets `unavailable`.
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'webrtc-lab-signaling',
    });
    // An idle client losing its connection emits on the pool; without a listener that crashes the process.
    this.#pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL connection failed'));
    this.#queryable = wrap(this.#pool);
  }

  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    return this.#queryable.query<Row>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.#queryable.exec(sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw classify(error);
    }
    const tx = wrap(client);
    let broken: Error | undefined;
    try {
      await tx.exec('BEGIN');
      const result = await work(tx);
      await tx.exec('COMMIT');
      return result;
    } catch (error) {
      try {
        await tx.exec('ROLLBACK');
      } catch (rollbackError) {
        // The connection itself is gone: do not put it back into the pool.
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
