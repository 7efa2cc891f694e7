/**
 * Every PromQL query of every panel, with template variables substituted the way Grafana's
 * Prometheus datasource does, so a test can run them against a live Prometheus and prove that each
 * panel shows data (a renamed metric or label shows up as an empty result, not as a silent blank panel).
 */
import type { Dashboard, Panel, RowPanel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import { allDashboards } from './dashboards/index.ts';

export type PanelQuery = {
  /** The dashboard's uid. */
  dashboard: string;
  /** The panel's title. */
  panel: string;
  refId: string;
  /** PromQL with no `$` variable left in it. */
  expr: string;
};

/**
 * Template variable values by name. A string is one value; an array several (multi-value variables).
 * `ALL` (Grafana's `$__all`), or leaving out a variable that has an All option, selects All.
 */
export type VariableValues = Readonly<Record<string, string | readonly string[]>>;

/** Grafana's value for "All" of a variable. */
export const ALL = '$__all';

/**
 * Grafana's built-in interval variables, fixed to what a live check over a few minutes of data needs
 * (Grafana derives them from the panel width and time range):
 * - `$__rate_interval` = 1m: the window of the recording rules' rates, and 12 samples at the 5 s scrape
 *   interval, so rate() has data even right after the lab starts scraping;
 * - `$__interval` = 15s: the step Grafana picks for a ~30-minute range on a typical panel width;
 * - `$__range` = 5m: a short lab run, so increase() over the range covers it.
 */
export const BUILTIN_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '5m',
};

/** Every target of every panel of every dashboard (rows' nested panels included), substituted. */
export function panelQueries(vars: VariableValues = {}, dashboards: readonly Dashboard[] = allDashboards()): PanelQuery[] {
  const queries: PanelQuery[] = [];
  for (const dashboard of dashboards) {
    const variables = dashboard.templating.list ?? [];
    for (const panel of panelsOf(dashboard)) {
      for (const target of panel.targets ?? []) {
        const { expr, refId } = target as { expr?: unknown; refId?: unknown };
        if (typeof expr !== 'string') continue;
        const where = `${dashboard.uid ?? '?'} / "${panel.title ?? '?'}" / ${String(refId)}`;
        queries.push({
          dashboard: dashboard.uid ?? '',
          panel: panel.title ?? '',
          refId: typeof refId === 'string' ? refId : '',
          expr: interpolate(expr, variables, vars, where),
        });
      }
    }
  }
  return queries;
}

function* panelsOf(dashboard: Dashboard): Generator<Panel> {
  for (const panel of dashboard.panels ?? []) {
    if (isRow(panel)) yield* panel.panels;
    else yield panel;
  }
}

function isRow(panel: Panel | RowPanel): panel is RowPanel {
  return panel.type === 'row';
}

/** `$name`, `${name}` or `${name:format}`; `$1` (a label_replace group) is not a variable. */
const VARIABLE_REFERENCE = /\$(?:\{([A-Za-z_]\w*)(?::([^}]*))?\}|([A-Za-z_]\w*))/g;

/**
 * Substitutes the variables in `expr` as Grafana's Prometheus datasource formats them:
 * - a single-value variable (neither multi nor All): the value, escaped for a "…" PromQL string;
 * - a multi-value or All-capable variable (used with =~): each value regex-escaped, several joined as
 *   `(a|b)`; All is the variable's allValue (`.*`) inserted as is;
 * - Grafana's built-ins as {@link BUILTIN_VARIABLES}.
 * Throws, naming `where`, on a variable the dashboard does not define, a missing value, several
 * values for a single-value variable, or a `${name:format}` (none is used, so none is implemented).
 */
export function interpolate(expr: string, variables: readonly VariableModel[], vars: VariableValues, where = 'query'): string {
  return expr.replace(VARIABLE_REFERENCE, (_match, braced: string | undefined, format: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    if (format !== undefined) throw new Error(`${where}: \${${name}:${format}}: variable formats are not supported`);
    const builtin = BUILTIN_VARIABLES[name];
    if (builtin !== undefined) return builtin;
    const variable = variables.find((candidate) => candidate.name === name);
    if (!variable) throw new Error(`${where}: $${name} is not a variable of the dashboard nor a supported built-in`);
    return formatValue(variable, vars[name], where);
  });
}

function formatValue(variable: VariableModel, value: string | readonly string[] | undefined, where: string): string {
  const name = variable.name;
  const values = value === undefined ? [] : typeof value === 'string' ? [value] : value;
  const wantsAll = values.length === 0 || values.includes(ALL);
  if (variable.includeAll && wantsAll) {
    if (variable.allValue === undefined) throw new Error(`${where}: $${name} has no allValue to stand for All`);
    return variable.allValue;
  }
  if (values.length === 0) throw new Error(`${where}: no value given for $${name}`);
  if (values.includes(ALL)) throw new Error(`${where}: $${name} has no All option`);
  if (!variable.multi && !variable.includeAll) {
    if (values.length > 1) throw new Error(`${where}: $${name} takes one value, got ${values.length}`);
    return escapeString(values[0] as string);
  }
  const escaped = values.map((one) => escapeString(escapeRegex(one)));
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
}

/** RE2 metacharacters, so a peer named `a.b (2)` matches only itself. */
function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Inside a double-quoted PromQL string a backslash and a quote need a backslash. */
function escapeString(value: string): string {
  return value.replace(/[\\"]/g, '\\$&');
}
