/**
 * The SQL seam: the service talks to PostgreSQL through this interface, implemented by a `pg` pool
 * (DATABASE_URL, real PostgreSQL) and by PGlite (embedded PostgreSQL in WASM, the zero-setup default).
 * Both speak the same SQL dialect, so migrations and repositories are written once.
 */
export interface QueryResult<Row> {
  rows: Row[];
  /** Rows returned or affected. */
  rowCount: number;
}

export interface Queryable {
  /** One statement with `$1…` parameters. */
  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface TransactionOptions {
  /**
   * Bound of each statement of this transaction instead of the database's query timeout: migrations
   * wait for each other's advisory lock and run DDL, which may rightly take longer than a request's query.
   */
  timeoutMs?: number;
}

/**
 * Bounds: on PostgreSQL every statement (and the wait for a pooled connection) fails with
 * DatabaseTimeoutError (→ protocol `unavailable`) after the query timeout, so a stalled server never
 * holds a request for long. PGlite runs in this process: nothing between it and us can stall, and a
 * query it is running cannot be abandoned anyway, so it has no timeout.
 */
export interface Database extends Queryable {
  /** 'postgres' for a real server (several processes may share it), 'pglite' for the embedded one. */
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Closes connections; idempotent. */
  close(): Promise<void>;
}
