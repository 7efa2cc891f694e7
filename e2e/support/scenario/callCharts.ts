/**
 * A scenario's call over time, as charts QA would rather see than read: per participant, what they
 * received (bitrate), the loss on their uplink and downlink, the jitter they received with, and
 * their link's round trip — from the SFU's metrics in Prometheus, one point a second, with the
 * impairments shaded. One HTML page of SVGs, attached to the test's report.
 */
import { timeSeriesSvg, type TimeSeries } from '../charts.ts';
import type { Prometheus } from '../prometheus.ts';

export interface ChartSpan {
  /** Seconds since the scenario started. */
  from: number;
  to: number;
  label: string;
}

interface ChartSpec {
  title: string;
  yLabel: string;
  expr: (room: string) => string;
  /** The series' label from its metric labels. */
  label: (metric: Record<string, string>) => string;
  format: (value: number) => string;
}

const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
const ms = (value: number) => `${(value * 1000).toFixed(0)} ms`;

const CHARTS: ChartSpec[] = [
  {
    title: 'Received bitrate per participant (all streams, as the SFU sends them)',
    yLabel: 'kbit/s',
    expr: (room) => `sum by (subscriber) (sfu_consumer_bitrate_bits_per_second{room="${room}"}) / 1000`,
    label: (metric) => metric.subscriber ?? '?',
    format: (value) => value.toFixed(0),
  },
  {
    title: "Loss on each participant's uplink (worst stream)",
    yLabel: 'loss',
    expr: (room) => `max by (publisher) (lab:stream_loss:ratio{room="${room}",hop="uplink"})`,
    label: (metric) => `${metric.publisher ?? '?'} ↑`,
    format: percent,
  },
  {
    title: "Loss on each participant's downlink (worst stream)",
    yLabel: 'loss',
    expr: (room) => `max by (subscriber) (lab:stream_loss:ratio{room="${room}",hop="downlink"})`,
    label: (metric) => `${metric.subscriber ?? '?'} ↓`,
    format: percent,
  },
  {
    title: 'Jitter each participant receives with (worst stream, subscriber receiver reports)',
    yLabel: 'jitter',
    expr: (room) => `max by (subscriber) (sfu_consumer_jitter_seconds{room="${room}"})`,
    label: (metric) => metric.subscriber ?? '?',
    format: ms,
  },
  {
    title: "Round trip of each participant's link (browser, send transport)",
    yLabel: 'round trip',
    expr: (room) => `max by (peer) (signaling_browser_round_trip_time_seconds{room="${room}",direction="send"})`,
    label: (metric) => metric.peer ?? '?',
    format: ms,
  },
];

function escapeHtml(text: string): string {
  return text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
}

export async function callChartsHtml(prometheus: Prometheus, call: { name: string; room: string; startMs: number; endMs: number; spans: ChartSpan[] }): Promise<string> {
  const start = call.startMs / 1000;
  const end = call.endMs / 1000;
  const svgs: string[] = [];
  for (const chart of CHARTS) {
    const result = await prometheus.queryRange(chart.expr(call.room), start, end, 1);
    const series: TimeSeries[] = result.map((entry) => ({
      label: chart.label(entry.metric),
      points: entry.values.map(([t, v]) => [t - start, Number(v)] as [number, number]).filter(([, v]) => Number.isFinite(v)),
    }));
    svgs.push(timeSeriesSvg({ title: chart.title, yLabel: chart.yLabel, series, spans: call.spans, format: chart.format }));
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(call.name)}</title></head>
<body style="font-family: system-ui, sans-serif"><h1>${escapeHtml(call.name)} — room ${escapeHtml(call.room)}</h1>
${svgs.join('\n')}
</body></html>
`;
}
