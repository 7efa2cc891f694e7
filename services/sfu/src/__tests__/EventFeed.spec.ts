import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SfuEvent } from '@lab/proto/sfu';
import { EventFeed, type EventSubscriber } from '../EventFeed.ts';

/** A subscriber whose buffer holds `capacity` events until drain() is called (Node Writable-like). */
class FakeSubscriber implements EventSubscriber {
  readonly received: SfuEvent[] = [];
  closedWith: string | undefined;
  #buffered = 0;
  #drainListeners: Array<() => void> = [];

  constructor(readonly capacity = Infinity) {}

  write(event: SfuEvent): boolean {
    this.received.push(event);
    this.#buffered += 1;
    return this.#buffered < this.capacity;
  }
  onceDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
  }
  close(reason: 'overflow' | 'shutdown'): void {
    this.closedWith = reason;
  }
  drain(): void {
    this.#buffered = 0;
    const listeners = this.#drainListeners;
    this.#drainListeners = [];
    for (const listener of listeners) listener();
  }
}

const log = pino({ level: 'silent' });
const roomClosed = (roomId: string, reason = 'r') => ({ roomId, peerId: '', roomClosed: { reason } });

describe('EventFeed', () => {
  it('delivers events to subscribers of their room and to all-room subscribers, stamped with the time', () => {
    const feed = new EventFeed({ log });
    const roomA = new FakeSubscriber();
    const everything = new FakeSubscriber();
    feed.subscribe({ roomIds: ['a'] }, roomA);
    feed.subscribe({ roomIds: [] }, everything);

    const before = Date.now();
    feed.publish(roomClosed('a'));
    feed.publish(roomClosed('b'));

    expect(roomA.received.map((event) => event.roomId)).toEqual(['a']);
    expect(everything.received.map((event) => event.roomId)).toEqual(['a', 'b']);
    expect(Number(roomA.received[0]!.timestampMs)).toBeGreaterThanOrEqual(before);
  });

  it('queues for a slow subscriber without holding back the others, and delivers in order after drain', () => {
    const feed = new EventFeed({ log, maxQueued: 10 });
    const slow = new FakeSubscriber(1);
    const fast = new FakeSubscriber();
    feed.subscribe({ roomIds: [] }, slow);
    feed.subscribe({ roomIds: [] }, fast);

    for (const reason of ['1', '2', '3']) feed.publish(roomClosed('a', reason));
    expect(fast.received).toHaveLength(3);
    expect(slow.received).toHaveLength(1);

    slow.drain(); // room for one more: '2' is written, '3' waits for the next drain
    slow.drain();
    expect(slow.received.map((event) => event.roomClosed?.reason)).toEqual(['1', '2', '3']);
    expect(slow.closedWith).toBeUndefined();
  });

  it('cuts off a subscriber that falls more than maxQueued events behind, and only that one', () => {
    const feed = new EventFeed({ log, maxQueued: 2 });
    const stuck = new FakeSubscriber(1);
    const fast = new FakeSubscriber();
    feed.subscribe({ roomIds: [] }, stuck);
    feed.subscribe({ roomIds: [] }, fast);

    for (let index = 0; index < 5; index += 1) feed.publish(roomClosed('a'));

    expect(stuck.closedWith).toBe('overflow');
    expect(feed.subscriberCount).toBe(1);
    expect(fast.received).toHaveLength(5);
  });

  it('stops delivering after unsubscribe (call cancelled)', () => {
    const feed = new EventFeed({ log });
    const subscriber = new FakeSubscriber();
    const subscription = feed.subscribe({ roomIds: [] }, subscriber);
    subscription.unsubscribe();
    feed.publish(roomClosed('a'));
    expect(subscriber.received).toHaveLength(0);
    expect(feed.subscriberCount).toBe(0);
    expect(subscriber.closedWith).toBeUndefined();
  });

  it('keeps serving the others when one subscriber throws', () => {
    const feed = new EventFeed({ log });
    const broken = new FakeSubscriber();
    broken.write = () => {
      throw new Error('stream destroyed');
    };
    const healthy = new FakeSubscriber();
    feed.subscribe({ roomIds: [] }, broken);
    feed.subscribe({ roomIds: [] }, healthy);
    feed.publish(roomClosed('a'));
    feed.publish(roomClosed('a'));
    expect(healthy.received).toHaveLength(2);
    expect(feed.subscriberCount).toBe(1);
  });

  it('closes every subscriber with "shutdown" on close, and refuses new ones', () => {
    const feed = new EventFeed({ log });
    const subscriber = new FakeSubscriber();
    feed.subscribe({ roomIds: [] }, subscriber);
    feed.close();
    expect(subscriber.closedWith).toBe('shutdown');
    const late = new FakeSubscriber();
    feed.subscribe({ roomIds: [] }, late);
    expect(late.closedWith).toBe('shutdown');
  });

  it('close() ends every subscription even when one of them throws while closing', () => {
    const feed = new EventFeed({ log });
    const broken = new FakeSubscriber();
    broken.close = () => {
      throw new Error('stream already destroyed');
    };
    const healthy = new FakeSubscriber();
    feed.subscribe({ roomIds: [] }, broken);
    feed.subscribe({ roomIds: [] }, healthy);

    feed.close();

    expect(healthy.closedWith).toBe('shutdown');
    expect(feed.subscriberCount).toBe(0);
  });
});
