/**
 * The frame every lab dashboard shares: datasource variable, time range, refresh, links to the other
 * lab dashboards, rows of panels, and stable panel ids.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
  type Dashboard,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { datasourceVariable } from './datasource.ts';
import type { PanelBuilder } from './panels.ts';

/** Every lab dashboard carries this tag; the header's dashboard links list the tagged dashboards. */
export const LAB_TAG = 'webrtc-lab';

/** A titled row of panels, laid out left to right, wrapping at the grid's 24 columns. */
export type Section = { title: string; panels: readonly PanelBuilder[] };

export type LabDashboardSpec = {
  /** Stable: it names the generated file and the dashboard's URL, and links point at it. */
  uid: string;
  title: string;
  description: string;
  tags: readonly string[];
  /** Template variables after the datasource one, in the order the header shows them. */
  variables?: readonly cog.Builder<VariableModel>[];
  sections: readonly Section[];
};

export function labDashboard(spec: LabDashboardSpec): Dashboard {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([LAB_TAG, ...spec.tags])
    // Calls are short: the last 30 minutes, refreshed about twice per SFU stats collection.
    .time({ from: 'now-30m', to: 'now' })
    .refresh('10s')
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    // The TypeScript is the source: an edit saved in Grafana would be lost at the next generation.
    .readonly()
    .link(
      new DashboardLinkBuilder('WebRTC Lab')
        .type(DashboardLinkType.Dashboards)
        .tags([LAB_TAG])
        .asDropdown(true)
        .keepTime(true)
        .includeVars(false),
    )
    .withVariable(datasourceVariable());
  for (const variable of spec.variables ?? []) builder.withVariable(variable);
  for (const section of spec.sections) {
    // An expanded row owns the panels that follow it in the dashboard's list (Grafana's model for
    // rows that are not collapsed), so the panels are added to the dashboard, not to the row.
    builder.withRow(new RowBuilder(section.title).collapsed(false));
    for (const panel of section.panels) builder.withPanel(panel);
  }
  return numberPanels(builder.build());
}

/**
 * Gives rows and panels ids 1, 2, 3… in layout order. The builder leaves panel ids unset and every
 * row at 0; Grafana needs them unique within a dashboard (links to a panel, `viewPanel=` URLs).
 */
function numberPanels(dashboard: Dashboard): Dashboard {
  let next = 1;
  for (const panel of dashboard.panels ?? []) {
    panel.id = next++;
    if (panel.type === 'row' && 'panels' in panel) for (const inner of panel.panels) inner.id = next++;
  }
  return dashboard;
}
