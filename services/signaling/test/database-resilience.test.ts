/**
 * Signaling's sessions survive database trouble and dead instances. The real SFU and signaling
 * processes, with signaling's database connections going through a proxy that can stop forwarding
 * bytes while keeping connections open (the case a connection refusal never shows):
 * - while PostgreSQL stalls, readiness says so within its bound, liveness stays up, a join fails fast
 *   as `unavailable`, and a session that ends meanwhile gets the left_at of the moment it ended once
 *   the database answers again;
 * - the running instance closes the sessions of an instance whose heartbeat went stale.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sessionOf } from './support/database.ts';
import { startLab, type Lab } from './support/lab.ts';
import { waitUntil } from './support/SignalingClient.ts';
import { useSignalingClients, useTestDatabase } from './support/signalingLab.ts';
import { StallableProxy } from './support/StallableProxy.ts';

const HEARTBEAT_SECONDS = 1;
const GRACE_SECONDS = 3;

const db = useTestDatabase();
let proxy: StallableProxy;
let lab: Lab;
const { connect, newRoom } = useSignalingClients({ wsUrl: () => lab.wsUrl, roomPrefix: 'outage' });

beforeAll(async () => {
  const direct = new URL(db().url);
  proxy = await StallableProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  const proxied = new URL(db().url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  lab = await startLab({
    env: {
      DATABASE_URL: proxied.toString(),
      SIGNALING_INSTANCE_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
      SIGNALING_INSTANCE_GRACE_SECONDS: String(GRACE_SECONDS),
      SIGNALING_LOG_LEVEL: 'debug',
    },
  });
});

afterAll(async () => {
  proxy?.heal();
  await lab?.stop();
  await proxy?.close();
});

/** GET `path` on signaling: status, JSON body and how long the answer took. */
async function timedGet(path: string): Promise<{ status: number; body: unknown; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${lab.httpUrl}${path}`, { signal: AbortSignal.timeout(20_000) });
  const body: unknown = await response.json();
  return { status: response.status, body, ms: performance.now() - started };
}

async function metricValue(sample: string): Promise<number | undefined> {
  const text = await (await fetch(`${lab.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('PostgreSQL stalled', () => {
  test('readiness fails within its bound, liveness stays, joins fail fast, a session ending meanwhile keeps its true left_at', { timeout: 90_000 }, async () => {
    const roomId = newRoom();
    const alice = await connect();
    const aliceJoin = await alice.call('join', { roomId, displayName: 'Alice' });
    expect(await timedGet('/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });

    proxy.stall();

    const readiness = await timedGet('/readyz');
    console.log(`/readyz during the stall answered ${readiness.status} in ${readiness.ms.toFixed(0)} ms`);
    expect(readiness.status).toBe(503);
    expect(readiness.body).toEqual({ status: 'not ready', reasons: ['database: timeout after 1000 ms'] });
    expect(readiness.ms).toBeGreaterThan(0);
    expect(readiness.ms).toBeLessThan(2000);

    const liveness = await timedGet('/healthz');
    expect(liveness).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(liveness.ms).toBeLessThan(500);

    const bob = await connect();
    const joinStarted = performance.now();
    const refused = await bob.request('join', { roomId, displayName: 'Bob' }, 20_000);
    const joinMs = performance.now() - joinStarted;
    console.log(`join during the stall failed in ${joinMs.toFixed(0)} ms: ${JSON.stringify(refused)}`);
    expect(refused).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringMatching(/^database unavailable: /) } });
    expect(joinMs).toBeGreaterThan(0);
    // The query timeout (2 s by default) plus the SFU round trips of the rollback.
    expect(joinMs).toBeLessThan(3500);

    // Alice's tab goes away while the database cannot take the end of her session.
    const closedAt = Date.now();
    await alice.close();
    // Long enough that writing "now" at the heal would be seen as wrong by the ±1 s check below.
    await sleep(4000);
    expect((await sessionOf(db().pool, aliceJoin.peerId))?.left_at).toBeNull();
    // Alice's end, and Bob's failed join's (its rollback closes a session row that may have been written).
    expect(await metricValue('signaling_session_ends_pending')).toBe(2);

    const healedAt = Date.now();
    proxy.heal();
    await waitUntil(async () => (await sessionOf(db().pool, aliceJoin.peerId))?.left_at != null, 20_000, "Alice's left_at");
    const ended = (await sessionOf(db().pool, aliceJoin.peerId))!;
    console.log(`left_at − close = ${ended.left_at!.getTime() - closedAt} ms; written ${Date.now() - healedAt} ms after the heal`);
    expect(ended.leave_reason).toBe('disconnected');
    expect(Math.abs(ended.left_at!.getTime() - closedAt)).toBeLessThan(1000);
    expect(healedAt - ended.left_at!.getTime()).toBeGreaterThan(3000);

    await waitUntil(async () => (await timedGet('/readyz')).status === 200, 20_000, '/readyz to report ready again');
    // Bob's failed join's end may still wait for its next retry (the backoff had grown during the stall).
    await waitUntil(async () => (await metricValue('signaling_session_ends_pending')) === 0, 15_000, 'no session end pending');
    expect(await metricValue('signaling_session_end_retries_total{result="written"}')).toBeGreaterThanOrEqual(1);
    expect(await metricValue('signaling_db_errors_total{query="ensure_room",kind="timeout"}')).toBeGreaterThanOrEqual(1);
    expect(await metricValue('signaling_db_errors_total{query="readiness",kind="timeout"}')).toBeGreaterThanOrEqual(1);
    // Nothing of the failed join stays open.
    const open = await db().pool.query('SELECT id FROM sessions WHERE room_id = $1 AND left_at IS NULL', [roomId]);
    expect(open.rows).toEqual([]);

    // Joins work again on the same socket.
    const again = await bob.call('join', { roomId, displayName: 'Bob' });
    expect(again.peers).toEqual([]);
  });
});

describe('a signaling instance that died', () => {
  test("the running instance closes its sessions as instance_lost at its last heartbeat; a live instance's sessions stay open", { timeout: 60_000 }, async () => {
    const pool = db().pool;
    const roomId = newRoom();
    const dead = `crashed-${randomUUID()}`;
    const alive = `alive-${randomUUID()}`;
    await pool.query('INSERT INTO rooms (id) VALUES ($1)', [roomId]);
    const lastSeen = (
      await pool.query<{ at: Date }>(
        `INSERT INTO signaling_instances (id, last_heartbeat_at) VALUES ($1, now() - interval '1 minute'), ($2, now())
         RETURNING last_heartbeat_at AS at`,
        [dead, alive],
      )
    ).rows[0]!.at;
    const session = (instanceId: string) =>
      pool.query(
        `INSERT INTO sessions (id, room_id, peer_id, display_name, signaling_instance, joined_at)
         VALUES ($1::uuid, $2, $1::text, 'Someone', $3, now() - interval '2 minutes') RETURNING id`,
        [randomUUID(), roomId, instanceId],
      );
    const deadSession = (await session(dead)).rows[0]!.id as string;
    const aliveSession = (await session(alive)).rows[0]!.id as string;
    // The live instance keeps heartbeating (as a real one would) while we wait for the sweep.
    const beating = setInterval(() => void pool.query('UPDATE signaling_instances SET last_heartbeat_at = now() WHERE id = $1', [alive]), 500);
    try {
      await waitUntil(
        async () => (await pool.query('SELECT 1 FROM sessions WHERE id = $1 AND left_at IS NOT NULL', [deadSession])).rowCount === 1,
        (HEARTBEAT_SECONDS + GRACE_SECONDS) * 1000 + 10_000,
        'the dead instance’s session to be closed',
      );
      // Another full sweep period, in which the live instance's session must stay open.
      await sleep((HEARTBEAT_SECONDS + 1) * 1000);
    } finally {
      clearInterval(beating);
    }
    const rows = await pool.query<{ id: string; left_at: Date | null; leave_reason: string | null }>(
      'SELECT id, left_at, leave_reason FROM sessions WHERE room_id = $1',
      [roomId],
    );
    expect(rows.rows.find((row) => row.id === deadSession)).toMatchObject({ left_at: lastSeen, leave_reason: 'instance_lost' });
    expect(rows.rows.find((row) => row.id === aliveSession)).toMatchObject({ left_at: null, leave_reason: null });
    expect(await metricValue('signaling_lost_instance_sessions_closed_total')).toBeGreaterThanOrEqual(1);
  });
});
