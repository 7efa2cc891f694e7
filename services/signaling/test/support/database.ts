/**
 * A fresh PostgreSQL database per test file on the test server (TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test), so runs and parallel suites never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  /** A pool on the test database, for assertions. */
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'signaling_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const dropper = new pg.Client({ connectionString: TEST_SERVER_URL });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

export interface SessionRow {
  id: string;
  room_id: string;
  peer_id: string;
  display_name: string;
  signaling_instance: string;
  joined_at: Date;
  left_at: Date | null;
  leave_reason: string | null;
}

export async function sessionOf(pool: pg.Pool, peerId: string): Promise<SessionRow | undefined> {
  const result = await pool.query<SessionRow>('SELECT * FROM sessions WHERE peer_id = $1', [peerId]);
  return result.rows[0];
}
