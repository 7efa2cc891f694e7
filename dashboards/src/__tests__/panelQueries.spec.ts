import type { VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { allDashboards } from '../dashboards/index.ts';
import { ALL, interpolate, panelQueries } from '../panelQueries.ts';

/** The drill-down's variables as Grafana sees them: a single-value room, a multi-value peer with All. */
const variables = [
  { type: 'query', name: 'room' },
  { type: 'query', name: 'peer', multi: true, includeAll: true, allValue: '.*' },
] as VariableModel[];

describe('interpolate', () => {
  it('substitutes $name and ${name} with a single-value variable\'s value', () => {
    expect(interpolate('up{room="$room"} or up{room="${room}"}', variables, { room: 'r1' })).toBe(
      'up{room="r1"} or up{room="r1"}',
    );
  });

  it('escapes a single value for a double-quoted PromQL string', () => {
    expect(interpolate('up{room="$room"}', variables, { room: 'a"b\\c' })).toBe('up{room="a\\"b\\\\c"}');
  });

  it('turns several values of a multi-value variable into a regex alternation of escaped values', () => {
    expect(interpolate('up{subscriber=~"$peer"}', variables, { room: 'r1', peer: ['alice', 'bob #3f2a9c', 'c.d (2)'] })).toBe(
      'up{subscriber=~"(alice|bob #3f2a9c|c\\\\.d \\\\(2\\\\))"}',
    );
  });

  it('regex-escapes one value of a multi-value variable, without parentheses', () => {
    expect(interpolate('up{subscriber=~"$peer"}', variables, { peer: 'a+b' })).toBe('up{subscriber=~"a\\\\+b"}');
  });

  it('uses the allValue for All, whether asked for or left out', () => {
    expect(interpolate('up{subscriber=~"$peer"}', variables, { peer: ALL })).toBe('up{subscriber=~".*"}');
    expect(interpolate('up{subscriber=~"$peer"}', variables, {})).toBe('up{subscriber=~".*"}');
  });

  it('fixes Grafana\'s built-in intervals: $__rate_interval 1m, $__interval 15s, $__range 5m', () => {
    expect(interpolate('rate(a[$__rate_interval]) + rate(b[${__interval}]) + increase(c[$__range])', [], {})).toBe(
      'rate(a[1m]) + rate(b[15s]) + increase(c[5m])',
    );
  });

  it('leaves label_replace group references ($1) alone', () => {
    expect(interpolate('label_replace(up, "a", "$1", "b", "(.*)")', [], {})).toBe('label_replace(up, "a", "$1", "b", "(.*)")');
  });

  it('fails, naming the variable, on one the dashboard does not define', () => {
    expect(() => interpolate('up{x="$nope"}', variables, {}, 'lab-room / "Jitter" / A')).toThrow(
      'lab-room / "Jitter" / A: $nope is not a variable of the dashboard nor a supported built-in',
    );
  });

  it('fails when a single-value variable has no value or several', () => {
    expect(() => interpolate('up{room="$room"}', variables, {})).toThrow('no value given for $room');
    expect(() => interpolate('up{room="$room"}', variables, { room: ['a', 'b'] })).toThrow('$room takes one value, got 2');
    expect(() => interpolate('up{room="$room"}', variables, { room: ALL })).toThrow('$room has no All option');
  });

  it('fails on a ${name:format}, which it does not implement', () => {
    expect(() => interpolate('up{room=~"${room:regex}"}', variables, { room: 'r1' })).toThrow('variable formats are not supported');
  });
});

describe('panelQueries', () => {
  const targets = allDashboards().flatMap((dashboard) =>
    (dashboard.panels ?? []).flatMap((panel) => ('targets' in panel ? (panel.targets ?? []) : [])),
  );

  it('returns every target of every panel of every dashboard, with no variable left', () => {
    const queries = panelQueries({ room: 'r1' });
    expect(queries).toHaveLength(targets.length);
    expect(new Set(queries.map((q) => q.dashboard))).toEqual(new Set(['lab-call-quality', 'lab-room', 'lab-sfu', 'lab-signaling']));
    for (const q of queries) {
      expect(q.panel, JSON.stringify(q)).not.toBe('');
      expect(q.refId, JSON.stringify(q)).toMatch(/^[A-Z]$/);
      expect(q.expr, `${q.dashboard} / ${q.panel} / ${q.refId}`).not.toMatch(/\$[A-Za-z_{]/);
    }
  });

  it('narrows the drill-down to the given room and peers', () => {
    const jitter = panelQueries({ room: 'r1', peer: ['alice', 'bob'] }).find(
      (q) => q.dashboard === 'lab-room' && q.panel === 'Jitter',
    );
    expect(jitter?.expr).toBe('sfu_consumer_jitter_seconds{room="r1", subscriber=~"(alice|bob)"}');
  });

  it('fails, naming the panel, when the drill-down\'s room is not given', () => {
    expect(() => panelQueries({})).toThrow(/^lab-room \/ ".+" \/ [A-Z]: no value given for \$room$/);
  });
});
