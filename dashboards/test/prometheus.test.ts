/**
 * The Prometheus configuration, the rules and their unit tests, checked by the real promtool; and every
 * dashboard query parsed by Prometheus' own PromQL parser.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { panelQueries } from '../src/panelQueries.ts';
import { PROMTOOL_MISSING, promtool } from './promtool.ts';

const RULE_FILES = ['prometheus/rules/recording.yml', 'prometheus/rules/alerts.yml'];
const RULE_TESTS = readdirSync(path.join(import.meta.dirname, '../prometheus/rules/tests'))
  .filter((name) => name.endsWith('.yml'))
  .map((name) => `prometheus/rules/tests/${name}`);

const scratch = mkdtempSync(path.join(tmpdir(), 'dashboards-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('promtool', () => {
  it('accepts prometheus/prometheus.yml and the rule files it loads', () => {
    const result = promtool(['check', 'config', 'prometheus/prometheus.yml']);
    expect(result.ok, result.output).toBe(true);
  });

  it('accepts the recording and alerting rules', () => {
    const result = promtool(['check', 'rules', ...RULE_FILES]);
    expect(result.ok, result.output).toBe(true);
  });

  it('passes the rules\' unit tests', () => {
    expect(RULE_TESTS.length).toBeGreaterThan(0);
    const result = promtool(['test', 'rules', ...RULE_TESTS]);
    expect(result.ok, result.output).toBe(true);
  });

  it('parses every panel query of every dashboard', () => {
    // Each query becomes a recording rule, so `check rules` runs it through Prometheus' PromQL parser.
    // The file is JSON, which YAML reads as is. The rule name says which panel a parse error is in.
    const queries = panelQueries({ room: 'r1' });
    const rules = queries.map((q) => ({
      record: `panel:${q.dashboard}:${q.panel}:${q.refId}`.replace(/[^A-Za-z0-9_:]/g, '_'),
      expr: q.expr,
    }));
    const file = path.join(scratch, 'panel-queries.json');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'panel-queries', rules }] }, null, 2));
    const result = promtool(['check', 'rules', file]);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain(`${queries.length} rules found`);
  });

  it('fails with promtool\'s message on a rule file it rejects', () => {
    const file = path.join(scratch, 'broken.yml');
    writeFileSync(file, 'groups:\n  - name: broken\n    rules:\n      - record: x:y:z\n        expr: rate(foo[1m]\n');
    const result = promtool(['check', 'rules', file]);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/parse error/);
  });

  it('says how to install promtool when it is missing, instead of skipping', () => {
    expect(() => promtool(['--version'], { env: { PATH: path.join(scratch, 'no-such-dir') } })).toThrow(PROMTOOL_MISSING);
  });
});
