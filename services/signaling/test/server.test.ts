/**
 * The signaling process as operated: health, metrics, static files, room capacity, the idle timeout,
 * an SFU outage and recovery, and graceful shutdown. The SFU and signaling run as separate labs here
 * so one can be stopped while the other keeps running.
 */
import http from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SfuGateway } from '../src/sfu/SfuGateway.ts';
import { sessionOf } from './support/database.ts';
import { freePort, startLab, type Lab } from './support/lab.ts';
import { opusRtpParameters } from './support/media.ts';
import { waitUntil } from './support/SignalingClient.ts';
import { useSignalingClients, useTestDatabase } from './support/signalingLab.ts';

// Unlike the other suites (useSignalingLab: one lab, up for the whole file), the SFU and signaling run
// as two labs started and stopped here, because tests stop the SFU (and start it again on the same
// port) and stop signaling. The shared harness gives the database and the clients only.
const db = useTestDatabase();
let staticDir: string;
let sfuPort: number;
let sfuLab: Lab | undefined;
let signaling: Lab;
let sfu: SfuGateway;
const { connect, newRoom } = useSignalingClients({ wsUrl: () => signaling.wsUrl, roomPrefix: 'server' });

const MAX_PEERS = 2;
const IDLE_TIMEOUT_SECONDS = 8;
/** A lost socket's session waits this long for a resume before it is released. */
const RESUME_GRACE_SECONDS = 1;

function startSfu(): Promise<Lab> {
  return startLab({ services: ['sfu'], sfuGrpcPort: sfuPort });
}

/** GET with the path sent verbatim (fetch would normalize `..` away before it reaches the server). */
function rawGet(pathAndQuery: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(signaling.httpUrl);
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: url.port, path: pathAndQuery }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      })
      .on('error', reject);
  });
}

async function readyStatus(): Promise<number> {
  return (await fetch(`${signaling.httpUrl}/readyz`)).status;
}

beforeAll(async () => {
  staticDir = await mkdtemp(path.join(os.tmpdir(), 'signaling-static-'));
  await mkdir(path.join(staticDir, 'assets'));
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>WebRTC Lab</title>');
  await writeFile(path.join(staticDir, 'assets', 'index-3f9a1c.js'), 'console.log("app")');
  await writeFile(path.join(staticDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  sfuPort = await freePort();
  sfuLab = await startSfu();
  signaling = await startLab({
    services: ['signaling'],
    sfuGrpcPort: sfuPort,
    env: {
      DATABASE_URL: db().url,
      SIGNALING_STATIC_DIR: staticDir,
      SIGNALING_MAX_PEERS_PER_ROOM: String(MAX_PEERS),
      SIGNALING_IDLE_TIMEOUT_SECONDS: String(IDLE_TIMEOUT_SECONDS),
      SIGNALING_RESUME_GRACE_SECONDS: String(RESUME_GRACE_SECONDS),
      SIGNALING_LOG_LEVEL: 'debug',
    },
  });
  sfu = new SfuGateway({ address: `127.0.0.1:${sfuPort}`, deadlineMs: 5000 });
});

// Runs before the harness drops the database (after-hooks run in reverse order of registration).
afterAll(async () => {
  sfu?.close();
  await signaling?.stop();
  await sfuLab?.stop();
  if (staticDir) await rm(staticDir, { recursive: true, force: true });
});

describe('HTTP endpoints', () => {
  test('GET /healthz (liveness) → 200 {"status":"ok"}; GET /readyz → 200 {"status":"ready"} when the database and the SFU are up', async () => {
    const live = await fetch(`${signaling.httpUrl}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${signaling.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  test('GET /metrics exposes the signaling catalogue of docs/metrics.md: presence, messages, errors, latencies', async () => {
    const client = await connect();
    await client.call('join', { roomId: newRoom(), displayName: 'Metered' });
    await client.request('createTransport', { direction: 'sideways' } as never);
    await client.call('createTransport', { direction: 'recv' });
    await fetch(`${signaling.httpUrl}/readyz`);
    const response = await fetch(`${signaling.httpUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^signaling_connected_sockets [1-9]/m);
    expect(text).toMatch(/^signaling_rooms [1-9]/m);
    expect(text).toMatch(/^signaling_peers [1-9]/m);
    expect(text).toMatch(/^signaling_messages_total\{direction="in",type="join",result="ok"\} [1-9]/m);
    expect(text).toMatch(/^signaling_messages_total\{direction="in",type="createTransport",result="invalid_message"\} [1-9]/m);
    expect(text).toMatch(/^signaling_messages_total\{direction="out",type="response",result="ok"\} [1-9]/m);
    expect(text).toMatch(/^signaling_errors_total\{code="invalid_message"\} [1-9]/m);
    expect(text).toMatch(/^signaling_message_handling_duration_seconds_count\{type="join"\} [1-9]/m);
    expect(text).toMatch(/^signaling_join_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^signaling_join_phase_duration_seconds_count\{phase="socket_to_joined"\} [1-9]/m);
    expect(text).toMatch(/^signaling_sfu_request_duration_seconds_count\{method="GetRouterRtpCapabilities",code="OK"\} [1-9]/m);
    expect(text).toMatch(/^signaling_sfu_request_duration_seconds_count\{method="CreateWebRtcTransport",code="OK"\} [1-9]/m);
    // instance_heartbeat is not listed: its first beat comes SIGNALING_INSTANCE_HEARTBEAT_SECONDS after start.
    for (const query of ['ensure_room', 'session_started', 'readiness', 'close_previous_sessions']) {
      expect(text).toMatch(new RegExp(`^signaling_db_query_duration_seconds_count\\{query="${query}"\\} [1-9]`, 'm'));
    }
  });

  test('the built client is served: index, hashed assets cached for good, SPA routes, 404s', async () => {
    const index = await rawGet('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body).toContain('WebRTC Lab');

    const asset = await rawGet('/assets/index-3f9a1c.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    const svg = await rawGet('/favicon.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');

    const route = await rawGet('/room/standup?x=1');
    expect(route.status).toBe(200);
    expect(route.body).toContain('WebRTC Lab');

    expect((await rawGet('/missing.js')).status).toBe(404);
    expect((await rawGet('/assets/missing-123.js')).status).toBe(404);
  });

  test('no path escapes the static directory', async () => {
    for (const attempt of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd', '/..%5c..%5cetc%5cpasswd']) {
      const response = await rawGet(attempt);
      expect(response.body, attempt).not.toContain('root:');
      expect([200, 400, 404], attempt).toContain(response.status);
    }
  });
});

describe('room capacity', () => {
  test(`a join beyond SIGNALING_MAX_PEERS_PER_ROOM (${MAX_PEERS}) → invalid_state; a freed seat can be taken`, async () => {
    const roomId = newRoom();
    const members = [await connect(), await connect()];
    for (const [index, member] of members.entries()) await member.call('join', { roomId, displayName: `Member ${index}` });
    const late = await connect();
    const refused = await late.request('join', { roomId, displayName: 'Late' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_state', message: `room "${roomId}" is full (${MAX_PEERS} peers at most)` } });
    // Nobody saw the refused peer.
    expect(members[0]!.pushesOf('peerJoined')).toHaveLength(1);

    await members[1]!.call('leave', {});
    const admitted = await late.call('join', { roomId, displayName: 'Late' });
    expect(admitted.peers).toHaveLength(1);
  });
});

describe('idle timeout', () => {
  test(`a socket that stops answering is closed within ~${IDLE_TIMEOUT_SECONDS} s and released as "disconnected" after the resume grace`, { timeout: 60_000 }, async () => {
    const roomId = newRoom();
    const silent = await connect();
    const silentJoin = await silent.call('join', { roomId, displayName: 'Frozen tab' });
    const watcher = await connect();
    await watcher.call('join', { roomId, displayName: 'Watcher' });
    const left = watcher.nextPush('peerLeft', undefined, { timeoutMs: 45_000 });
    // Stop reading: the client's pongs never go out, as with a frozen or vanished tab.
    (silent.ws as unknown as { _socket: Socket })._socket.pause();
    const started = Date.now();
    expect(await left).toEqual({ peerId: silentJoin.peerId, reason: 'disconnected' });
    expect(Date.now() - started).toBeLessThan((IDLE_TIMEOUT_SECONDS + RESUME_GRACE_SECONDS + 8) * 1000);
    await waitUntil(async () => (await sessionOf(db().pool, silentJoin.peerId))?.leave_reason === 'disconnected', 10_000, 'session ended');
    silent.ws.terminate();
  });
});

describe('SFU outage', () => {
  test('while the SFU is down: /readyz 503 (/healthz still 200), join → unavailable; once it is back everything works again', { timeout: 120_000 }, async () => {
    await sfuLab!.stop();
    sfuLab = undefined;
    await waitUntil(async () => (await readyStatus()) === 503, 15_000, '/readyz to report 503');
    const readiness = (await (await fetch(`${signaling.httpUrl}/readyz`)).json()) as { status: string; reasons: string[] };
    expect(readiness).toMatchObject({ status: 'not ready', reasons: expect.arrayContaining(['sfu: not serving']) });
    expect(readiness.reasons.some((reason) => reason.startsWith('database'))).toBe(false);
    expect((await fetch(`${signaling.httpUrl}/healthz`)).status).toBe(200);

    const roomId = newRoom();
    const client = await connect();
    const refused = await client.request('join', { roomId, displayName: 'Too early' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    // The failed join left nothing open behind: its session row is closed as join_failed.
    const failed = await db().pool.query('SELECT leave_reason, left_at FROM sessions WHERE room_id = $1', [roomId]);
    expect(failed.rows).toEqual([{ leave_reason: 'join_failed', left_at: expect.any(Date) }]);

    sfuLab = await startSfu();
    await waitUntil(async () => (await readyStatus()) === 200, 30_000, '/readyz to report 200');

    // The same socket may try again; the SFU event feed is re-subscribed (consumerClosed arrives).
    const alice = await client.call('join', { roomId, displayName: 'Alice' });
    const bob = await connect();
    const bobJoin = await bob.call('join', { roomId, displayName: 'Bob' });
    expect(bobJoin.peers.map((peer) => peer.peerId)).toEqual([alice.peerId]);
    const send = await client.call('createTransport', { direction: 'send' });
    const { producerId } = await client.call('produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters: opusRtpParameters() });
    const recv = await bob.call('createTransport', { direction: 'recv' });
    const consumer = await bob.call('consume', { transportId: recv.transportId, producerId, rtpCapabilities: bobJoin.routerRtpCapabilities });
    const closed = bob.nextPush('consumerClosed', (data) => data.consumerId === consumer.consumerId, { timeoutMs: 15_000 });
    await client.call('closeProducer', { producerId });
    expect((await closed).consumerId).toBe(consumer.consumerId);
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM closes every socket with 1001, releases peers on the SFU and ends sessions as "shutdown"', async () => {
    const roomId = newRoom();
    const alice = await connect();
    const bob = await connect();
    const aliceJoin = await alice.call('join', { roomId, displayName: 'Alice' });
    const bobJoin = await bob.call('join', { roomId, displayName: 'Bob' });
    expect((await sfu.getRoom({ roomId })).peers).toHaveLength(2);

    await signaling.stop();
    expect((await alice.closed).code).toBe(1001);
    expect((await bob.closed).code).toBe(1001);
    expect(await sfu.getRoom({ roomId })).toMatchObject({ exists: false });
    for (const peerId of [aliceJoin.peerId, bobJoin.peerId]) {
      expect((await sessionOf(db().pool, peerId))?.leave_reason).toBe('shutdown');
    }
  });
});
