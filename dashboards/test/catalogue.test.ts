/**
 * docs/metrics.md is the contract between the services and the dashboards: every metric and label a
 * panel or a rule uses must be documented there, and counter functions must read counters.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { panelQueries } from '../src/panelQueries.ts';
import { checkQuery, readCatalogue } from './metricCatalogue.ts';

const catalogue = readCatalogue();
const RULE_FILES = ['recording.yml', 'alerts.yml'].map((name) => new URL(`../prometheus/rules/${name}`, import.meta.url));

/** The `expr:` values of a rule file, block scalars (`expr: |`) included. */
function ruleExpressions(yaml: string): string[] {
  const expressions: string[] = [];
  const lines = yaml.split('\n');
  lines.forEach((line, index) => {
    const match = /^(\s*)(?:- )?expr:\s*(.*)$/.exec(line);
    if (!match) return;
    const indent = (match[1] as string).length;
    if (match[2] !== '|') {
      expressions.push(match[2] as string);
      return;
    }
    const body: string[] = [];
    for (const next of lines.slice(index + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= indent) break;
      body.push(next);
    }
    expressions.push(body.join('\n'));
  });
  return expressions;
}

describe('docs/metrics.md as read by the check', () => {
  it('yields the documented metrics with their types, and the documented labels', () => {
    expect(catalogue.metrics.get('sfu_consumer_jitter_seconds')).toBe('gauge');
    expect(catalogue.metrics.get('sfu_worker_cpu_seconds_total')).toBe('counter');
    expect(catalogue.metrics.get('signaling_join_duration_seconds')).toBe('histogram');
    expect(catalogue.metrics.get('lab:stream_loss:ratio')).toBe('recording rule');
    expect(catalogue.metrics.size).toBeGreaterThan(70);
    for (const label of ['room', 'subscriber', 'publisher', 'kind', 'source', 'peer', 'direction', 'worker', 'state', 'reason', 'hop', 'phase']) {
      expect(catalogue.labels, label).toContain(label);
    }
  });

  it('catches an undocumented metric, an undocumented label and rate() over a gauge', () => {
    expect(checkQuery('rate(sfu_consumer_jiter_seconds{subsciber="a"}[1m]) + rate(sfu_consumer_score[1m])', catalogue)).toEqual([
      'metric sfu_consumer_jiter_seconds is not in docs/metrics.md',
      'label subsciber is not in docs/metrics.md',
      'rate()/increase() over sfu_consumer_jiter_seconds, which is not a counter',
      'rate()/increase() over sfu_consumer_score, which is not a counter',
    ]);
  });
});

describe('catalogue contract', () => {
  it('every panel query uses only documented metrics and labels, and rates only counters', () => {
    const problems = panelQueries({ room: 'r1' }).flatMap((q) =>
      checkQuery(q.expr, catalogue).map((problem) => `${q.dashboard} / "${q.panel}" / ${q.refId}: ${problem}`),
    );
    expect(problems).toEqual([]);
  });

  it('every recording and alerting rule uses only documented metrics and labels, and rates only counters', () => {
    const problems = RULE_FILES.flatMap((file) => {
      const yaml = readFileSync(file, 'utf8');
      const expressions = ruleExpressions(yaml);
      expect(expressions.length, file.pathname).toBeGreaterThan(0);
      const records = [...yaml.matchAll(/^\s*- record:\s*(\S+)/gm)].map((m) => m[1] as string);
      return [
        ...records.filter((name) => !catalogue.metrics.has(name)).map((name) => `recording rule ${name} is not in docs/metrics.md`),
        ...expressions.flatMap((expr) => checkQuery(expr, catalogue)),
      ].map((problem) => `${file.pathname}: ${problem}`);
    });
    expect(problems).toEqual([]);
  });
});
