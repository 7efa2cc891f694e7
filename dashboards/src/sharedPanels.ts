/**
 * Panels that appear on more than one dashboard, defined once: the join panels (call quality overview
 * and signaling) and the Node.js process section (SFU internals and signaling).
 */
import * as units from '@grafana/grafana-foundation-sdk/units';
import type { Section } from './labDashboard.ts';
import { query, timeSeries, type PanelBuilder } from './panels.ts';
import { histogramQuantile, rate, selector, sumBy } from './promql.ts';

/** The Prometheus scrape jobs (prometheus/prometheus.yml); prom-client's default metrics carry them. */
export type ScrapeJob = 'sfu' | 'signaling';

export function joinLatencyPanel(): PanelBuilder {
  return timeSeries({
    title: 'Join latency',
    description:
      'signaling_join_duration_seconds: `join` received → answered successfully (database + SFU round trips), p50 and p95 over all signaling instances. Failed joins are not in it: see Join failures.',
    unit: units.Seconds,
    queries: [0.5, 0.95].map((q) => query(histogramQuantile(q, 'signaling_join_duration_seconds'), `p${q * 100}`)),
  });
}

/** The failures the JoinFailures alert watches (share of failed joins > 10% over 5 m). */
export function joinFailuresPanel(): PanelBuilder {
  return timeSeries({
    title: 'Join failures',
    description:
      'Joins answered with an error, per second, by protocol error code (signaling_messages_total{direction="in", type="join", result!="ok"}). The JoinFailures alert fires when more than 10% of joins fail over 5 minutes.',
    unit: units.RequestsPerSecond,
    min: 0,
    queries: [
      query(
        sumBy(['result'], rate('signaling_messages_total', 'direction="in", type="join", result!="ok"')),
        '{{result}}',
      ),
    ],
  });
}

/** Event loop, memory and CPU of the Node.js process of one service (prom-client's default metrics). */
export function processSection(job: ScrapeJob): Section {
  const ofJob = `job="${job}"`;
  return {
    title: 'Node.js process',
    panels: [
      timeSeries({
        title: 'Event-loop lag p99',
        description:
          'nodejs_eventloop_lag_p99_seconds: how late timers and I/O callbacks run. Everything the process does (gRPC, WebSocket messages, scrapes) waits this long in the worst 1%.',
        unit: units.Seconds,
        width: 8,
        queries: [query(selector('nodejs_eventloop_lag_p99_seconds', ofJob), '{{instance}}')],
      }),
      timeSeries({
        title: 'Memory',
        description: 'Resident set size of the process and the V8 heap in use (process_resident_memory_bytes, nodejs_heap_size_used_bytes).',
        unit: units.BytesIEC,
        width: 8,
        queries: [
          query(selector('process_resident_memory_bytes', ofJob), 'RSS {{instance}}'),
          query(selector('nodejs_heap_size_used_bytes', ofJob), 'heap used {{instance}}'),
        ],
      }),
      timeSeries({
        title: 'CPU',
        description:
          'CPU time of the Node.js process per second (1 = one core busy), rate(process_cpu_seconds_total). For the SFU this is the control process only: mediasoup workers are separate processes, see Worker CPU.',
        unit: units.PercentUnit,
        width: 8,
        min: 0,
        queries: [query(rate('process_cpu_seconds_total', ofJob), '{{instance}}')],
      }),
    ],
  };
}
