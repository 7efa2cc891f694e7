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

export interface Database extends Queryable {
  /** 'postgres' for a real server (several processes may share it), 'pglite' for the embedded one. */
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Closes connections; idempotent. */
  close(): Promise<void>;
}
