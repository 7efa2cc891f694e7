/**
 * Session ends that must reach the database even when it is unavailable at the moment they happen.
 * A session end (left_at, leave_reason) is written at once; when that fails it is kept in memory and
 * retried with doubling backoff until written, with the time the session really ended, not the time
 * of the write. At shutdown the queue is flushed as far as a time bound allows; what is still pending
 * then is lost with the process, and closed later as `instance_lost` by the sweep of another instance
 * (or by this instance id's next start): see InstanceRepository.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { moduleLogger } from '../logger.ts';
import { noopMetrics, type SignalingMetrics } from '../metrics.ts';
import type { LeaveReason } from './SessionRepository.ts';

const log = moduleLogger('PendingSessionEnds');

export interface SessionEnd {
  sessionId: string;
  reason: LeaveReason;
  /** When the session ended: what left_at must say, however late it is written. */
  endedAt: Date;
}

/** Writes one session end; SessionRepository.sessionEnded. */
export interface SessionEndWriter {
  sessionEnded(sessionId: string, reason: LeaveReason, endedAt: Date): Promise<unknown>;
}

export interface RetryBackoff {
  /** Delay before the first retry; doubled after each failed one. */
  initialMs: number;
  /** The delay stops doubling here. */
  maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 250, maxMs: 10_000 };

interface Pending {
  end: SessionEnd;
  delayMs: number;
  timer?: NodeJS.Timeout;
  inFlight?: Promise<void>;
}

export interface PendingSessionEndsOptions {
  writer: SessionEndWriter;
  metrics?: Pick<SignalingMetrics, 'sessionEndsPending' | 'sessionEndRetried'>;
  backoff?: RetryBackoff;
}

export class PendingSessionEnds {
  readonly #writer: SessionEndWriter;
  readonly #metrics: Pick<SignalingMetrics, 'sessionEndsPending' | 'sessionEndRetried'>;
  readonly #backoff: RetryBackoff;
  readonly #pending = new Map<string, Pending>();
  #stopped = false;

  constructor(options: PendingSessionEndsOptions) {
    this.#writer = options.writer;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
  }

  /** Session ends not written yet. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Writes the end of a session now; when that fails, keeps it and retries it in the background.
   * Resolves after the first attempt either way and never rejects: the caller (a release, a failed
   * join's rollback) has nothing better to do about it. A second end of a session already pending
   * is ignored, as the database would ignore it (the first end wins).
   */
  async record(end: SessionEnd): Promise<void> {
    if (this.#pending.has(end.sessionId)) return;
    try {
      await this.#writer.sessionEnded(end.sessionId, end.reason, end.endedAt);
    } catch (error) {
      log.warn({ err: error, sessionId: end.sessionId, reason: end.reason }, 'could not record the end of a session; retrying it until it is written');
      const entry: Pending = { end, delayMs: this.#backoff.initialMs };
      this.#pending.set(end.sessionId, entry);
      this.#metrics.sessionEndsPending(this.#pending.size);
      this.#schedule(entry);
    }
  }

  /**
   * Retries every pending end now and keeps retrying (with backoff) until all are written or
   * `timeoutMs` has passed. Returns how many are still pending.
   */
  async flush(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    let delayMs = this.#backoff.initialMs;
    while (this.#pending.size > 0) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      const attempts = Promise.all([...this.#pending.values()].map((entry) => this.#attemptNow(entry)));
      await Promise.race([attempts, sleep(remaining)]);
      if (this.#pending.size === 0 || deadline - performance.now() <= delayMs) break;
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, this.#backoff.maxMs);
    }
    return this.#pending.size;
  }

  /** Stops retrying (at shutdown, after flush). Returns the ends that were never written. */
  stop(): SessionEnd[] {
    this.#stopped = true;
    for (const entry of this.#pending.values()) clearTimeout(entry.timer);
    return [...this.#pending.values()].map((entry) => entry.end);
  }

  #schedule(entry: Pending): void {
    if (this.#stopped) return;
    entry.timer = setTimeout(() => void this.#attemptNow(entry), entry.delayMs);
    // Pending retries must not keep a stopping process alive; shutdown flushes them explicitly.
    entry.timer.unref();
  }

  /** One retry of `entry`, or the one already running. */
  #attemptNow(entry: Pending): Promise<void> {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.inFlight ??= this.#retry(entry).finally(() => {
      entry.inFlight = undefined;
    });
    return entry.inFlight;
  }

  async #retry(entry: Pending): Promise<void> {
    const { sessionId, reason, endedAt } = entry.end;
    try {
      await this.#writer.sessionEnded(sessionId, reason, endedAt);
    } catch (error) {
      this.#metrics.sessionEndRetried('failed');
      log.debug({ err: error, sessionId, retryInMs: entry.delayMs }, 'session end still not written');
      entry.delayMs = Math.min(entry.delayMs * 2, this.#backoff.maxMs);
      this.#schedule(entry);
      return;
    }
    this.#pending.delete(sessionId);
    this.#metrics.sessionEndRetried('written');
    this.#metrics.sessionEndsPending(this.#pending.size);
    log.info({ sessionId, reason, endedAt }, 'session end written after the database came back');
  }
}
