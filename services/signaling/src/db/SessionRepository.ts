/** Rooms and sessions (who was in which room, when, and why they left) in PostgreSQL. */
import type { Database } from './Database.ts';

export interface SessionStart {
  sessionId: string;
  roomId: string;
  peerId: string;
  displayName: string;
  /** SIGNALING_INSTANCE_ID of the instance holding the socket. */
  instanceId: string;
}

/** Why a session ended: the `leave` request, the socket closing (reload, network, idle timeout), ... */
export type LeaveReason = 'left' | 'disconnected' | 'shutdown' | 'join_failed';

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

export class SessionRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Creates the room on its first join, else marks it active now. */
  async ensureRoom(roomId: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO rooms (id) VALUES ($1)
       ON CONFLICT (id) DO UPDATE SET last_active_at = now()`,
      [roomId],
    );
  }

  async sessionStarted(session: SessionStart): Promise<void> {
    await this.#db.query(
      `INSERT INTO sessions (id, room_id, peer_id, display_name, signaling_instance)
       VALUES ($1, $2, $3, $4, $5)`,
      [session.sessionId, session.roomId, session.peerId, session.displayName, session.instanceId],
    );
  }

  /**
   * Records the end of a session once: only the first call sets left_at/leave_reason (a `leave` and the
   * socket's close can race, possibly on two instances). Returns whether this call recorded it.
   */
  async sessionEnded(sessionId: string, reason: LeaveReason): Promise<boolean> {
    const result = await this.#db.query(
      `WITH ended AS (
         UPDATE sessions SET left_at = now(), leave_reason = $2
         WHERE id = $1 AND left_at IS NULL
         RETURNING room_id
       )
       UPDATE rooms SET last_active_at = now() FROM ended WHERE rooms.id = ended.room_id
       RETURNING rooms.id`,
      [sessionId, reason],
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
