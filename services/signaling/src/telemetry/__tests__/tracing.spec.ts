/**
 * Signaling's spans and the trace context it hands to the SFU, with the SDK recording in memory
 * (the OTLP export itself is proven end to end by test/tracing.test.ts) and a stand-in SFU that
 * shows what arrives in its gRPC metadata.
 */
import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { SfuGateway } from '../../sfu/SfuGateway.ts';
import { startFakeSfu, type FakeSfu } from '../../sfu/__tests__/fakeSfu.ts';
import { ConfigError } from '../../config.ts';
import { installTracing, startSessionSpan } from '../tracing.ts';

const exporter = new InMemorySpanExporter();
let sfu: FakeSfu;
let gateway: SfuGateway;
/** The traceparent of each call the stand-in SFU received. */
const received: Array<string | undefined> = [];

beforeAll(async () => {
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  sfu = await startFakeSfu({
    GetStatus: (call, callback) => {
      received.push(call.metadata.get('traceparent')[0]?.toString());
      callback(null, { nodeId: 'n', workers: [], roomCount: 0 });
    },
    RestartIce: (_call, callback) => callback({ code: grpc.status.NOT_FOUND, details: 'transport t9 not found' }),
  });
  gateway = new SfuGateway({ address: `127.0.0.1:${sfu.port}`, deadlineMs: 2000 });
});

afterAll(async () => {
  gateway?.close();
  await sfu?.stop();
  trace.disable();
  context.disable();
  propagation.disable();
});

beforeEach(() => {
  exporter.reset();
  received.length = 0;
});

const spanNamed = (name: string): ReadableSpan => {
  const span = exporter.getFinishedSpans().find((candidate) => candidate.name === name);
  if (!span) throw new Error(`no span ${name}; got ${exporter.getFinishedSpans().map((candidate) => candidate.name).join(', ')}`);
  return span;
};

describe('installTracing', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  test('without an OTLP endpoint nothing is installed; an endpoint that is no http(s) URL is a configuration error', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '');
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '');
    await expect(installTracing().shutdown()).resolves.toBeUndefined();
    for (const endpoint of ['localhost:4318', 'collector', 'ftp://collector:21']) {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
      expect(() => installTracing()).toThrow(new ConfigError(`invalid tracing configuration: OTLP endpoint "${endpoint}" is not an http(s) URL`));
    }
  });
});

describe('signaling spans', () => {
  test('an SFU call made while handling a request is its client-span child, and the SFU receives that span as traceparent', async () => {
    const join = startSessionSpan('join');
    await join.run(() => gateway.getStatus({}));
    join.end('ok', { roomId: 'standup', peerId: 'p1' });

    const request = spanNamed('signaling join');
    const call = spanNamed('lab.sfu.v1.Sfu/GetStatus');
    expect(request).toMatchObject({
      kind: SpanKind.SERVER,
      attributes: { 'signaling.operation': 'join', 'signaling.room_id': 'standup', 'signaling.peer_id': 'p1', 'signaling.result': 'ok' },
    });
    expect(request.parentSpanContext).toBeUndefined();
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(call.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(call.attributes).toMatchObject({
      'rpc.system.name': 'grpc',
      'rpc.method': 'lab.sfu.v1.Sfu/GetStatus',
      'rpc.status_code': 'OK',
      'server.address': '127.0.0.1',
      'server.port': sfu.port,
    });
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(received).toEqual([`00-${call.spanContext().traceId}-${call.spanContext().spanId}-01`]);
  });

  test('a failed SFU call is an error on its client span, with the status name', async () => {
    await gateway.restartIce({ peer: { roomId: 'r', peerId: 'p' }, transportId: 't9' }).catch(() => undefined);
    expect(spanNamed('lab.sfu.v1.Sfu/RestartIce')).toMatchObject({
      attributes: { 'rpc.status_code': 'NOT_FOUND', 'error.type': 'NOT_FOUND' },
      status: { code: SpanStatusCode.ERROR, message: 'transport t9 not found' },
    });
  });

  test('every request starts its own trace; a release runs inside whatever asked for it', async () => {
    const leave = startSessionSpan('leave');
    await leave.run(async () => {
      const nested = startSessionSpan('consume');
      nested.end('not_found');
      const release = startSessionSpan('release', 'internal');
      await release.run(() => gateway.getStatus({}));
      release.end('ok');
    });
    leave.end('ok');

    const leaveSpan = spanNamed('signaling leave');
    expect(spanNamed('signaling consume').spanContext().traceId).not.toBe(leaveSpan.spanContext().traceId);
    const release = spanNamed('signaling release');
    expect(release.kind).toBe(SpanKind.INTERNAL);
    expect(release.parentSpanContext?.spanId).toBe(leaveSpan.spanContext().spanId);
    expect(spanNamed('lab.sfu.v1.Sfu/GetStatus').parentSpanContext?.spanId).toBe(release.spanContext().spanId);
  });

  test('the client’s mistakes leave a request span unset; the service’s own failures mark it as an error', () => {
    for (const result of ['invalid_message', 'rate_limited', 'unavailable', 'internal'] as const) startSessionSpan(`r-${result}`).end(result);
    const status = (result: string) => spanNamed(`signaling r-${result}`).status.code;
    expect(status('invalid_message')).toBe(SpanStatusCode.UNSET);
    expect(status('rate_limited')).toBe(SpanStatusCode.UNSET);
    expect(status('unavailable')).toBe(SpanStatusCode.ERROR);
    expect(status('internal')).toBe(SpanStatusCode.ERROR);
    expect(spanNamed('signaling r-invalid_message').attributes['error.type']).toBe('invalid_message');
  });
});
