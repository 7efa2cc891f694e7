import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkGenerated, GENERATED_DIR, renderDashboards, writeGenerated } from '../generatedFiles.ts';

describe('dashboards/generated', () => {
  it('holds exactly what the code renders (run `npm run dashboards` after changing a dashboard)', () => {
    const problems = checkGenerated(GENERATED_DIR, renderDashboards());
    const report = problems.map(({ file, problem }) => `dashboards/generated/${file}: ${problem}`).join('\n');
    expect(problems, `${report}\nregenerate with: npm run dashboards`).toEqual([]);
  });
});

describe('checkGenerated', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const expected = new Map([
    ['a.json', '{"a": 1}\n'],
    ['b.json', '{"b": 1}\n'],
    ['c.json', '{"c": 1}\n'],
  ]);

  it('names a missing, an outdated and a stale file, and ignores files that are not JSON', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dashboards-'));
    writeFileSync(path.join(dir, 'a.json'), '{"a": 1}\n');
    writeFileSync(path.join(dir, 'b.json'), '{"b": 2}\n');
    writeFileSync(path.join(dir, 'old.json'), '{}\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a dashboard\n');
    expect(checkGenerated(dir, expected)).toEqual([
      { file: 'b.json', problem: 'outdated' },
      { file: 'c.json', problem: 'missing' },
      { file: 'old.json', problem: 'stale' },
    ]);
  });

  it('finds nothing to report after writeGenerated, which removed the stale JSON only', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dashboards-'));
    writeFileSync(path.join(dir, 'old.json'), '{}\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'kept\n');
    const { removed } = writeGenerated(dir, expected);
    expect(removed).toEqual(['old.json']);
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.json', 'c.json', 'notes.txt']);
    expect(readFileSync(path.join(dir, 'c.json'), 'utf8')).toBe('{"c": 1}\n');
    expect(checkGenerated(dir, expected)).toEqual([]);
  });
});

describe('renderDashboards', () => {
  it('writes one <uid>.json per dashboard', () => {
    expect([...renderDashboards().keys()]).toEqual([
      'lab-call-quality.json',
      'lab-room.json',
      'lab-sfu.json',
      'lab-signaling.json',
    ]);
  });

  it('refuses two dashboards with the same uid', () => {
    const dashboard = { uid: 'same', title: 'x', schemaVersion: 1, templating: {}, annotations: {} };
    expect(() => renderDashboards([dashboard, dashboard])).toThrow(/two dashboards have the uid same/);
  });
});
