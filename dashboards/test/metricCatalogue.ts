/**
 * Reads docs/metrics.md, the lab's metric catalogue: which series names exist and which label names
 * it documents. Also pulls metric and label names out of PromQL text, for comparing the two.
 */
import { readFileSync } from 'node:fs';

export const CATALOGUE_PATH = new URL('../../docs/metrics.md', import.meta.url);

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'recording rule';

export type Catalogue = {
  /** Documented name → type. */
  metrics: ReadonlyMap<string, MetricType>;
  /** Label names the catalogue documents anywhere, plus the ones Prometheus adds (job, instance, le). */
  labels: ReadonlySet<string>;
};

/** prom-client's default metrics: the catalogue documents them by prefix ("process_*, nodejs_*"). */
const DEFAULT_METRIC_PREFIXES = ['process_', 'nodejs_'];
/** Added by the scrape (job, instance) and by histograms (le). */
const PROMETHEUS_LABELS = ['job', 'instance', 'le'];

const NAME = /^[a-z_:][a-z0-9_:]*$/;

export function readCatalogue(markdown = readFileSync(CATALOGUE_PATH, 'utf8')): Catalogue {
  const metrics = new Map<string, MetricType>();
  const labels = new Set<string>(PROMETHEUS_LABELS);
  let labelsColumn = -1;
  let inLabelsTable = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('#')) inLabelsTable = /^## Labels\b/.test(line);
    // "Labels: `room, subscriber, …`" before a table, "labels `room, peer`" in a sentence.
    for (const match of line.matchAll(/[Ll]abels:? `([^`]+)`/g)) splitNames(match[1] as string).forEach((l) => labels.add(l));
    // "(`state` label: …)", "(`direction` label)".
    for (const match of line.matchAll(/`(\w+)` label\b/g)) labels.add(match[1] as string);
    // "per `source` and `reason`".
    for (const match of line.matchAll(/per `(\w+)` and `(\w+)`/g)) labels.add(match[1] as string).add(match[2] as string);
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells[0] === 'metric' || cells[0] === 'rule' || cells[0] === 'label') {
      labelsColumn = cells.indexOf('labels');
      continue;
    }
    const first = cells[0] ?? '';
    if (inLabelsTable) {
      backticked(first).forEach((label) => labels.add(label));
      continue;
    }
    if (labelsColumn >= 0) splitNames(backticked(cells[labelsColumn] ?? '').join(',')).forEach((label) => labels.add(label));
    const type = cells[1] ?? '';
    for (const name of backticked(first)) {
      // A row without a known type is not taken: a typo there shows as a missing metric, not a guess.
      if (!NAME.test(name)) continue;
      if (name.includes(':')) metrics.set(name, 'recording rule');
      else if (isMetricType(type)) metrics.set(name, type);
    }
  }
  return { metrics, labels };
}

/** The series names a query may use for a documented metric (a histogram is read through its parts). */
export function seriesNames(catalogue: Catalogue): Map<string, MetricType> {
  const names = new Map<string, MetricType>();
  for (const [name, type] of catalogue.metrics) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.set(`${name}${suffix}`, type);
    else names.set(name, type);
  }
  return names;
}

export function isDefaultMetric(name: string): boolean {
  return DEFAULT_METRIC_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Names in PromQL (or in YAML holding PromQL) that are lab metrics: sfu_*, signaling_*, lab:*, process_*, nodejs_*. */
export function metricNamesIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w:])((?:sfu_|signaling_|process_|nodejs_)[a-z0-9_]+|lab:[a-z0-9_:]+)/g)].map((m) => m[1] as string);
}

/** Label names PromQL uses: matchers, by/without/on/ignoring/group_* lists, label_replace's labels. */
export function labelNamesIn(expr: string): string[] {
  const names: string[] = [];
  for (const match of expr.matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)\s*"/g)) names.push(match[1] as string);
  for (const match of expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    names.push(...splitNames(match[1] as string));
  }
  for (const match of expr.matchAll(/label_replace\([\s\S]*?,\s*"(\w+)",\s*"[^"]*",\s*"(\w+)"/g)) {
    names.push(match[1] as string, match[2] as string);
  }
  return names;
}

/**
 * What is wrong with one PromQL expression against the catalogue: metrics it does not document,
 * label names it does not document, rate()/increase() over something that is not a counter (a
 * cumulative gauge can fall, which those functions would read as a reset). Empty when all is well.
 */
export function checkQuery(expr: string, catalogue: Catalogue): string[] {
  const series = seriesNames(catalogue);
  const problems: string[] = [];
  for (const name of new Set(metricNamesIn(expr))) {
    if (!series.has(name) && !isDefaultMetric(name)) problems.push(`metric ${name} is not in docs/metrics.md`);
  }
  for (const label of new Set(labelNamesIn(expr))) {
    if (!catalogue.labels.has(label)) problems.push(`label ${label} is not in docs/metrics.md`);
  }
  for (const name of new Set(countedMetricsIn(expr))) {
    const type = series.get(name);
    const counter = type === 'counter' || type === 'histogram' || (isDefaultMetric(name) && name.endsWith('_total'));
    if (!counter) problems.push(`rate()/increase() over ${name}, which is not a counter`);
  }
  return problems;
}

/** The metric each rate()/increase() reads. */
export function countedMetricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:rate|irate|increase)\(\s*([a-z_:][a-z0-9_:]*)/g)].map((m) => m[1] as string);
}

function backticked(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
}

function splitNames(list: string): string[] {
  return list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => /^\w+$/.test(name));
}

function isMetricType(type: string): type is 'counter' | 'gauge' | 'histogram' {
  return type === 'counter' || type === 'gauge' || type === 'histogram';
}
