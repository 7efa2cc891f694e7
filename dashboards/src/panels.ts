/**
 * Panel builders shared by every dashboard: one place decides the datasource, legends, tooltips,
 * target refIds and panel sizes, so the dashboards only say what to show.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  LegendDisplayMode,
  LegendPlacement,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
  TableSortByFieldStateBuilder,
  BigValueGraphMode,
  ReduceDataOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { prometheus } from './datasource.ts';

export type PanelBuilder = cog.Builder<Panel>;

/** One PromQL target of a panel. */
export type Query = {
  expr: string;
  /** Grafana legend template (`{{label}}`); omitted: Grafana's automatic legend. */
  legend?: string;
  /** Drawn dashed: the other side of a side-by-side comparison (the browser's view next to the SFU's). */
  dashed?: boolean;
};

export function query(expr: string, legend?: string): Query {
  return legend === undefined ? { expr } : { expr, legend };
}

type PanelOptions = {
  title: string;
  /** Shown in the panel's (i) tooltip: what the numbers mean and where they come from. */
  description: string;
  /** Grafana unit id (s, percentunit, bps, …); see @grafana/grafana-foundation-sdk/units. */
  unit: string;
  queries: readonly Query[];
  /** Grid columns out of 24. */
  width?: number;
  height?: number;
};

const DEFAULT_WIDTH = 12;
const DEFAULT_HEIGHT = 8;
const STAT_HEIGHT = 4;

/** refIds A, B, C…: stable, so panelQueries() and overrides can name a target. */
export function refId(index: number): string {
  return String.fromCharCode('A'.charCodeAt(0) + index);
}

function target(q: Query, index: number, format: 'range' | 'table'): DataqueryBuilder {
  const builder = new DataqueryBuilder().datasource(prometheus).refId(refId(index)).expr(q.expr);
  if (format === 'table') return builder.instant().format(PromQueryFormat.Table);
  return builder.range().legendFormat(q.legend ?? '__auto');
}

/** A graph over time; the legend is a table with last/mean/max so the worst series can be found by sorting. */
export function timeSeries(options: PanelOptions & { min?: number; max?: number }): TimeSeriesPanelBuilder {
  const panel = new TimeSeriesPanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(prometheus)
    .unit(options.unit)
    .span(options.width ?? DEFAULT_WIDTH)
    .height(options.height ?? DEFAULT_HEIGHT)
    .fillOpacity(5)
    .spanNulls(false)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'mean', 'max']),
    )
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
    .targets(options.queries.map((q, index) => target(q, index, 'range')));
  if (options.min !== undefined) panel.min(options.min);
  if (options.max !== undefined) panel.max(options.max);
  options.queries.forEach((q, index) => {
    if (q.dashed) {
      panel.overrideByQuery(refId(index), [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }]);
    }
  });
  return panel;
}

/** One big number (the last value) with a sparkline of the time range behind it. */
export function stat(options: PanelOptions): StatPanelBuilder {
  return new StatPanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(prometheus)
    .unit(options.unit)
    .span(options.width ?? 6)
    .height(options.height ?? STAT_HEIGHT)
    .graphMode(BigValueGraphMode.Area)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .targets(options.queries.map((q, index) => target(q, index, 'range')));
}

/**
 * The current value of each series as a table row: one column per label and, with `valueColumn`, the
 * value under that name, sorted highest first. Without it the value is hidden: for state series
 * (`… == 1`) the labels are the content.
 */
export function table(
  options: Omit<PanelOptions, 'queries'> & { query: string; valueColumn?: string },
): TablePanelBuilder {
  // Time is the evaluation instant, the same in every row; job and instance say which target was
  // scraped, which a reader of a stream or a state does not need.
  const hidden = ['Time', 'job', 'instance', '__name__', ...(options.valueColumn === undefined ? ['Value'] : [])];
  const panel = new TablePanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(prometheus)
    .unit(options.unit)
    .span(options.width ?? DEFAULT_WIDTH)
    .height(options.height ?? DEFAULT_HEIGHT)
    .targets([target({ expr: options.query }, 0, 'table')])
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: Object.fromEntries(hidden.map((name) => [name, true])),
        renameByName: options.valueColumn === undefined ? {} : { Value: options.valueColumn },
      },
    });
  if (options.valueColumn !== undefined) {
    panel.sortBy([new TableSortByFieldStateBuilder().displayName(options.valueColumn).desc(true)]);
  }
  return panel;
}
