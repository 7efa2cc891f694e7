import { describe, expect, it } from 'vitest';
import { MAX_METRICS_NAME_CHARS, metricsName, sanitizeForLabel } from '../metricsName.ts';

describe('metricsName', () => {
  it('is the display name when nobody in the room has it', () => {
    expect(metricsName('alice', '3f2a9c1d-aaaa', ['bob'])).toBe('alice');
  });

  it('gets the start of the peer id when the name is taken in the room', () => {
    expect(metricsName('alice', '3f2a9c1d-aaaa', ['bob', 'alice'])).toBe('alice #3f2a9c');
  });

  it('compares names as they appear on a panel (a hidden character does not make a name new)', () => {
    expect(metricsName('ali\u200Bce', '77aa00ff', ['alice'])).toBe('alice #77aa00');
  });

  it('drops control and direction-override characters and collapses spaces', () => {
    expect(sanitizeForLabel('  bob\n\t the\u202E builder ')).toBe('bob the builder');
  });

  it('cuts long names to a bounded length, whole characters only', () => {
    const name = sanitizeForLabel('🙂'.repeat(50));
    expect([...name]).toHaveLength(MAX_METRICS_NAME_CHARS);
    expect(name.endsWith('…')).toBe(true);
  });

  it('falls back to the start of the peer id for a name made only of invisible characters', () => {
    expect(metricsName('\u200B\u200B', 'abcdef123', [])).toBe('abcdef');
  });
});
