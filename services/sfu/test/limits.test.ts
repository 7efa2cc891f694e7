/**
 * The SFU's own limits, against the real SFU process: per-peer caps answer RESOURCE_EXHAUSTED (the
 * defence behind signaling's lower caps) while a peer of another room keeps being served, and a
 * media port range with no free port answers UNAVAILABLE, not INTERNAL, and serves again once ports
 * are given back.
 */
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { failure } from './sfuClient.ts';
import { newRoomId } from './sfuCalls.ts';
import { useSfu } from './useSfu.ts';

/** Port ranges of their own, away from the default 40000-49999 other suites on this machine use. */
const CAPPED_PORTS = { min: 38_000, max: 38_199 };
/** Two ports: one transport takes a UDP and a TCP port of the range, so this holds two transports at most. */
const TINY_PORTS = { min: 38_400, max: 38_401 };

describe('per-peer caps', () => {
  const lab = useSfu({
      SFU_WORKERS: '1',
      SFU_RTC_MIN_PORT: String(CAPPED_PORTS.min),
      SFU_RTC_MAX_PORT: String(CAPPED_PORTS.max),
      SFU_MAX_TRANSPORTS_PER_PEER: '2',
      SFU_MAX_PRODUCERS_PER_PEER: '1',
      SFU_MAX_CONSUMERS_PER_PEER: '1',
    });
  const { calls } = lab;

  it('transports, producers and consumers beyond the caps → RESOURCE_EXHAUSTED; another room is served meanwhile', async () => {
    const roomId = newRoomId();
    const capabilities = await calls.join(roomId, 'alice');
    await calls.join(roomId, 'bob');
    const aliceSend = await calls.createTransport(roomId, 'alice');
    await calls.createTransport(roomId, 'alice');

    // Concurrent requests cannot overshoot the cap: creations in flight count.
    const third = await Promise.allSettled([calls.createTransport(roomId, 'alice'), calls.createTransport(roomId, 'alice')]);
    for (const outcome of third) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') {
        expect(outcome.reason).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: expect.stringContaining('the SFU allows 2 per peer') });
      }
    }

    // Another room's peer is served at the same time.
    const otherRoom = newRoomId();
    await calls.join(otherRoom, 'carol');
    const carolTransport = await calls.createTransport(otherRoom, 'carol');
    expect(carolTransport.iceCandidates.length).toBeGreaterThan(0);

    const producerId = await calls.produce(roomId, 'alice', aliceSend.transportId, capabilities, 'audio');
    const secondProducer = await failure(calls.produce(roomId, 'alice', aliceSend.transportId, capabilities, 'video'));
    expect(secondProducer.code).toBe(status.RESOURCE_EXHAUSTED);

    const bobRecv = await calls.createTransport(roomId, 'bob', 'TRANSPORT_DIRECTION_RECV');
    await calls.consume(roomId, 'bob', bobRecv.transportId, producerId, JSON.stringify(capabilities));
    const secondConsumer = await failure(calls.consume(roomId, 'bob', bobRecv.transportId, producerId, JSON.stringify(capabilities)));
    expect(secondConsumer.code).toBe(status.RESOURCE_EXHAUSTED);

    // Nothing was created by the refused calls.
    const room = await calls.getRoom(roomId);
    expect(room).toMatchObject({ transportCount: 3, producerCount: 1, consumerCount: 1 });
    // Refusals are warnings, not errors: no stack traces in the log.
    expect(lab.sfu.logs.filter((line) => line.level >= 50)).toEqual([]);
  });
});

describe('media port exhaustion', () => {
  const lab = useSfu({
      SFU_WORKERS: '1',
      SFU_RTC_MIN_PORT: String(TINY_PORTS.min),
      SFU_RTC_MAX_PORT: String(TINY_PORTS.max),
      SFU_MAX_TRANSPORTS_PER_PEER: '100',
    });
  const { calls } = lab;

  it('no free port → UNAVAILABLE naming the range (not INTERNAL); ports given back serve again', async () => {
    const hog = newRoomId();
    await calls.join(hog, 'hog');
    let created = 0;
    let refusal: Awaited<ReturnType<typeof failure>> | undefined;
    for (let attempt = 0; attempt < 5 && !refusal; attempt++) {
      try {
        await calls.createTransport(hog, 'hog');
        created += 1;
      } catch (error) {
        refusal = error as Awaited<ReturnType<typeof failure>>;
      }
    }
    expect(created).toBeGreaterThanOrEqual(1);
    expect(created).toBeLessThanOrEqual(2);
    expect(refusal).toMatchObject({
      code: status.UNAVAILABLE,
      details: expect.stringContaining(`no media port free in ${TINY_PORTS.min}..${TINY_PORTS.max}`),
    });

    // Everybody is refused the same way while the ports are taken…
    const other = newRoomId();
    await calls.join(other, 'guest');
    expect((await failure(calls.createTransport(other, 'guest'))).code).toBe(status.UNAVAILABLE);
    // …and served once they are given back.
    await calls.closePeer(hog, 'hog');
    const transport = await calls.createTransport(other, 'guest');
    expect(transport.iceCandidates.length).toBeGreaterThan(0);
    // The worker reports its own throw (forwarded at error level, "throwing MediaSoupError: no more
    // available ports"); the SFU itself logs no error: the request was no bug.
    expect(lab.sfu.logs.filter((line) => line.level >= 50 && !line.msg.includes('throwing MediaSoupError: no more available ports'))).toEqual([]);
    expect(lab.sfu.logs.some((line) => line.level === 40 && line.code === 'UNAVAILABLE')).toBe(true);
  });
});
