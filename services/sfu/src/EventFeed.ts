/**
 * Fan-out of SfuEvents to WatchEvents subscribers. Publishing never waits: each subscriber has its
 * own bounded queue, so a slow or stuck subscriber cannot delay the others; one that falls too far
 * behind is cut off (it resubscribes and resynchronises with GetRoom) instead of growing memory.
 */
import type { Logger } from 'pino';
import type { SfuEvent } from '@lab/proto/sfu';

/** An event as domain code publishes it: the feed stamps the time. */
export type SfuEventInit = Omit<SfuEvent, 'timestampMs' | 'event'> & { roomId: string; peerId: string };

/** The receiving end of one subscription (a gRPC server stream, in production). */
export interface EventSubscriber {
  /** Delivers one event; returns false when its buffer is full (Node Writable semantics: wait for drain). */
  write(event: SfuEvent): boolean;
  /** Registers a one-shot listener for "buffer has room again". */
  onceDrain(listener: () => void): void;
  /** The feed drops the subscriber: it fell `maxQueued` events behind, or the feed is closing. */
  close(reason: 'overflow' | 'shutdown'): void;
}

export type EventFilter = { roomIds: readonly string[] };

export type Subscription = { unsubscribe(): void };

/** Why 1024: events are small and a burst (a room of 16 closing: ~16 × 15 ConsumerClosed) fits many times. */
const DEFAULT_MAX_QUEUED = 1024;

class SubscriberQueue {
  readonly #queue: SfuEvent[] = [];
  #waitingForDrain = false;
  #done = false;

  constructor(
    readonly subscriber: EventSubscriber,
    readonly rooms: ReadonlySet<string> | undefined,
    readonly maxQueued: number,
    readonly onGone: (reason: 'overflow' | 'shutdown') => void,
  ) {}

  accepts(roomId: string): boolean {
    return !this.rooms || this.rooms.has(roomId);
  }

  push(event: SfuEvent): void {
    if (this.#done) return;
    if (this.#waitingForDrain) {
      if (this.#queue.length >= this.maxQueued) {
        this.finish('overflow');
        return;
      }
      this.#queue.push(event);
      return;
    }
    this.#write(event);
  }

  finish(reason: 'overflow' | 'shutdown'): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue.length = 0;
    this.onGone(reason);
    this.subscriber.close(reason);
  }

  /** The subscriber went away on its own (call cancelled): forget it without telling it. */
  forget(): void {
    this.#done = true;
    this.#queue.length = 0;
  }

  #write(event: SfuEvent): void {
    if (!this.subscriber.write(event)) {
      this.#waitingForDrain = true;
      this.subscriber.onceDrain(() => this.#flush());
    }
  }

  #flush(): void {
    this.#waitingForDrain = false;
    while (!this.#done && !this.#waitingForDrain && this.#queue.length > 0) {
      this.#write(this.#queue.shift()!);
    }
  }
}

/** What the feed reports about itself (SfuMetrics implements it). */
export interface EventFeedMetrics {
  eventPublished(type: string): void;
  eventSubscriberOverflowed(): void;
}

/** The event's type: the name of its `event` oneof field (`producerClosed`, `consumerScore`, …). */
function eventType(init: SfuEventInit): string {
  return Object.keys(init).find((key) => key !== 'roomId' && key !== 'peerId') ?? 'unknown';
}

export class EventFeed {
  readonly #subscribers = new Set<SubscriberQueue>();
  readonly #log: Logger;
  readonly #maxQueued: number;
  readonly #metrics: EventFeedMetrics | undefined;
  #closed = false;

  /** `maxQueued`: events a subscriber may fall behind before it is cut off (default 1024, see above). */
  constructor(options: { log: Logger; maxQueued?: number; metrics?: EventFeedMetrics }) {
    this.#log = options.log;
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.#metrics = options.metrics;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Every event published from now on whose room is in `filter.roomIds` (all rooms when empty). */
  subscribe(filter: EventFilter, subscriber: EventSubscriber): Subscription {
    if (this.#closed) {
      subscriber.close('shutdown');
      return { unsubscribe: () => {} };
    }
    const rooms = filter.roomIds.length > 0 ? new Set(filter.roomIds) : undefined;
    const queue: SubscriberQueue = new SubscriberQueue(subscriber, rooms, this.#maxQueued, (reason) => {
      this.#subscribers.delete(queue);
      if (reason === 'overflow') this.#metrics?.eventSubscriberOverflowed();
    });
    this.#subscribers.add(queue);
    return {
      unsubscribe: () => {
        queue.forget();
        this.#subscribers.delete(queue);
      },
    };
  }

  /** Stamps the event and hands it to every interested subscriber without waiting for any of them. */
  publish(init: SfuEventInit): void {
    if (this.#closed) return;
    this.#metrics?.eventPublished(eventType(init));
    const event: SfuEvent = { ...init, timestampMs: String(Date.now()) };
    for (const queue of [...this.#subscribers]) {
      if (!queue.accepts(init.roomId)) continue;
      try {
        queue.push(event);
      } catch (error) {
        // A broken subscriber must not stop the others from getting the event.
        this.#log.warn({ err: error }, 'event subscriber failed; dropping it');
        queue.forget();
        this.#subscribers.delete(queue);
      }
    }
  }

  /** Ends every subscription (shutdown). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const queue of [...this.#subscribers]) {
      // One stream that fails to end must not leave the others open (shutdown waits for them).
      try {
        queue.finish('shutdown');
      } catch (error) {
        this.#log.warn({ err: error }, 'event subscriber failed to close');
      }
    }
    this.#subscribers.clear();
  }
}
