import { describe, expect, it } from 'vitest';
import { stableJson } from '../stableJson.ts';

describe('stableJson', () => {
  it('sorts keys at every depth, keeps array order, indents by two and ends with a newline', () => {
    const text = stableJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } });
    expect(text).toBe(
      '{\n  "a": {\n    "c": null,\n    "d": [\n      3,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
  });

  it('gives the same text whatever order the properties were set in', () => {
    expect(stableJson({ x: 1, y: { p: 1, q: 2 } })).toBe(stableJson({ y: { q: 2, p: 1 }, x: 1 }));
  });

  it('drops undefined and function properties as JSON.stringify does', () => {
    expect(stableJson({ a: undefined, f: () => {}, b: 2 })).toBe('{\n  "b": 2\n}\n');
  });
});
