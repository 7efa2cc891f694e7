/**
 * Retrying with exponential backoff and jitter, for what the page re-establishes on its own
 * (the signaling socket, its media after a reset, ICE): many pages that lost the same server must
 * not come back in lockstep.
 */

export interface BackoffOptions {
  /** First delay; doubled after every failure up to `maxMs`. */
  initialMs: number;
  maxMs: number;
  /** Give up (rethrow the last error) after this long in all; default: never. */
  giveUpAfterMs?: number;
  /** Stop (rethrow) when this says so, e.g. the call ended or a newer attempt superseded this one. */
  stop?: () => boolean;
  /** Whether `error` is worth another try; default: every error. */
  retryable?: (error: unknown) => boolean;
  /** Called before each wait, for logs and the UI. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The delay before retry number `attempt` (1-based): doubling, capped, with ±25% jitter. */
export function backoffDelay(attempt: number, { initialMs, maxMs }: Pick<BackoffOptions, 'initialMs' | 'maxMs'>): number {
  const base = Math.min(initialMs * 2 ** (attempt - 1), maxMs);
  return Math.round(base * (0.75 + Math.random() / 2));
}

/** Runs `task` until it resolves, waiting longer after each failure; rethrows when told to stop. */
export async function withBackoff<T>(task: () => Promise<T>, options: BackoffOptions): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      const retryable = options.retryable?.(error) ?? true;
      const outOfTime = options.giveUpAfterMs !== undefined && Date.now() - started >= options.giveUpAfterMs;
      if (!retryable || outOfTime || options.stop?.()) throw error;
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
      if (options.stop?.()) throw error;
    }
  }
}
