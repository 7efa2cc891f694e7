/**
 * Signaling instances' liveness (signaling_instances) and the clean-up of sessions a dead instance
 * left open. Every statement is a single UPDATE or upsert, so any number of instances may heartbeat
 * and sweep at the same time: a session is closed by whichever sweep reaches it first, and the others'
 * `left_at IS NULL` no longer matches it.
 */
import { noopMetrics } from '../metrics.ts';
import type { Database } from './Database.ts';
import { timedQuery, type QueryMetrics } from './timedQuery.ts';

export interface SweptInstance {
  instanceId: string;
  /** Its sessions this sweep closed. */
  sessions: number;
}

export class InstanceRepository {
  readonly #db: Database;
  readonly #metrics: QueryMetrics;

  constructor(db: Database, metrics: QueryMetrics = noopMetrics) {
    this.#db = db;
    this.#metrics = metrics;
  }

  /** Records that `instanceId` is alive now (the database's now, so instances' clocks need not agree). */
  async heartbeat(instanceId: string): Promise<void> {
    await timedQuery(this.#metrics, 'instance_heartbeat', () =>
      this.#db.query(
        `INSERT INTO signaling_instances (id) VALUES ($1)
         ON CONFLICT (id) DO UPDATE SET last_heartbeat_at = now()`,
        [instanceId],
      ),
    );
  }

  /**
   * At start, before the first heartbeat: sessions still open under our own id belong to a previous
   * process with the same SIGNALING_INSTANCE_ID, which is gone. They end at its last heartbeat (now
   * when it never wrote one). Also marks this process's start. Returns how many were closed.
   */
  async closeSessionsOfPreviousRun(instanceId: string): Promise<number> {
    const result = await timedQuery(this.#metrics, 'close_previous_sessions', () =>
      this.#db.query(
        `WITH previous AS (
           SELECT (SELECT last_heartbeat_at FROM signaling_instances WHERE id = $1) AS last_seen
         ), closed AS (
           UPDATE sessions SET left_at = GREATEST(COALESCE(previous.last_seen, now()), sessions.joined_at),
                               leave_reason = 'instance_lost'
           FROM previous
           WHERE sessions.signaling_instance = $1 AND sessions.left_at IS NULL
           RETURNING sessions.id
         ), registered AS (
           INSERT INTO signaling_instances (id) VALUES ($1)
           ON CONFLICT (id) DO UPDATE SET started_at = now(), last_heartbeat_at = now()
         )
         SELECT count(*)::int AS closed FROM closed`,
        [instanceId],
      ),
    );
    return (result.rows[0] as { closed: number } | undefined)?.closed ?? 0;
  }

  /**
   * Closes the open sessions of every other instance whose heartbeat is older than `graceSeconds`:
   * left_at = that instance's last heartbeat, leave_reason 'instance_lost'. Then forgets instances
   * that are stale and hold no open session (each restart under a new hostname:pid adds a row).
   * Never touches `selfId`: after a database outage our own heartbeat is stale too, yet we are alive.
   */
  async sweepLostInstances(selfId: string, graceSeconds: number): Promise<SweptInstance[]> {
    const result = await timedQuery(this.#metrics, 'sweep_lost_instances', () =>
      this.#db.query<{ instanceId: string; sessions: number }>(
        `WITH lost AS (
           SELECT id, last_heartbeat_at FROM signaling_instances
           WHERE id <> $1 AND last_heartbeat_at < now() - make_interval(secs => $2)
         )
         UPDATE sessions SET left_at = GREATEST(lost.last_heartbeat_at, sessions.joined_at),
                             leave_reason = 'instance_lost'
         FROM lost
         WHERE sessions.signaling_instance = lost.id AND sessions.left_at IS NULL
         RETURNING sessions.signaling_instance AS "instanceId"`,
        [selfId, graceSeconds],
      ),
    );
    await timedQuery(this.#metrics, 'forget_lost_instances', () =>
      this.#db.query(
        `DELETE FROM signaling_instances i
         WHERE i.id <> $1 AND i.last_heartbeat_at < now() - make_interval(secs => $2)
           AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.signaling_instance = i.id AND s.left_at IS NULL)`,
        [selfId, graceSeconds],
      ),
    );
    const counts = new Map<string, number>();
    for (const row of result.rows) counts.set(row.instanceId, (counts.get(row.instanceId) ?? 0) + 1);
    return [...counts].map(([instanceId, sessions]) => ({ instanceId, sessions }));
  }
}
