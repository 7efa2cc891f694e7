/** Picks the Database implementation from config: DATABASE_URL → PostgreSQL, else PGlite. */
import type { Config } from '../config.ts';
import type { Database } from './Database.ts';
import { PgDatabase } from './PgDatabase.ts';
import { PgliteDatabase } from './PgliteDatabase.ts';

/** The value of DATABASE_URL that selects an in-memory PGlite. */
export const IN_MEMORY_DATABASE_URL = 'memory://';

export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'pgliteDir'> & Partial<Pick<Config, 'dbQueryTimeoutMs'>>,
): Promise<Database> {
  if (config.databaseUrl === IN_MEMORY_DATABASE_URL) return PgliteDatabase.open('memory://');
  if (config.databaseUrl === '') return PgliteDatabase.open(config.pgliteDir);
  return new PgDatabase(config.databaseUrl, { queryTimeoutMs: config.dbQueryTimeoutMs });
}

/** For logs: the connection string without its password. */
export function describeDatabase(config: Pick<Config, 'databaseUrl' | 'pgliteDir'>): string {
  if (config.databaseUrl === IN_MEMORY_DATABASE_URL) return 'pglite (in memory)';
  if (config.databaseUrl === '') return `pglite (${config.pgliteDir})`;
  try {
    const url = new URL(config.databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres (unparseable DATABASE_URL)';
  }
}
