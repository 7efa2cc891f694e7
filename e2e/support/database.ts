/** Reads what signaling recorded about a room's sessions (table `sessions`) in PostgreSQL. */
import pg from 'pg';

export interface SessionRow {
  room_id: string;
  peer_id: string;
  display_name: string;
  joined_at: Date;
  left_at: Date | null;
  leave_reason: string | null;
}

export async function sessionsOfRoom(databaseUrl: string, roomId: string): Promise<SessionRow[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<SessionRow>(
      'SELECT room_id, peer_id, display_name, joined_at, left_at, leave_reason FROM sessions WHERE room_id = $1 ORDER BY joined_at',
      [roomId],
    );
    return result.rows;
  } finally {
    await client.end();
  }
}
