import { describe, expect, it } from 'vitest';
import { callSearch, readCallParams, readRoomParam } from '../callUrl.ts';

describe('call URL', () => {
  it('round-trips room and name, including characters that need escaping', () => {
    const search = callSearch({ room: 'team_1', name: 'Zoë & Ada' });
    expect(search).toBe('?room=team_1&name=Zo%C3%AB+%26+Ada');
    expect(readCallParams(search)).toEqual({ room: 'team_1', name: 'Zoë & Ada' });
  });

  it('joins automatically only when both room and name are present', () => {
    expect(readCallParams('?room=team_1')).toBeNull();
    expect(readCallParams('?room=team_1&name=%20%20')).toBeNull();
    expect(readCallParams('')).toBeNull();
  });

  it('prefills the room from a link without a name', () => {
    expect(readRoomParam('?room=team_1')).toBe('team_1');
    expect(readRoomParam('?name=Ada')).toBe('');
  });
});
