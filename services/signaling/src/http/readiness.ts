/**
 * Readiness (GET /readyz): can this instance serve joins now? Each dependency check runs at the same
 * time under one time bound, so a stalled dependency makes the answer "not ready" within that bound
 * instead of holding the probe (and the load balancer waiting on it). Liveness (GET /healthz) checks
 * nothing but that the process answers: restarting the process would not fix a dependency.
 */
import { DatabaseTimeoutError } from '../errors.ts';

/** Bound of each check, and so of the whole answer: well under the usual 2..5 s probe timeouts. */
export const READINESS_CHECK_TIMEOUT_MS = 1000;

export interface ReadinessCheck {
  /** Names the dependency in the reasons: `database`, `sfu`, … */
  name: string;
  /** Resolves when the dependency serves; rejects with an Error whose message says what is wrong. */
  run(timeoutMs: number): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  /** One per failed check: `<name>: <what is wrong>`, e.g. `database: timeout after 1000 ms`. */
  reasons: string[];
}

class CheckTimeout extends Error {}

export async function checkReadiness(checks: readonly ReadinessCheck[], timeoutMs = READINESS_CHECK_TIMEOUT_MS): Promise<ReadinessReport> {
  const failures = await Promise.all(checks.map((check) => failureOf(check, timeoutMs)));
  const reasons = failures.filter((reason): reason is string => reason !== undefined);
  return { ready: reasons.length === 0, reasons };
}

async function failureOf(check: ReadinessCheck, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout()), timeoutMs);
  });
  const running = check.run(timeoutMs);
  running.catch(() => {}); // its late failure, after the deadline answered, is nobody's business
  try {
    await Promise.race([running, deadline]);
    return undefined;
  } catch (error) {
    const timedOut = error instanceof CheckTimeout || error instanceof DatabaseTimeoutError;
    return `${check.name}: ${timedOut ? `timeout after ${timeoutMs} ms` : error instanceof Error ? error.message : String(error)}`;
  } finally {
    clearTimeout(timer);
  }
}
