/**
 * PromQL text helpers, so every dashboard spells selectors, rates and quantiles the same way.
 * Metric and label names come from docs/metrics.md; test/catalogue.test.ts fails on any other.
 */

/** The labels that name one subscriber ← publisher stream (docs/metrics.md, "Labels"). */
export const STREAM_LABELS = ['room', 'subscriber', 'publisher', 'kind', 'source'] as const;

/**
 * Legend of a per-stream series, "bob ← alice, camera": the catalogue's labels exist so panels read in
 * human terms rather than ids.
 */
export const STREAM_LEGEND = '{{subscriber}} ← {{publisher}}, {{source}}';

/**
 * Grafana's rate window: at least four scrape intervals (the datasource declares 5 s), more when a
 * panel's step is wider, so a rate never falls into a gap between two samples.
 */
export const RATE_WINDOW = '$__rate_interval';

/** `metric{matchers}`; `matchers` is PromQL matcher text such as `room="$room", kind="video"`. */
export function selector(metric: string, matchers = ''): string {
  return matchers ? `${metric}{${matchers}}` : metric;
}

/** Joins label matchers, skipping empty ones, so callers can add optional filters. */
export function matchers(...parts: readonly string[]): string {
  return parts.filter((part) => part !== '').join(', ');
}

export function rate(metric: string, matcherText = '', window = RATE_WINDOW): string {
  return `rate(${selector(metric, matcherText)}[${window}])`;
}

/** `sum by (labels) (expr)`; with no labels, a plain `sum(expr)`. */
export function sumBy(labels: readonly string[], expr: string): string {
  return labels.length ? `sum by (${labels.join(', ')}) (${expr})` : `sum(${expr})`;
}

/** `max by (labels) (expr)`: collapses a series to exactly the given labels (drops job/instance). */
export function maxBy(labels: readonly string[], expr: string): string {
  return `max by (${labels.join(', ')}) (${expr})`;
}

/**
 * The q-quantile of a Prometheus histogram (`name` without `_bucket`) over the rate window,
 * aggregated over everything but `by`: one curve per combination of the `by` labels.
 */
export function histogramQuantile(
  quantile: number,
  histogram: string,
  { by = [], matchers: matcherText = '' }: { by?: readonly string[]; matchers?: string } = {},
): string {
  return `histogram_quantile(${quantile}, ${sumBy(['le', ...by], rate(`${histogram}_bucket`, matcherText))})`;
}

/**
 * Per-second growth of a cumulative *gauge* (the browser's packetsLost, framesDecoded…). Not rate():
 * these gauges may step down (packetsLost falls when duplicates arrive) and rate() would read a fall as
 * a counter reset and count the whole value again. deriv() fits a slope instead; a fall shows as a
 * short dip, floored at 0.
 */
export function growthPerSecond(metric: string, matcherText = ''): string {
  return `clamp_min(deriv(${selector(metric, matcherText)}[${RATE_WINDOW}]), 0)`;
}
