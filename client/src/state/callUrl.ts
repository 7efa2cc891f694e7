/**
 * Where the call lives between page loads.
 *
 * The address bar (and so any link a person copies or shares) carries only the room,
 * `?room=<room>`: a link never joins anyone by itself and never carries a name, so whoever opens it
 * sees the join form with the room filled in and types their own name.
 *
 * This tab's own participation ({room, name}) is kept in sessionStorage, which belongs to the tab:
 * a reload of a joined tab rejoins without a click, while the same link opened in another tab or
 * browser does not. Leaving forgets it.
 */

export interface CallParams {
  room: string;
  name: string;
}

/** The part of the Web Storage API this module uses (sessionStorage in the page, a Map in tests). */
export type CallStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** What the page starts with: the form's fields, and whether to rejoin at once. */
export interface InitialCall {
  room: string;
  name: string;
  /** This tab was in this room when it was reloaded: join again without a click. */
  rejoin: boolean;
}

const STORAGE_KEY = 'lab.call';

/** The room of a link, to prefill the form; '' when there is none. */
export function readRoomParam(search: string): string {
  return new URLSearchParams(search).get('room')?.trim() ?? '';
}

/** The query string for a room: the only thing the address bar and a shared link carry. */
export function roomSearch(room: string): string {
  return room ? `?${new URLSearchParams({ room }).toString()}` : '';
}

/** The link to a room, as the copy-link button copies it: this page's address with only the room. */
export function roomLink(location: Pick<Location, 'origin' | 'pathname'>, room: string): string {
  return `${location.origin}${location.pathname}${roomSearch(room)}`;
}

/** Remembers this tab's participation so that a reload rejoins it. */
export function rememberCall(storage: CallStorage, params: CallParams): void {
  storage.setItem(STORAGE_KEY, JSON.stringify({ room: params.room, name: params.name }));
}

/** Forgets it (the person left): a reload then shows the form. */
export function forgetCall(storage: CallStorage): void {
  storage.removeItem(STORAGE_KEY);
}

/** This tab's remembered participation, or null (none, or not in the shape this page writes). */
export function recallCall(storage: CallStorage): CallParams | null {
  const raw = storage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const { room, name } = value as Record<string, unknown>;
    return typeof room === 'string' && typeof name === 'string' && room.trim() && name.trim() ? { room, name } : null;
  } catch {
    return null;
  }
}

/**
 * The page's starting point. A remembered call is rejoined only when the address still names its
 * room (a reload); a link to another room opened in this tab shows that room's form instead. A
 * `name=` in the address (links of earlier versions of this page) is ignored.
 */
export function initialCall(search: string, storage: CallStorage): InitialCall {
  const room = readRoomParam(search);
  const remembered = recallCall(storage);
  if (remembered && remembered.room === room) return { room, name: remembered.name, rejoin: true };
  return { room, name: '', rejoin: false };
}

/**
 * This tab's sessionStorage; an in-memory stand-in where the browser refuses storage (some privacy
 * settings throw on access): a reload then shows the form, and everything else works.
 */
export function tabStorage(): CallStorage {
  try {
    const storage = window.sessionStorage;
    storage.getItem(STORAGE_KEY);
    return storage;
  } catch (error) {
    console.warn('[call] sessionStorage unavailable; a reload will not rejoin', error);
    const items = new Map<string, string>();
    return {
      getItem: (key) => items.get(key) ?? null,
      setItem: (key, value) => void items.set(key, value),
      removeItem: (key) => void items.delete(key),
    };
  }
}
