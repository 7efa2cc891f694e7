/**
 * The page URL carries the call (`?room=<room>&name=<name>`) so a reload, or a shared link plus a
 * name, joins straight away.
 */

export interface CallParams {
  room: string;
  name: string;
}

/** Both parameters, when present and non-blank; otherwise null (show the join form). */
export function readCallParams(search: string): CallParams | null {
  const params = new URLSearchParams(search);
  const room = params.get('room')?.trim();
  const name = params.get('name')?.trim();
  return room && name ? { room, name } : null;
}

/** Just the room, to prefill the form from a shared link without a name. */
export function readRoomParam(search: string): string {
  return new URLSearchParams(search).get('room')?.trim() ?? '';
}

/** The query string for a joined call. */
export function callSearch(params: CallParams): string {
  return `?${new URLSearchParams({ room: params.room, name: params.name }).toString()}`;
}
