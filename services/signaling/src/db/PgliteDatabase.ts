/**
 * Database on PGlite, PostgreSQL compiled to WASM and run in-process: the default when DATABASE_URL is
 * empty, so the lab runs with no server to install. One process only (it owns its data directory).
 */
import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult, TransactionOptions } from './Database.ts';

function wrap(db: PGlite | Transaction): Queryable {
  return {
    async query<Row extends object>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
      const result = await db.query<Row>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}

export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly #db: PGlite;
  readonly #queryable: Queryable;
  #closed?: Promise<void>;

  private constructor(db: PGlite) {
    this.#db = db;
    this.#queryable = wrap(db);
  }

  /** `dataDir`: a directory (created if missing), or 'memory://' for a database that lives in RAM only. */
  static async open(dataDir: string): Promise<PgliteDatabase> {
    if (dataDir !== 'memory://') await mkdir(dataDir, { recursive: true });
    return new PgliteDatabase(await PGlite.create(dataDir));
  }

  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    return this.#queryable.query<Row>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.#queryable.exec(sql);
  }

  /** `options.timeoutMs` is ignored: PGlite has no query timeout (see Database). */
  transaction<T>(work: (tx: Queryable) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    return this.#db.transaction((tx) => work(wrap(tx)));
  }

  close(): Promise<void> {
    this.#closed ??= this.#db.close();
    return this.#closed;
  }
}
