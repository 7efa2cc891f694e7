/**
 * Applies the numbered SQL files of ./migrations (001_name.sql, 002_…) in order, each in its own
 * transaction, and records each in `schema_migrations`. On real PostgreSQL every transaction first
 * takes a transaction-scoped advisory lock, so several signaling instances starting together apply
 * each migration exactly once (the others wait, then see it recorded and skip it).
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { moduleLogger } from '../logger.ts';
import type { Database } from './Database.ts';

const log = moduleLogger('migrate');

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Advisory lock key shared by every signaling instance: the ASCII of "SIGN". */
const MIGRATION_LOCK_KEY = 0x5349474e;
const FILE_NAME = /^(\d+)_([a-z0-9_]+)\.sql$/;
/**
 * Bound of each migration statement, far above a request's query timeout: an instance may wait for
 * another one's migration (the advisory lock), and DDL on a big table takes its time.
 */
const MIGRATION_STATEMENT_TIMEOUT_MS = 120_000;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations in `dir`, sorted by version; throws on a misnamed file or a duplicate version. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`migration file ${file} must be named <number>_<lowercase_name>.sql`);
    migrations.push({
      version: Number(match[1]),
      name: match[2]!,
      sql: await readFile(path.join(dir, file), 'utf8'),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new Error(`two migrations have version ${migrations[i]!.version}`);
    }
  }
  return migrations;
}

/** Applies every pending migration; returns the versions applied by this call. */
export async function migrate(db: Database, migrations?: Migration[]): Promise<number[]> {
  const all = migrations ?? (await readMigrations());
  const applied: number[] = [];
  for (const migration of all) {
    const didApply = await db.transaction(async (tx) => {
      // PGlite is a single in-process connection: nobody to race with.
      if (db.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      // Created under the lock too: CREATE TABLE IF NOT EXISTS itself races between processes.
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version    integer     PRIMARY KEY,
           name       text        NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.rowCount > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      return true;
    }, { timeoutMs: MIGRATION_STATEMENT_TIMEOUT_MS });
    if (didApply) {
      applied.push(migration.version);
      log.info({ version: migration.version, migration: migration.name }, 'migration applied');
    }
  }
  return applied;
}
