/**
 * The database layer on both implementations: real PostgreSQL (a fresh database per run) and PGlite
 * (in memory, and on disk). Same migrations, same repository behaviour (session ends at their own
 * time, the sweep of dead instances' sessions); on PostgreSQL, several instances migrating at once
 * apply each migration exactly once, and a stalled server fails every operation within the query timeout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Database } from '../src/db/Database.ts';
import { migrate, readMigrations } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/openDatabase.ts';
import { PgDatabase } from '../src/db/PgDatabase.ts';
import { SessionRepository } from '../src/db/SessionRepository.ts';
import { InstanceRepository } from '../src/db/InstanceRepository.ts';
import { DatabaseTimeoutError, UnavailableError, errorCodeOf } from '../src/errors.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { StallableProxy } from './support/StallableProxy.ts';

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
    expect(tables.rows.map((row) => row.table_name)).toEqual(['rooms', 'schema_migrations', 'sessions', 'signaling_instances']);
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

  test('a session end written late keeps the time the session ended', async () => {
    const sessionId = randomUUID();
    await repository.ensureRoom('late-room');
    await repository.sessionStarted({ sessionId, roomId: 'late-room', peerId: 'p', displayName: 'Late', instanceId: 'test:1' });
    const endedAt = new Date(Date.now() + 60_000);
    expect(await repository.sessionEnded(sessionId, 'disconnected', endedAt)).toBe(true);
    expect((await repository.findSession(sessionId))?.leftAt?.getTime()).toBe(endedAt.getTime());
    // Never before the join, whatever the clocks say.
    const early = randomUUID();
    await repository.sessionStarted({ sessionId: early, roomId: 'late-room', peerId: 'q', displayName: 'Early', instanceId: 'test:1' });
    await repository.sessionEnded(early, 'join_failed', new Date(0));
    const row = await repository.findSession(early);
    expect(row?.leftAt?.getTime()).toBe(row?.joinedAt.getTime());
  });

  test('the sessions of an instance that stopped heartbeating are closed as instance_lost at its last heartbeat; a live one is untouched', async () => {
    const instances = new InstanceRepository(db);
    const dead = `dead-${randomUUID()}`;
    const alive = `alive-${randomUUID()}`;
    await repository.ensureRoom('sweep-room');
    await instances.heartbeat(dead);
    await db.query(`UPDATE signaling_instances SET last_heartbeat_at = now() - interval '60 seconds' WHERE id = $1`, [dead]);
    const lastSeen = (await db.query<{ at: Date }>('SELECT last_heartbeat_at AS at FROM signaling_instances WHERE id = $1', [dead])).rows[0]!.at;
    await instances.heartbeat(alive);
    const deadSessions = [randomUUID(), randomUUID()];
    const aliveSession = randomUUID();
    for (const sessionId of deadSessions) {
      await db.query(
        `INSERT INTO sessions (id, room_id, peer_id, display_name, signaling_instance, joined_at)
         VALUES ($1::uuid, 'sweep-room', $1::text, 'Ghost', $2, now() - interval '90 seconds')`,
        [sessionId, dead],
      );
    }
    await repository.sessionStarted({ sessionId: aliveSession, roomId: 'sweep-room', peerId: 'p', displayName: 'Here', instanceId: alive });

    // Two sweepers at once: each session is closed exactly once.
    const sweeps = await Promise.all([instances.sweepLostInstances('sweeper-1', 15), instances.sweepLostInstances('sweeper-2', 15)]);
    const closed = sweeps.flat().filter((swept) => swept.instanceId === dead).reduce((sum, swept) => sum + swept.sessions, 0);
    expect(closed).toBe(2);
    for (const sessionId of deadSessions) {
      expect(await repository.findSession(sessionId)).toMatchObject({ leaveReason: 'instance_lost', leftAt: lastSeen });
    }
    expect(await repository.findSession(aliveSession)).toMatchObject({ leftAt: null, leaveReason: null });
    expect(sweeps.flat().some((swept) => swept.instanceId === alive)).toBe(false);
    // The dead instance, now holding nothing, is forgotten; the live one stays.
    const known = await db.query<{ id: string }>('SELECT id FROM signaling_instances WHERE id = ANY($1)', [[dead, alive]]);
    expect(known.rows.map((row) => row.id)).toEqual([alive]);
    // A sweeper never closes its own sessions, however stale its heartbeat (it is alive: it is sweeping).
    await db.query(`UPDATE signaling_instances SET last_heartbeat_at = now() - interval '60 seconds' WHERE id = $1`, [alive]);
    expect(await instances.sweepLostInstances(alive, 15)).toEqual([]);
    expect((await repository.findSession(aliveSession))?.leftAt).toBeNull();
  });

  test('a restart under the same instance id closes what the previous run left open, at its last heartbeat', async () => {
    const instances = new InstanceRepository(db);
    const instanceId = `restarting-${randomUUID()}`;
    const sessionId = randomUUID();
    await repository.ensureRoom('restart-room');
    await instances.heartbeat(instanceId);
    await repository.sessionStarted({ sessionId, roomId: 'restart-room', peerId: 'p', displayName: 'Before', instanceId });
    await db.query(`UPDATE signaling_instances SET last_heartbeat_at = now() + interval '1 second' WHERE id = $1`, [instanceId]);
    const lastSeen = (await db.query<{ at: Date }>('SELECT last_heartbeat_at AS at FROM signaling_instances WHERE id = $1', [instanceId])).rows[0]!.at;

    expect(await instances.closeSessionsOfPreviousRun(instanceId)).toBe(1);
    expect(await repository.findSession(sessionId)).toMatchObject({ leaveReason: 'instance_lost', leftAt: lastSeen });
    expect(await instances.closeSessionsOfPreviousRun(instanceId)).toBe(0);
    // An id never seen before: nothing to close, and it is registered.
    const fresh = `fresh-${randomUUID()}`;
    expect(await instances.closeSessionsOfPreviousRun(fresh)).toBe(0);
    expect((await db.query('SELECT 1 FROM signaling_instances WHERE id = $1', [fresh])).rowCount).toBe(1);
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

  test('a stalled server: every operation fails as DatabaseTimeoutError within the query timeout, and works again once it answers', async () => {
    const target = new URL(testDb.url);
    const proxy = await StallableProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(testDb.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const db = new PgDatabase(proxied.toString(), { queryTimeoutMs: 500 });
    try {
      await db.query('SELECT 1'); // one pooled connection, open through the proxy
      proxy.stall();
      for (const operation of [
        () => db.query('SELECT 1'), // on the open connection
        () => Promise.all([db.query('SELECT 1'), db.query('SELECT 2')]), // the second needs a new connection
        () => db.transaction((tx) => tx.query('SELECT 1')),
      ]) {
        const started = performance.now();
        const error = await operation().catch((thrown: unknown) => thrown);
        const elapsed = performance.now() - started;
        expect(error).toBeInstanceOf(DatabaseTimeoutError);
        expect(errorCodeOf(error)).toBe('unavailable');
        expect((error as Error).message).toMatch(/^database unavailable: /);
        expect(elapsed).toBeGreaterThan(0);
        expect(elapsed).toBeLessThan(1000);
      }
      proxy.heal();
      await vi.waitFor(async () => expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]), { timeout: 5000 });
    } finally {
      proxy.heal();
      await Promise.race([db.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
      await proxy.close();
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
