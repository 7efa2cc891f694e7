/**
 * The database layer on both implementations: real PostgreSQL (a fresh database per run) and PGlite
 * (in memory, and on disk). Same migrations, same repository behaviour; on PostgreSQL, several
 * instances migrating at once apply each migration exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Database } from '../src/db/Database.ts';
import { migrate, readMigrations } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/openDatabase.ts';
import { PgDatabase } from '../src/db/PgDatabase.ts';
import { SessionRepository } from '../src/db/SessionRepository.ts';
import { UnavailableError } from '../src/errors.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';

const implementations: Array<{ name: string; open(): Promise<{ db: Database; cleanup(): Promise<void> }> }> = [
  {
    name: 'PostgreSQL (DATABASE_URL)',
    async open() {
      const testDb = await createTestDatabase('signaling_repo');
      const db = await openDatabase({ databaseUrl: testDb.url, pgliteDir: '' });
      return { db, cleanup: async () => { await db.close(); await testDb.drop(); } };
    },
  },
  {
    name: 'PGlite (DATABASE_URL=memory://)',
    async open() {
      const db = await openDatabase({ databaseUrl: 'memory://', pgliteDir: '' });
      return { db, cleanup: () => db.close() };
    },
  },
];

describe.each(implementations)('$name', ({ open }) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let repository: SessionRepository;

  beforeAll(async () => {
    ({ db, cleanup } = await open());
    repository = new SessionRepository(db);
  });
  afterAll(async () => {
    await cleanup?.();
  });

  test('migrations apply in order, are recorded, and are not re-applied', async () => {
    const all = await readMigrations();
    expect(await migrate(db)).toEqual(all.map((migration) => migration.version));
    expect(await migrate(db)).toEqual([]);
    const recorded = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.rows.map((row) => row.version)).toEqual(all.map((migration) => migration.version));
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(['rooms', 'schema_migrations', 'sessions']);
  });

  test('a session is recorded from start to end, and its end only once', async () => {
    const sessionId = randomUUID();
    await repository.ensureRoom('repo-room');
    await repository.ensureRoom('repo-room'); // idempotent
    await repository.sessionStarted({ sessionId, roomId: 'repo-room', peerId: 'peer-1', displayName: 'Ann', instanceId: 'test:1' });
    expect(await repository.findSession(sessionId)).toMatchObject({
      roomId: 'repo-room',
      peerId: 'peer-1',
      displayName: 'Ann',
      signalingInstance: 'test:1',
      leftAt: null,
      leaveReason: null,
    });

    // A leave and a socket close racing: exactly one records the end, and the first reason stays.
    const [first, second] = await Promise.all([
      repository.sessionEnded(sessionId, 'left'),
      repository.sessionEnded(sessionId, 'disconnected'),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const ended = await repository.findSession(sessionId);
    expect(ended?.leftAt).toBeInstanceOf(Date);
    expect(ended?.leaveReason).toBe(first ? 'left' : 'disconnected');
    expect(await repository.sessionEnded(sessionId, 'shutdown')).toBe(false);
    expect((await repository.findSession(sessionId))?.leaveReason).toBe(ended?.leaveReason);
  });

  test('a session needs its room (foreign key), and an unknown session ends nothing', async () => {
    await expect(
      repository.sessionStarted({ sessionId: randomUUID(), roomId: 'no-such-room', peerId: 'p', displayName: 'X', instanceId: 'i' }),
    ).rejects.toThrow(/foreign key/);
    expect(await repository.sessionEnded(randomUUID(), 'left')).toBe(false);
  });

  test('a failing statement inside a transaction rolls the whole transaction back', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO rooms (id) VALUES ($1)', ['rolled-back']);
        await tx.query('SELECT * FROM no_such_table');
      }),
    ).rejects.toThrow(/no_such_table/);
    expect((await db.query('SELECT 1 FROM rooms WHERE id = $1', ['rolled-back'])).rowCount).toBe(0);
  });
});

describe('PostgreSQL with several instances', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase('signaling_migrate');
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  test('instances migrating at the same time apply each migration exactly once', async () => {
    const instances = Array.from({ length: 4 }, () => new PgDatabase(testDb.url, { max: 2 }));
    try {
      const applied = await Promise.all(instances.map((db) => migrate(db)));
      const all = (await readMigrations()).map((migration) => migration.version);
      // Every version was applied by exactly one of them.
      expect(applied.flat().sort((a, b) => a - b)).toEqual(all);
      const recorded = await testDb.pool.query('SELECT version FROM schema_migrations');
      expect(recorded.rowCount).toBe(all.length);
    } finally {
      await Promise.all(instances.map((db) => db.close()));
    }
  });

  test('an unreachable server is reported as UnavailableError (→ protocol "unavailable")', async () => {
    const db = new PgDatabase('postgres://postgres@127.0.0.1:1/nothing');
    try {
      await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      await db.close();
    }
  });
});

describe('PGlite on disk (the default without DATABASE_URL)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'signaling-pglite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('data and applied migrations survive a restart', async () => {
    const dataDir = path.join(dir, 'nested', 'pglite');
    const sessionId = randomUUID();
    const first = await openDatabase({ databaseUrl: '', pgliteDir: dataDir });
    expect((await migrate(first)).length).toBeGreaterThan(0);
    const repository = new SessionRepository(first);
    await repository.ensureRoom('disk-room');
    await repository.sessionStarted({ sessionId, roomId: 'disk-room', peerId: 'p', displayName: 'Disk', instanceId: 'i' });
    await first.close();

    const second = await openDatabase({ databaseUrl: '', pgliteDir: dataDir });
    try {
      expect(await migrate(second)).toEqual([]);
      expect(await new SessionRepository(second).findSession(sessionId)).toMatchObject({ displayName: 'Disk' });
    } finally {
      await second.close();
    }
  });
});
