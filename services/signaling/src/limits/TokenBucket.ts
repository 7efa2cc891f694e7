/**
 * A token bucket: up to `capacity` actions at once, refilled continuously at `refillPerSecond`.
 * Small enough to keep here rather than add a dependency; the clock is injectable so the unit tests
 * need no timers.
 */
export interface TokenBucketOptions {
  /** Most tokens held (the burst). */
  capacity: number;
  /** Tokens added per second, up to `capacity`. */
  refillPerSecond: number;
  /** Milliseconds, monotonic; performance.now by default. */
  now?: () => number;
}

export class TokenBucket {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor({ capacity, refillPerSecond, now = () => performance.now() }: TokenBucketOptions) {
    this.#capacity = capacity;
    this.#refillPerMs = refillPerSecond / 1000;
    this.#now = now;
    this.#tokens = capacity;
    this.#updatedAt = now();
  }

  /** Takes one token when there is one; false (nothing taken) when the bucket is empty. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True when the bucket is full again, i.e. it carries no memory of past use (safe to forget). */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.#capacity;
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#updatedAt) * this.#refillPerMs);
    this.#updatedAt = now;
  }
}
