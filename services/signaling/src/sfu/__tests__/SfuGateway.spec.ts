/**
 * SfuGateway over real gRPC against a stand-in SFU server (this file's handlers), to pin down the
 * behaviour around the interface: deadlines, status mapping, health, and the event stream's
 * re-subscription after the server goes away and comes back.
 */
import * as grpc from '@grpc/grpc-js';
import type { SfuEvent, SfuEvent__Output } from '@lab/proto/sfu';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { SfuCallError, errorCodeOf } from '../../errors.ts';
import { SfuGateway } from '../SfuGateway.ts';
import { startFakeSfu } from './fakeSfu.ts';

const event = (peerId: string): SfuEvent => ({
  roomId: 'room',
  peerId,
  timestampMs: String(Date.now()),
  consumerScore: { consumerId: 'c1', score: 10, producerScore: 9 },
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function gatewayTo(port: number, deadlineMs = 2000): SfuGateway {
  const gateway = new SfuGateway({ address: `127.0.0.1:${port}`, deadlineMs });
  cleanups.push(() => gateway.close());
  return gateway;
}

describe('SfuGateway', () => {
  test('unary calls resolve with the typed response', async () => {
    const sfu = await startFakeSfu({
      GetStatus: (_call, callback) => callback(null, { nodeId: 'fake-node', workers: [{ pid: 42, routerCount: 1 }], roomCount: 1 }),
    });
    cleanups.push(() => sfu.stop());
    const status = await gatewayTo(sfu.port).getStatus({});
    expect(status).toEqual({
      nodeId: 'fake-node',
      roomCount: 1,
      workers: [{ pid: 42, routerCount: 1, transportCount: 0, producerCount: 0, consumerCount: 0 }],
    });
  });

  test('an SFU error becomes an SfuCallError with the gRPC code and the details', async () => {
    const sfu = await startFakeSfu({
      RestartIce: (_call, callback) => callback({ code: grpc.status.NOT_FOUND, details: 'transport_id t9 not found for peer p1' }),
    });
    cleanups.push(() => sfu.stop());
    const failure = await gatewayTo(sfu.port).restartIce({ peer: { roomId: 'r', peerId: 'p1' }, transportId: 't9' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SfuCallError);
    expect(failure).toMatchObject({ rpc: 'restartIce', grpcCode: grpc.status.NOT_FOUND, details: 'transport_id t9 not found for peer p1' });
    expect(errorCodeOf(failure)).toBe('not_found');
  });

  test('every call is timed under the SFU\'s method name and its final status code', async () => {
    const sfu = await startFakeSfu({
      GetStatus: (_call, callback) => callback(null, { nodeId: 'n', workers: [], roomCount: 0 }),
      RestartIce: (_call, callback) => callback({ code: grpc.status.NOT_FOUND, details: 'no such transport' }),
    });
    cleanups.push(() => sfu.stop());
    const observeSfuRequest = vi.fn();
    const gateway = new SfuGateway({ address: `127.0.0.1:${sfu.port}`, deadlineMs: 2000, metrics: { observeSfuRequest } });
    cleanups.push(() => gateway.close());
    await gateway.getStatus({});
    await gateway.restartIce({ peer: { roomId: 'r', peerId: 'p' }, transportId: 't' }).catch(() => undefined);
    expect(observeSfuRequest.mock.calls).toEqual([
      ['GetStatus', 'OK', expect.any(Number)],
      ['RestartIce', 'NOT_FOUND', expect.any(Number)],
    ]);
  });

  test('every call has a deadline: a stuck SFU yields DEADLINE_EXCEEDED (→ unavailable) in time', async () => {
    const sfu = await startFakeSfu({ GetRoom: () => undefined /* never answers */ });
    cleanups.push(() => sfu.stop());
    const started = Date.now();
    const failure = await gatewayTo(sfu.port, 300).getRoom({ roomId: 'r' }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ grpcCode: grpc.status.DEADLINE_EXCEEDED });
    expect(errorCodeOf(failure)).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('an unreachable SFU yields UNAVAILABLE (→ unavailable)', async () => {
    const sfu = await startFakeSfu({});
    const port = sfu.port;
    await sfu.stop();
    const failure = await gatewayTo(port).getStatus({}).catch((e: unknown) => e);
    expect(failure).toMatchObject({ grpcCode: grpc.status.UNAVAILABLE });
    expect(errorCodeOf(failure)).toBe('unavailable');
  });

  test('isServing follows grpc.health.v1 for lab.sfu.v1.Sfu', async () => {
    const sfu = await startFakeSfu({});
    cleanups.push(() => sfu.stop());
    const gateway = gatewayTo(sfu.port);
    expect(await gateway.isServing()).toBe(true);
    sfu.health.setStatus('lab.sfu.v1.Sfu', 'NOT_SERVING');
    expect(await gateway.isServing()).toBe(false);
  });

  test('watchEvents re-subscribes with backoff after the SFU restarts, and stops on close()', async () => {
    let sfu = await startFakeSfu({});
    const port = sfu.port;
    cleanups.push(() => sfu.stop());
    const received: SfuEvent__Output[] = [];
    const transitions: boolean[] = [];
    const watch = gatewayTo(port).watchEvents((e) => received.push(e), {
      minBackoffMs: 50,
      maxBackoffMs: 200,
      onConnectionChange: (connected) => transitions.push(connected),
    });

    await vi.waitFor(() => expect(watch.connected).toBe(true));
    for (const stream of sfu.streams) stream.write(event('before'));
    await vi.waitFor(() => expect(received.map((e) => e.peerId)).toEqual(['before']));
    expect(received[0]).toMatchObject({ event: 'consumerScore', consumerScore: { consumerId: 'c1', score: 10, producerScore: 9 } });

    await sfu.stop();
    await vi.waitFor(() => expect(watch.connected).toBe(false));
    // Down for a while: several failed attempts, each retried.
    await new Promise((resolve) => setTimeout(resolve, 500));
    sfu = await startFakeSfu({}, port);
    await vi.waitFor(() => expect(sfu.streams.size).toBe(1), { timeout: 5000 });
    await vi.waitFor(() => expect(watch.connected).toBe(true));
    for (const stream of sfu.streams) stream.write(event('after'));
    await vi.waitFor(() => expect(received.map((e) => e.peerId)).toEqual(['before', 'after']));
    expect(transitions).toEqual([true, false, true]);

    watch.close();
    await vi.waitFor(() => expect(sfu.streams.size).toBe(0));
    expect(watch.connected).toBe(true); // frozen at close; no further transitions
    expect(transitions).toEqual([true, false, true]);
  });

  test('a throwing event handler does not end the subscription', async () => {
    const sfu = await startFakeSfu({});
    cleanups.push(() => sfu.stop());
    const received: string[] = [];
    const watch = gatewayTo(sfu.port).watchEvents((e) => {
      received.push(e.peerId);
      if (e.peerId === 'boom') throw new Error('handler bug');
    });
    await vi.waitFor(() => expect(watch.connected).toBe(true));
    for (const stream of sfu.streams) {
      stream.write(event('boom'));
      stream.write(event('fine'));
    }
    await vi.waitFor(() => expect(received).toEqual(['boom', 'fine']));
    expect(watch.connected).toBe(true);
  });
});
