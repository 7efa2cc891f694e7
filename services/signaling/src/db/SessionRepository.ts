/** Rooms and sessions (who was in which room, when, and why they left) in PostgreSQL. */
import { noopMetrics } from '../metrics.ts';
import type { Database } from './Database.ts';
import { timedQuery, type QueryMetrics } from './timedQuery.ts';

export interface SessionStart {
  sessionId: string;
  roomId: string;
  peerId: string;
  displayName: string;
  /** SIGNALING_INSTANCE_ID of the instance holding the socket. */
  instanceId: string;
}

/**
 * Why a session ended (sessions.leave_reason): `left` the leave request, `disconnected` the socket
 * closed (reload, network, idle timeout), `shutdown` the instance stopped gracefully, `join_failed` a
 * join that had recorded it failed, `instance_lost` the instance holding it died (its heartbeat went
 * stale; recorded by another instance's sweep or by the same instance id restarting).
 */
export type LeaveReason = 'left' | 'disconnected' | 'shutdown' | 'join_failed' | 'instance_lost';

export interface SessionRecord {
  id: string;
  roomId: string;
  peerId: string;
  displayName: string;
  signalingInstance: string;
  joinedAt: Date;
  leftAt: Date | null;
  leaveReason: string | null;
}

/** Its three operations are timed (signaling_db_query_duration_seconds{query}) under their method's name. */
export class SessionRepository {
  readonly #db: Database;
  readonly #metrics: QueryMetrics;

  constructor(db: Database, metrics: QueryMetrics = noopMetrics) {
    this.#db = db;
    this.#metrics = metrics;
  }

  /** Creates the room on its first join, else marks it active now. */
  async ensureRoom(roomId: string): Promise<void> {
    await timedQuery(this.#metrics, 'ensure_room', () =>
      this.#db.query(
        `INSERT INTO rooms (id) VALUES ($1)
         ON CONFLICT (id) DO UPDATE SET last_active_at = now()`,
        [roomId],
      ),
    );
  }

  async sessionStarted(session: SessionStart): Promise<void> {
    await timedQuery(this.#metrics, 'session_started', () =>
      this.#db.query(
        `INSERT INTO sessions (id, room_id, peer_id, display_name, signaling_instance)
         VALUES ($1, $2, $3, $4, $5)`,
        [session.sessionId, session.roomId, session.peerId, session.displayName, session.instanceId],
      ),
    );
  }

  /**
   * Records the end of a session once: only the first call sets left_at/leave_reason (a `leave` and the
   * socket's close can race, possibly on two instances). `endedAt` is when it really ended, which a
   * retry after a database outage writes late (never before the join). Returns whether this call
   * recorded it.
   */
  async sessionEnded(sessionId: string, reason: LeaveReason, endedAt: Date = new Date()): Promise<boolean> {
    const result = await timedQuery(this.#metrics, 'session_ended', () =>
      this.#db.query(
        `WITH ended AS (
           UPDATE sessions SET left_at = GREATEST($3::timestamptz, joined_at), leave_reason = $2
           WHERE id = $1 AND left_at IS NULL
           RETURNING room_id, left_at
         )
         UPDATE rooms SET last_active_at = GREATEST(rooms.last_active_at, ended.left_at)
         FROM ended WHERE rooms.id = ended.room_id
         RETURNING rooms.id`,
        [sessionId, reason, endedAt],
      ),
    );
    return result.rowCount > 0;
  }

  async findSession(sessionId: string): Promise<SessionRecord | undefined> {
    const result = await this.#db.query<SessionRecord>(
      `SELECT id, room_id AS "roomId", peer_id AS "peerId", display_name AS "displayName",
              signaling_instance AS "signalingInstance", joined_at AS "joinedAt",
              left_at AS "leftAt", leave_reason AS "leaveReason"
       FROM sessions WHERE id = $1`,
      [sessionId],
    );
    return result.rows[0];
  }
}
