import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { allDashboards } from '../dashboards/index.ts';
import { PROMETHEUS_DATASOURCE_UID } from '../datasource.ts';

const dashboards = allDashboards();
const byUid = (uid: string): Dashboard => dashboards.find((d) => d.uid === uid) as Dashboard;
const panels = (dashboard: Dashboard): Panel[] => (dashboard.panels ?? []).filter((p): p is Panel => p.type !== 'row');

describe.each(dashboards.map((d) => [d.uid ?? '?', d] as const))('dashboard %s', (uid, dashboard) => {
  it('queries the datasource its variable selects, defaulting to the provisioned Prometheus', () => {
    const variable = dashboard.templating.list?.find((v) => v.name === 'datasource');
    expect(variable?.type).toBe('datasource');
    expect(variable?.current?.value).toBe(PROMETHEUS_DATASOURCE_UID);
    for (const panel of panels(dashboard)) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) {
        expect((target as { datasource?: unknown }).datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      }
    }
  });

  it('gives every panel a description, a unit and at least one query', () => {
    for (const panel of panels(dashboard)) {
      expect(panel.description, `${uid} / ${panel.title}`).toBeTruthy();
      expect(panel.fieldConfig?.defaults.unit, `${uid} / ${panel.title}`).toBeTruthy();
      expect(panel.targets?.length, `${uid} / ${panel.title}`).toBeGreaterThan(0);
    }
  });

  it('numbers rows and panels 1..n and keeps panel titles unique', () => {
    const all = dashboard.panels ?? [];
    expect(all.map((p) => p.id)).toEqual(all.map((_, index) => index + 1));
    const titles = panels(dashboard).map((p) => p.title);
    expect(titles.filter((title, index) => titles.indexOf(title) !== index)).toEqual([]);
  });

  it('lays panels out inside the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const panel of dashboard.panels ?? []) {
      const { x, y, w, h } = panel.gridPos ?? { x: 0, y: 0, w: 0, h: 0 };
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row++) {
        for (let column = x; column < x + w; column++) {
          const cell = `${column},${row}`;
          expect(cells.has(cell), `${panel.title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });
});

describe('room drill-down', () => {
  const room = byUid('lab-room');
  const variable = (name: string) => room.templating.list?.find((v) => v.name === name);

  it('offers the rooms that have streams, and the subscribers of the chosen room with All', () => {
    expect(variable('room')).toMatchObject({ type: 'query', query: 'label_values(sfu_consumer_score, room)', multi: false });
    expect(variable('peer')).toMatchObject({
      type: 'query',
      query: 'label_values(sfu_consumer_score{room="$room"}, subscriber)',
      multi: true,
      includeAll: true,
      allValue: '.*',
    });
  });

  it('narrows every query to the chosen room and peers', () => {
    for (const panel of panels(room)) {
      for (const target of panel.targets ?? []) {
        const expr = (target as { expr?: string }).expr ?? '';
        expect(expr, panel.title).toContain('room="$room"');
        expect(expr, panel.title).toMatch(/(subscriber|publisher|peer)=~"\$peer"/);
      }
    }
  });
});
