import { describe, expect, test } from 'vitest';
import { BadJsonError, UnknownMethodError, ValidationError } from '../../errors.ts';
import { parseRequest } from '../parseRequest.ts';

describe('parseRequest', () => {
  test('a valid request is returned with its data parsed (defaults filled, names trimmed)', () => {
    expect(parseRequest(JSON.stringify({ id: 1, method: 'join', data: { roomId: 'r-1', displayName: '  Ann ' } }))).toEqual({
      ok: true,
      id: 1,
      method: 'join',
      data: { roomId: 'r-1', displayName: 'Ann' },
    });
    const produce = parseRequest(
      JSON.stringify({ id: 2, method: 'produce', data: { transportId: 't', kind: 'audio', source: 'mic', rtpParameters: {} } }),
    );
    expect(produce.ok && produce.data).toMatchObject({ paused: false });
  });

  test('`data` may be omitted for a method without fields', () => {
    expect(parseRequest('{"id": 3, "method": "leave"}')).toMatchObject({ ok: true, method: 'leave', data: {} });
  });

  test('not JSON, or not an object → BadJsonError with id null', () => {
    for (const frame of ['{', 'null', '"text"', '[]', '42']) {
      const result = parseRequest(frame);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.id).toBeNull();
        expect(result.error).toBeInstanceOf(BadJsonError);
      }
    }
  });

  test('a bad envelope → ValidationError, keeping a readable id', () => {
    const result = parseRequest('{"id": 5, "method": 7}');
    expect(result).toMatchObject({ ok: false, id: 5 });
    if (!result.ok) expect(result.error).toBeInstanceOf(ValidationError);
    expect(parseRequest('{"id": -1, "method": "leave"}')).toMatchObject({ ok: false, id: null });
  });

  test('an unknown method → UnknownMethodError naming it', () => {
    const result = parseRequest('{"id": 6, "method": "hack"}');
    expect(result).toMatchObject({ ok: false, id: 6 });
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(UnknownMethodError);
      expect(result.error.message).toContain('"hack"');
    }
  });

  test('data not matching the method schema → ValidationError naming method and field', () => {
    const result = parseRequest(JSON.stringify({ id: 7, method: 'setMuted', data: { source: 'mic', muted: 'yes' } }));
    expect(result).toMatchObject({ ok: false, id: 7, method: 'setMuted' });
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(ValidationError);
      expect(result.error.message).toMatch(/^setMuted: muted: /);
    }
  });

  test('nesting or an array beyond the shape limits → ValidationError naming the limit, checked before the schema', () => {
    const deep = parseRequest(`{"id":8,"method":"join","data":{"roomId":"r","displayName":"x","extra":${'['.repeat(30_000)}${']'.repeat(30_000)}}}`);
    expect(deep).toMatchObject({ ok: false, id: 8, limit: 'json_depth' });
    if (!deep.ok) {
      expect(deep.error).toBeInstanceOf(ValidationError);
      expect(deep.error.message).toBe('message nested deeper than 32 levels of objects and arrays');
    }
    const wide = parseRequest(JSON.stringify({ id: 9, method: 'consume', data: { rtpCapabilities: { codecs: new Array(300).fill({}) } } }), {
      maxDepth: 32,
      maxArrayLength: 256,
    });
    expect(wide).toMatchObject({ ok: false, id: 9, limit: 'json_array_length' });
    // A bare deep array: JSON.parse copes (V8 parses iteratively); it is simply no request object.
    expect(parseRequest('['.repeat(30_000) + ']'.repeat(30_000))).toMatchObject({ ok: false, id: null });
  });
});
