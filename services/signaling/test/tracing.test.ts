/**
 * Traces across both real processes: the SFU and signaling export OTLP/HTTP to a receiver in this
 * test, a real WebSocket client joins, and one trace holds signaling's `join` span, its gRPC client
 * span for GetRouterRtpCapabilities and the SFU's server span for that call, linked parent to child,
 * with both services named; both services' log lines of the join carry its trace id. A second lab,
 * whose batches would only go out after ten minutes, proves that stopping the services exports what
 * they still hold.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type Lab } from './support/lab.ts';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlpReceiver.ts';
import { waitUntil } from './support/SignalingClient.ts';
import { useSignalingClients, useTestDatabase } from './support/signalingLab.ts';

const db = useTestDatabase();
let receiver: OtlpReceiver;
let lab: Lab | undefined;
const { connect, newRoom } = useSignalingClients({ wsUrl: () => lab!.wsUrl, roomPrefix: 'trace' });

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await lab?.stop();
  await receiver?.close();
});

/** Both services exporting to the receiver, batches sent every `batchDelayMs`. */
async function tracedLab(batchDelayMs: number): Promise<Lab> {
  await lab?.stop();
  lab = await startLab({
    env: { DATABASE_URL: db().url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: String(batchDelayMs) },
  });
  return lab;
}

/** The three spans of one join, found by the room the join span names. */
function joinTrace(roomId: string): { join?: ReceivedSpan; client?: ReceivedSpan; server?: ReceivedSpan } {
  const join = receiver.spans.find((span) => span.name === 'signaling join' && span.attributes['signaling.room_id'] === roomId);
  if (!join) return {};
  const inTrace = (name: string, service: string) =>
    receiver.spans.find((span) => span.traceId === join.traceId && span.name === name && span.service === service);
  return {
    join,
    client: inTrace('lab.sfu.v1.Sfu/GetRouterRtpCapabilities', 'signaling'),
    server: inTrace('lab.sfu.v1.Sfu/GetRouterRtpCapabilities', 'sfu'),
  };
}

function complete(spans: ReturnType<typeof joinTrace>): boolean {
  return Boolean(spans.join && spans.client && spans.server);
}

/** JSON log lines of a lab process. */
async function logLines(file: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('one join, one trace', () => {
  test('signaling join → gRPC client span → SFU server span, parent to child, across both services; logs carry the trace id', async () => {
    const { logFiles } = await tracedLab(100);
    const roomId = newRoom();
    const client = await connect();
    const { peerId } = await client.call('join', { roomId, displayName: 'Traced' });

    await waitUntil(() => complete(joinTrace(roomId)), 15_000, 'the join trace to reach the receiver');
    const { join, client: call, server } = joinTrace(roomId) as Required<ReturnType<typeof joinTrace>>;

    expect(join).toMatchObject({ service: 'signaling', kind: SPAN_KIND.server, parentSpanId: undefined });
    expect(join.attributes).toMatchObject({ 'signaling.peer_id': peerId, 'signaling.result': 'ok' });
    expect(call).toMatchObject({ service: 'signaling', kind: SPAN_KIND.client, parentSpanId: join.spanId });
    expect(call.attributes).toMatchObject({
      'rpc.system.name': 'grpc',
      'rpc.method': 'lab.sfu.v1.Sfu/GetRouterRtpCapabilities',
      'rpc.status_code': 'OK',
    });
    expect(server).toMatchObject({ service: 'sfu', kind: SPAN_KIND.server, parentSpanId: call.spanId });
    expect(server.attributes).toMatchObject({ 'rpc.method': 'lab.sfu.v1.Sfu/GetRouterRtpCapabilities', 'rpc.status_code': 'OK' });

    // The same id in both services' logs: `jq 'select(.trace_id=="…")'` follows the join across them.
    await waitUntil(
      async () => (await logLines(logFiles.signaling!)).some((line) => line.msg === 'peer joined' && line.peerId === peerId),
      10_000,
      "signaling's join log line",
    );
    const signalingLine = (await logLines(logFiles.signaling!)).find((line) => line.msg === 'peer joined' && line.peerId === peerId);
    expect(signalingLine).toMatchObject({ trace_id: join.traceId });
    const sfuLines = (await logLines(logFiles.sfu!)).filter((line) => line.trace_id === join.traceId);
    expect(sfuLines.map((line) => line.msg)).toContain('peer joined');
  });

  test('stopping the services exports the spans they still batch', async () => {
    // Ten minutes: nothing leaves on the timer while the test runs.
    const stopped = await tracedLab(600_000);
    const roomId = newRoom();
    const client = await connect();
    await client.call('join', { roomId, displayName: 'Flushed' });
    await client.close();
    expect(joinTrace(roomId).join).toBeUndefined();

    await stopped.stop();
    lab = undefined;
    await waitUntil(() => complete(joinTrace(roomId)), 10_000, 'the spans flushed at shutdown');
    const { join, client: call, server } = joinTrace(roomId) as Required<ReturnType<typeof joinTrace>>;
    expect(call.parentSpanId).toBe(join.spanId);
    expect(server.parentSpanId).toBe(call.spanId);
  });
});
