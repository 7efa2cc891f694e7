/**
 * Joined sessions whose socket was lost, held for a grace period so the page can take them over from
 * a new socket (`resume`) as the same participant: the others see nothing, and its media on the SFU
 * never stopped. A session not resumed in time is released as 'disconnected', as it would have been
 * at once without the grace. Held in this process only: a page that comes back through another
 * signaling instance (or after a restart) gets `not_found` and joins again.
 */
import { randomBytes } from 'node:crypto';

/** What a held session must offer. */
export interface ParkedSession {
  /** The grace ran out (or the server stops): release the peer. */
  expire(): Promise<void>;
}

export class ResumableSessions {
  readonly #graceMs: number;
  readonly #parked = new Map<string, { session: ParkedSession; timer: NodeJS.Timeout }>();

  /** `graceMs` 0 turns resuming off (sessions are released when their socket closes). */
  constructor(graceMs: number) {
    this.#graceMs = graceMs;
  }

  get enabled(): boolean {
    return this.#graceMs > 0;
  }

  get size(): number {
    return this.#parked.size;
  }

  /** A fresh secret for a joined session; unguessable, so only its page can resume it. */
  newToken(): string {
    return randomBytes(24).toString('base64url');
  }

  /** Holds `session` under `token` until taken or until the grace passes (then it expires). */
  park(token: string, session: ParkedSession): void {
    this.#drop(token);
    const timer = setTimeout(() => {
      this.#parked.delete(token);
      void session.expire();
    }, this.#graceMs);
    timer.unref();
    this.#parked.set(token, { session, timer });
  }

  /** The session held under `token`, no longer held; undefined when unknown or expired. */
  take<S extends ParkedSession>(token: string): S | undefined {
    const entry = this.#parked.get(token);
    if (!entry) return undefined;
    this.#drop(token);
    return entry.session as S;
  }

  /** Forgets `token` without expiring its session (it was released another way). */
  forget(token: string): void {
    this.#drop(token);
  }

  /** Expires every held session now (shutdown); resolves once they are released. */
  async expireAll(): Promise<void> {
    const sessions = [...this.#parked.values()].map((entry) => entry.session);
    for (const token of [...this.#parked.keys()]) this.#drop(token);
    await Promise.allSettled(sessions.map((session) => session.expire()));
  }

  #drop(token: string): void {
    const entry = this.#parked.get(token);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#parked.delete(token);
  }
}
