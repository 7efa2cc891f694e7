import { describe, expect, it } from 'vitest';
import { forgetCall, initialCall, readRoomParam, recallCall, rememberCall, roomLink, roomSearch, type CallStorage } from '../callUrl.ts';

/** sessionStorage's behaviour for the three methods the page uses. */
function memoryStorage(): CallStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
  };
}

describe('call links', () => {
  it('carry the room only', () => {
    expect(roomSearch('team_1')).toBe('?room=team_1');
    expect(roomLink({ origin: 'https://lab.example', pathname: '/' }, 'team_1')).toBe('https://lab.example/?room=team_1');
    expect(roomSearch('')).toBe('');
  });

  it('prefill the room, trimmed, and never a name', () => {
    expect(readRoomParam('?room=%20team_1%20')).toBe('team_1');
    expect(readRoomParam('?name=Ada')).toBe('');
    expect(initialCall('?room=team_1&name=Ada', memoryStorage())).toEqual({ room: 'team_1', name: '', rejoin: false });
  });
});

describe("the tab's own call (sessionStorage)", () => {
  it('a reload of a joined tab rejoins with the remembered name, including characters that need escaping', () => {
    const storage = memoryStorage();
    rememberCall(storage, { room: 'team_1', name: 'Zoë & Ada' });
    expect(initialCall('?room=team_1', storage)).toEqual({ room: 'team_1', name: 'Zoë & Ada', rejoin: true });
  });

  it('after leaving, a reload shows the form with the room and no name', () => {
    const storage = memoryStorage();
    rememberCall(storage, { room: 'team_1', name: 'Ada' });
    forgetCall(storage);
    expect(storage.items.size).toBe(0);
    expect(initialCall('?room=team_1', storage)).toEqual({ room: 'team_1', name: '', rejoin: false });
  });

  it('a link to another room opened in the same tab does not rejoin the remembered one', () => {
    const storage = memoryStorage();
    rememberCall(storage, { room: 'team_1', name: 'Ada' });
    expect(initialCall('?room=other', storage)).toEqual({ room: 'other', name: '', rejoin: false });
    expect(initialCall('', storage)).toEqual({ room: '', name: '', rejoin: false });
  });

  it('ignores a remembered value this page did not write', () => {
    const storage = memoryStorage();
    for (const raw of ['not json', 'null', '"team_1"', '{"room":"team_1"}', '{"room":"team_1","name":"  "}', '{"room":1,"name":"Ada"}']) {
      storage.items.set('lab.call', raw);
      expect(recallCall(storage), raw).toBeNull();
      expect(initialCall('?room=team_1', storage).rejoin, raw).toBe(false);
    }
  });
});
