/**
 * "SFU internals": what the SFU process and its mediasoup workers are doing — load per worker, the
 * gRPC control API, the event feed to signaling, the cost of per-stream metrics, the Node.js process.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { labDashboard, type Section } from '../labDashboard.ts';
import { query, stat, table, timeSeries, type PanelBuilder } from '../panels.ts';
import { histogramQuantile, rate, sumBy } from '../promql.ts';
import { processSection } from '../sharedPanels.ts';

export const SFU_INTERNALS_UID = 'lab-sfu';

/** A per-worker gauge, one series per worker (and media kind where the metric has it). */
function perWorker(title: string, metric: string, byKind: boolean, description: string): PanelBuilder {
  return timeSeries({
    title,
    description: `${description} (${metric}).`,
    unit: units.Short,
    width: 6,
    min: 0,
    queries: [query(metric, byKind ? 'worker {{worker}} {{kind}}' : 'worker {{worker}}')],
  });
}

function workersSection(): Section {
  return {
    title: 'mediasoup workers',
    panels: [
      stat({
        title: 'Workers alive',
        description: 'mediasoup worker processes alive, over all SFU instances (sfu_workers). One per core unless SFU_WORKERS says otherwise.',
        unit: units.Short,
        queries: [query(sumBy([], 'sfu_workers'), 'workers')],
      }),
      stat({
        title: 'Worker deaths',
        description: 'Workers that died unexpectedly in the dashboard\'s time range (increase of sfu_worker_deaths_total); each is replaced. The MediasoupWorkerDied alert fires on any.',
        unit: units.Short,
        queries: [query(sumBy([], 'increase(sfu_worker_deaths_total[$__range])'), 'deaths')],
      }),
      table({
        title: 'Build',
        description: 'What runs: the SFU\'s version, mediasoup\'s, Node.js\'s and the worker recipe hash (sfu_build_info labels).',
        unit: units.Short,
        height: 4,
        query: 'sfu_build_info',
      }),
      timeSeries({
        title: 'Worker CPU',
        description:
          'CPU time (user + system) of each worker process per second: 1 = one core fully busy (rate of sfu_worker_cpu_seconds_total). A worker is single-threaded, so near 1 it is saturated.',
        unit: units.PercentUnit,
        width: 24,
        min: 0,
        queries: [query(rate('sfu_worker_cpu_seconds_total'), 'worker {{worker}} {{instance}}')],
      }),
      perWorker('Routers', 'sfu_worker_routers', false, 'Routers (one per room) each worker hosts'),
      perWorker('Transports', 'sfu_worker_transports', false, 'WebRTC transports each worker hosts'),
      perWorker('Producers', 'sfu_worker_producers', true, 'Producers (incoming tracks) each worker hosts'),
      perWorker('Consumers', 'sfu_worker_consumers', true, 'Consumers (outgoing tracks) each worker hosts'),
    ],
  };
}

function grpcSection(): Section {
  return {
    title: 'gRPC control API',
    panels: [
      timeSeries({
        title: 'Requests by method and code',
        description: 'gRPC calls the SFU handled per second, by method and final status code (sfu_grpc_requests_total; WatchEvents streams counted when they end).',
        unit: units.RequestsPerSecond,
        min: 0,
        queries: [query(sumBy(['method', 'code'], rate('sfu_grpc_requests_total')), '{{method}} {{code}}')],
      }),
      timeSeries({
        title: 'Error share',
        description: 'Share of gRPC calls that ended with a status other than OK, over all methods (sfu_grpc_requests_total). The SfuGrpcErrors alert fires above 5% over 5 minutes.',
        unit: units.PercentUnit,
        min: 0,
        queries: [
          query(
            `${sumBy([], rate('sfu_grpc_requests_total', 'code!="OK"'))} / ${sumBy([], rate('sfu_grpc_requests_total'))}`,
            'non-OK',
          ),
        ],
      }),
      ...[0.5, 0.95, 0.99].map((q) =>
        timeSeries({
          title: `Unary latency p${q * 100}`,
          description: `Unary calls, request arrival → status sent, ${q * 100}th percentile by method (sfu_grpc_request_duration_seconds).`,
          unit: units.Seconds,
          width: 8,
          min: 0,
          queries: [query(histogramQuantile(q, 'sfu_grpc_request_duration_seconds', { by: ['method'] }), '{{method}}')],
        }),
      ),
      timeSeries({
        title: 'Event streams: lifetime p50',
        description: 'How long WatchEvents server streams lived before ending, median by method (sfu_grpc_stream_duration_seconds). Short lives mean signaling reconnects often.',
        unit: units.Seconds,
        min: 0,
        queries: [query(histogramQuantile(0.5, 'sfu_grpc_stream_duration_seconds', { by: ['method'] }), '{{method}}')],
      }),
    ],
  };
}

function eventFeedSection(): Section {
  return {
    title: 'Event feed (WatchEvents)',
    panels: [
      timeSeries({
        title: 'Subscribers',
        description: 'WatchEvents streams open: normally one per signaling instance (sfu_event_subscribers).',
        unit: units.Short,
        width: 6,
        min: 0,
        queries: [query('sfu_event_subscribers', '{{instance}}')],
      }),
      timeSeries({
        title: 'Events published by type',
        description: 'Events published to the feed per second, by type (sfu_events_published_total).',
        unit: units.EventsPerSecond,
        min: 0,
        queries: [query(sumBy(['type'], rate('sfu_events_published_total')), '{{type}}')],
      }),
      timeSeries({
        title: 'Subscriber overflows',
        description: 'Subscribers cut off for falling 1024 events behind (increase of sfu_event_subscriber_overflows_total per rate window). Each is a signaling instance that missed events.',
        unit: units.Short,
        width: 6,
        min: 0,
        queries: [query(sumBy([], 'increase(sfu_event_subscriber_overflows_total[$__rate_interval])'), 'overflows')],
      }),
    ],
  };
}

function perStreamMetricsSection(): Section {
  return {
    title: 'Per-stream metrics',
    panels: [
      timeSeries({
        title: 'Per-stream series',
        description: 'Per-stream label sets exported now: consumers + producers + transports (sfu_stream_series), bounded by SFU_METRICS_MAX_STREAMS.',
        unit: units.Short,
        width: 8,
        min: 0,
        queries: [query('sfu_stream_series', '{{instance}}')],
      }),
      timeSeries({
        title: 'Streams without series',
        description: 'Streams per second that got no per-stream series because of SFU_METRICS_MAX_STREAMS (sfu_stream_series_dropped_total); they still feed the fleet histograms.',
        unit: units.CountsPerSecond,
        width: 8,
        min: 0,
        queries: [query(rate('sfu_stream_series_dropped_total'), '{{instance}}')],
      }),
      timeSeries({
        title: 'Stats collection duration',
        description: 'How long one collection of every stream\'s stats takes, p50 and p99 (sfu_stats_collection_duration_seconds). It should stay well under SFU_STATS_INTERVAL_SECONDS.',
        unit: units.Seconds,
        width: 8,
        min: 0,
        queries: [0.5, 0.99].map((q) =>
          query(histogramQuantile(q, 'sfu_stats_collection_duration_seconds', { by: ['instance'] }), `p${q * 100} {{instance}}`),
        ),
      }),
    ],
  };
}

export function sfuInternals(): Dashboard {
  return labDashboard({
    uid: SFU_INTERNALS_UID,
    title: 'SFU internals',
    description: 'mediasoup workers, the gRPC control API, the event feed, per-stream metrics cost and the SFU\'s Node.js process.',
    tags: ['sfu'],
    sections: [workersSection(), grpcSection(), eventFeedSection(), perStreamMetricsSection(), processSection('sfu')],
  });
}
