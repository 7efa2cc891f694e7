/** Small self-contained SVG charts for the benchmarks and the call reports (no plotting dependency). */

export interface ChartInput {
  title: string;
  samplesMs: number[];
  labP50: number;
  baselineP50: number;
}

const WIDTH = 760;
const HEIGHT = 360;
const PAD = { top: 48, right: 150, bottom: 44, left: 56 };

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** A round axis maximum at or above `value` (1, 2 or 5 × 10^n). */
function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((v) => v >= value)!;
}

export function joinLatencySvg(input: ChartInput): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const yMax = niceCeiling(Math.max(...input.samplesMs, input.labP50, input.baselineP50) * 1.1);
  const y = (ms: number) => PAD.top + plotH - (ms / yMax) * plotH;
  const slot = plotW / input.samplesMs.length;
  const barW = Math.max(2, slot * 0.7);

  const bars = input.samplesMs
    .map((ms, i) => {
      const x = PAD.left + i * slot + (slot - barW) / 2;
      return (
        `<rect x="${x.toFixed(1)}" y="${y(ms).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(ms)).toFixed(1)}" fill="#4f8cff"><title>join ${i + 1}: ${ms} ms</title></rect>` +
        `<text x="${(x + barW / 2).toFixed(1)}" y="${y(0) + 16}" font-size="10" text-anchor="middle" fill="#555">${i + 1}</text>`
      );
    })
    .join('\n  ');

  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const ms = Math.round(yMax * f);
      return (
        `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(ms)}" y2="${y(ms)}" stroke="#e3e3e3"/>` +
        `<text x="${PAD.left - 8}" y="${y(ms) + 4}" font-size="11" text-anchor="end" fill="#555">${ms}</text>`
      );
    })
    .join('\n  ');

  const line = (ms: number, color: string, label: string) =>
    `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(ms)}" y2="${y(ms)}" stroke="${color}" stroke-width="2" stroke-dasharray="6 4"/>` +
    `<text x="${PAD.left + plotW + 8}" y="${y(ms) + 4}" font-size="12" fill="${color}">${escapeXml(label)}</text>`;

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif">
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="${PAD.left}" y="26" font-size="15" font-weight="600" fill="#222">${escapeXml(input.title)}</text>
  ${ticks}
  ${bars}
  ${line(input.labP50, '#d9480f', `lab p50 ${input.labP50} ms`)}
  ${line(input.baselineP50, '#2b8a3e', `baseline p50 ${input.baselineP50} ms`)}
  <text x="${PAD.left + plotW / 2}" y="${HEIGHT - 8}" font-size="12" text-anchor="middle" fill="#333">join # (fresh page each)</text>
  <text x="16" y="${PAD.top + plotH / 2}" font-size="12" text-anchor="middle" fill="#333" transform="rotate(-90 16 ${PAD.top + plotH / 2})">ms, join click → first remote frame</text>
</svg>
`;
}

export interface GroupedBarsInput {
  title: string;
  yLabel: string;
  /** Bars of each group, in the order of `series`; a group is one measured condition. */
  groups: { label: string; values: number[] }[];
  series: { name: string; color: string }[];
  /** Formats a value for its label above the bar. */
  format(value: number): string;
  /** Fixed axis maximum (e.g. 100 for percentages); default: a round value above the largest bar. */
  yMax?: number;
}

/** One group of bars per condition, one bar per series (e.g. via the SFU vs direct). */
export function groupedBarsSvg(input: GroupedBarsInput): string {
  const width = Math.max(WIDTH, PAD.left + PAD.right + input.groups.length * 150);
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const largest = Math.max(0, ...input.groups.flatMap((g) => g.values));
  const yMax = input.yMax ?? niceCeiling(largest * 1.1 || 1);
  const y = (v: number) => PAD.top + plotH - (Math.min(v, yMax) / yMax) * plotH;
  const slot = plotW / input.groups.length;
  const barW = (slot * 0.75) / input.series.length;

  const bars = input.groups
    .map((group, g) => {
      const x0 = PAD.left + g * slot + slot * 0.125;
      const groupBars = group.values.map((value, i) => {
        const x = x0 + i * barW;
        const color = input.series[i]!.color;
        return (
          `<rect x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(y(0) - y(value)).toFixed(1)}" fill="${color}">` +
          `<title>${escapeXml(`${group.label}, ${input.series[i]!.name}: ${input.format(value)}`)}</title></rect>` +
          `<text x="${(x + barW / 2).toFixed(1)}" y="${(y(value) - 4).toFixed(1)}" font-size="10" text-anchor="middle" fill="#333">${escapeXml(input.format(value))}</text>`
        );
      });
      const label = `<text x="${(PAD.left + g * slot + slot / 2).toFixed(1)}" y="${y(0) + 16}" font-size="11" text-anchor="middle" fill="#333">${escapeXml(group.label)}</text>`;
      return [...groupBars, label].join('\n  ');
    })
    .join('\n  ');

  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = yMax * f;
      return (
        `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>` +
        `<text x="${PAD.left - 8}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="#555">${escapeXml(input.format(v))}</text>`
      );
    })
    .join('\n  ');

  const legend = input.series
    .map(
      (s, i) =>
        `<rect x="${PAD.left + plotW + 12}" y="${PAD.top + i * 20}" width="12" height="12" fill="${s.color}"/>` +
        `<text x="${PAD.left + plotW + 30}" y="${PAD.top + i * 20 + 10}" font-size="12" fill="#333">${escapeXml(s.name)}</text>`,
    )
    .join('\n  ');

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" font-family="system-ui, sans-serif">
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="${PAD.left}" y="26" font-size="15" font-weight="600" fill="#222">${escapeXml(input.title)}</text>
  ${ticks}
  ${bars}
  ${legend}
  <text x="16" y="${PAD.top + plotH / 2}" font-size="12" text-anchor="middle" fill="#333" transform="rotate(-90 16 ${PAD.top + plotH / 2})">${escapeXml(input.yLabel)}</text>
</svg>
`;
}

export interface TimeSeries {
  label: string;
  /** [seconds since the chart's start, value] */
  points: [number, number][];
}

const SERIES_COLOURS = ['#1c7ed6', '#e8590c', '#2f9e44', '#9c36b5', '#c2255c', '#0c8599', '#5f3dc4', '#e67700'];

/**
 * A line chart of several series over time (seconds on x), with shaded spans (e.g. when an
 * impairment was on) and a legend. `format` writes a y-axis value.
 */
export function timeSeriesSvg(input: {
  title: string;
  yLabel: string;
  series: TimeSeries[];
  spans?: { from: number; to: number; label: string }[];
  format?: (value: number) => string;
}): string {
  const format = input.format ?? ((value: number) => String(Number(value.toPrecision(3))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const all = input.series.flatMap((series) => series.points);
  const xMax = Math.max(1, ...all.map(([t]) => t), ...(input.spans ?? []).map((span) => span.to));
  const rawMax = Math.max(0, ...all.map(([, v]) => v));
  const yMax = rawMax > 0 ? rawMax * 1.1 : 1;
  const x = (t: number) => PAD.left + (t / xMax) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / yMax) * plotH;
  const spans = (input.spans ?? [])
    .map(
      (span) =>
        `<rect x="${x(span.from).toFixed(1)}" y="${PAD.top}" width="${(x(span.to) - x(span.from)).toFixed(1)}" height="${plotH}" fill="#ffe8cc"/>` +
        `<text x="${(x(span.from) + 4).toFixed(1)}" y="${PAD.top + 12}" font-size="10" fill="#a35200">${escapeXml(span.label)}</text>`,
    )
    .join('\n  ');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(yMax * f)}" y2="${y(yMax * f)}" stroke="#e3e3e3"/>` +
        `<text x="${PAD.left - 8}" y="${y(yMax * f) + 4}" font-size="11" text-anchor="end" fill="#555">${escapeXml(format(yMax * f))}</text>`,
    )
    .join('\n  ');
  const lines = input.series
    .map((series, i) => {
      const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
      const path = series.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return (
        `<polyline fill="none" stroke="${colour}" stroke-width="1.8" points="${path}"/>` +
        `<text x="${PAD.left + plotW + 8}" y="${PAD.top + 14 + i * 16}" font-size="12" fill="${colour}">${escapeXml(series.label)}</text>`
      );
    })
    .join('\n  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif">
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="${PAD.left}" y="26" font-size="15" font-weight="600" fill="#222">${escapeXml(input.title)}</text>
  ${spans}
  ${ticks}
  ${lines}
  <text x="${PAD.left + plotW / 2}" y="${HEIGHT - 8}" font-size="12" text-anchor="middle" fill="#333">seconds since the scenario started (0 … ${Math.round(xMax)})</text>
  <text x="16" y="${PAD.top + plotH / 2}" font-size="12" text-anchor="middle" fill="#333" transform="rotate(-90 16 ${PAD.top + plotH / 2})">${escapeXml(input.yLabel)}</text>
</svg>
`;
}
