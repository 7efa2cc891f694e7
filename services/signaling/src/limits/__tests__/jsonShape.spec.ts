import { describe, expect, test } from 'vitest';
import { checkJsonShape } from '../jsonShape.ts';

const LIMITS = { maxDepth: 4, maxArrayLength: 3 };

function nestedArrays(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

describe('checkJsonShape', () => {
  test('accepts values within both limits, scalars included', () => {
    expect(checkJsonShape({ a: { b: [1, 2, { c: 'x' }] } }, LIMITS)).toBeUndefined();
    expect(checkJsonShape(nestedArrays(4), LIMITS)).toBeUndefined();
    expect(checkJsonShape('text', LIMITS)).toBeUndefined();
    expect(checkJsonShape(null, LIMITS)).toBeUndefined();
  });

  test('refuses nesting one level too deep, in objects or arrays', () => {
    expect(checkJsonShape(nestedArrays(5), LIMITS)).toEqual({ limit: 'json_depth', message: 'message nested deeper than 4 levels of objects and arrays' });
    expect(checkJsonShape({ a: { b: { c: { d: {} } } } }, LIMITS)?.limit).toBe('json_depth');
  });

  test('refuses an array longer than allowed, however deep it sits', () => {
    expect(checkJsonShape({ a: { b: [1, 2, 3, 4] } }, LIMITS)).toEqual({
      limit: 'json_array_length',
      message: 'message has an array of 4 items; at most 3 are allowed',
    });
  });

  test('walks 100,000 levels without recursion (no stack overflow) and stops at the limit', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(checkJsonShape(deep, { maxDepth: 32, maxArrayLength: 256 })?.limit).toBe('json_depth');
    let object: Record<string, unknown> = {};
    for (let level = 0; level < 100_000; level++) object = { a: object };
    expect(checkJsonShape(object, { maxDepth: 32, maxArrayLength: 256 })?.limit).toBe('json_depth');
  });
});
