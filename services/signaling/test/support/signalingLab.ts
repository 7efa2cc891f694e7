/**
 * The harness the integration suites share, as vitest hooks registered by the calling test file:
 *
 * - useTestDatabase(): a fresh PostgreSQL database for the file, created before all tests, dropped after.
 * - useSignalingClients(): connect() opens a client the harness keeps; after each test every kept client
 *   must have seen only well-formed messages (no schema errors) and is closed. newRoom() names a room no
 *   other test uses.
 * - useSignalingLab(): both of the above plus the SFU and a signaling process (one lab) on that database:
 *   what a suite that never stops either process needs.
 *
 * Call them at the top level of the file, before the file's own hooks: before-hooks run in the order
 * they are registered and after-hooks in reverse (vitest's default `sequence.hooks: 'stack'`), so
 * whatever a file builds on top (an SfuGateway, a lab of its own) is set up after the harness and torn
 * down before it, and the database is dropped last.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startLab, type Lab } from './lab.ts';
import { SignalingClient } from './SignalingClient.ts';

export interface SignalingClients {
  /** Opens a client on the signaling WebSocket (offering `protocols` when given) and keeps it for the after-each checks. */
  connect(protocols?: string[]): Promise<SignalingClient>;
  /** A room name no other test (in this run or another) uses: `<prefix>-<pid>-<time>-<n>`. */
  newRoom(): string;
}

export interface SignalingLab extends SignalingClients {
  /** The running SFU and signaling processes. */
  lab(): Lab;
  /** The file's test database (the signaling process's DATABASE_URL). */
  db(): TestDatabase;
}

/** A fresh test database for the file: created in beforeAll, dropped in afterAll. */
export function useTestDatabase(): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  return () => started(db, 'the test database');
}

/**
 * Clients on the WebSocket at `wsUrl()` (read at each connect, so it may name a process started in a
 * hook): each test's clients are checked for schema errors and closed after it.
 */
export function useSignalingClients(options: { wsUrl: () => string; roomPrefix: string }): SignalingClients {
  const clients: SignalingClient[] = [];
  let roomCounter = 0;
  afterEach(async () => {
    for (const client of clients) expect(client.schemaErrors).toEqual([]);
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  return {
    async connect(protocols) {
      const client = await SignalingClient.connect(options.wsUrl(), protocols);
      clients.push(client);
      return client;
    },
    newRoom() {
      roomCounter += 1;
      return `${options.roomPrefix}-${process.pid}-${Date.now()}-${roomCounter}`;
    },
  };
}

/**
 * A test database, the SFU and a signaling process on it (started once for the file, stopped after
 * all tests), and clients on that process. `env` is added to the signaling process's environment
 * (after DATABASE_URL, which it may therefore override).
 */
export function useSignalingLab(options: { roomPrefix: string; env?: Record<string, string> }): SignalingLab {
  const db = useTestDatabase();
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await startLab({ env: { DATABASE_URL: db().url, ...options.env } });
  });
  afterAll(async () => {
    await lab?.stop();
  });
  const clients = useSignalingClients({ wsUrl: () => started(lab, 'the lab').wsUrl, roomPrefix: options.roomPrefix });
  return { ...clients, lab: () => started(lab, 'the lab'), db };
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not there yet (or failed to start): use it inside a test or a hook registered after the harness`);
  return value;
}
