/**
 * Limits per client address, shared by all of this instance's sockets: concurrent connections and
 * room creations per minute. Entries of addresses that hold nothing are dropped, so the maps stay as
 * large as the set of active clients. Per instance: behind N instances an address may get N times
 * the figures (good enough against one misbehaving host; a shared store can come with Redis).
 */
import { TokenBucket } from './TokenBucket.ts';

export interface AddressLimitsOptions {
  /** Concurrent WebSockets one address may hold. */
  maxConnectionsPerAddress: number;
  /** Rooms one address may create per minute (a join of a room nobody is in). */
  roomCreationsPerMinute: number;
  now?: () => number;
}

export class AddressLimits {
  readonly #options: AddressLimitsOptions;
  readonly #connections = new Map<string, number>();
  readonly #roomCreations = new Map<string, TokenBucket>();

  constructor(options: AddressLimitsOptions) {
    this.#options = options;
  }

  get roomCreationsPerMinute(): number {
    return this.#options.roomCreationsPerMinute;
  }

  /** Whether `address` may open another connection (it holds fewer than the maximum). */
  mayConnect(address: string): boolean {
    return (this.#connections.get(address) ?? 0) < this.#options.maxConnectionsPerAddress;
  }

  /**
   * A connection of `address` opened. Counted on open rather than at the upgrade check: an upgrade
   * the client abandons never opens, and must not hold a place.
   */
  connected(address: string): void {
    this.#connections.set(address, (this.#connections.get(address) ?? 0) + 1);
  }

  /** A connection counted by connected() closed. */
  disconnected(address: string): void {
    const open = (this.#connections.get(address) ?? 0) - 1;
    if (open > 0) this.#connections.set(address, open);
    else this.#connections.delete(address);
  }

  /** Takes one room creation of `address`'s per-minute allowance; false when none is left. */
  tryCreateRoom(address: string): boolean {
    this.#forgetRestedAddresses();
    let bucket = this.#roomCreations.get(address);
    if (!bucket) {
      const perMinute = this.#options.roomCreationsPerMinute;
      bucket = new TokenBucket({ capacity: perMinute, refillPerSecond: perMinute / 60, ...(this.#options.now ? { now: this.#options.now } : {}) });
      this.#roomCreations.set(address, bucket);
    }
    return bucket.take();
  }

  /** Buckets that refilled completely remember nothing: drop them (checked on use, so no timer). */
  #forgetRestedAddresses(): void {
    if (this.#roomCreations.size < 1024) return;
    for (const [address, bucket] of this.#roomCreations) {
      if (bucket.full) this.#roomCreations.delete(address);
    }
  }
}
