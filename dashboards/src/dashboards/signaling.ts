/**
 * "Signaling": the WebSocket service — who is connected, what messages flow and how fast they are
 * answered, the join flow, its calls to the SFU and the database, and the browsers' stats reports.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { labDashboard, type Section } from '../labDashboard.ts';
import { query, stat, timeSeries, type PanelBuilder } from '../panels.ts';
import { histogramQuantile, rate, sumBy } from '../promql.ts';
import { joinFailuresPanel, joinLatencyPanel, processSection } from '../sharedPanels.ts';

export const SIGNALING_UID = 'lab-signaling';

/** p50 and p95 of a histogram, one curve per value of `by`. */
function latency(title: string, histogram: string, by: readonly string[], description: string): PanelBuilder {
  const legend = by.map((label) => `{{${label}}}`).join(' ');
  return timeSeries({
    title,
    description: `${description} p50 (and p95 dashed) by ${by.join(', ')} (${histogram}).`,
    unit: units.Seconds,
    min: 0,
    queries: [
      query(histogramQuantile(0.5, histogram, { by }), `p50 ${legend}`),
      { ...query(histogramQuantile(0.95, histogram, { by }), `p95 ${legend}`), dashed: true },
    ],
  });
}

function nowSection(): Section {
  const total = (title: string, metric: string, description: string): PanelBuilder =>
    stat({ title, description: `${description} Summed over signaling instances (${metric}).`, unit: units.Short, width: 8, queries: [query(sumBy([], metric), title)] });
  return {
    title: 'Now',
    panels: [
      total('Sockets', 'signaling_connected_sockets', 'WebSockets open, joined or not.'),
      total('Rooms', 'signaling_rooms', 'Rooms with at least one peer; a room with peers on two instances counts twice.'),
      total('Peers', 'signaling_peers', 'Joined peers.'),
    ],
  };
}

function messagesSection(): Section {
  return {
    title: 'Messages',
    panels: [
      timeSeries({
        title: 'Messages by direction, type and result',
        description:
          'Messages per second: in = requests by method (unknown when unparseable) and result (ok or the error code), out = responses and pushes by event name (signaling_messages_total).',
        unit: units.MessagesPerSecond,
        min: 0,
        queries: [query(sumBy(['direction', 'type', 'result'], rate('signaling_messages_total')), '{{direction}} {{type}}: {{result}}')],
      }),
      timeSeries({
        title: 'Failed requests by type and result',
        description: 'Inbound requests answered with an error, per second, by method and error code (signaling_messages_total{direction="in", result!="ok"}).',
        unit: units.RequestsPerSecond,
        min: 0,
        queries: [query(sumBy(['type', 'result'], rate('signaling_messages_total', 'direction="in", result!="ok"')), '{{type}}: {{result}}')],
      }),
      latency('Handling latency', 'signaling_message_handling_duration_seconds', ['type'], 'Inbound request → its response sent.'),
      timeSeries({
        title: 'Errors by code',
        description: 'Error responses sent per second, by protocol error code (signaling_errors_total).',
        unit: units.RequestsPerSecond,
        min: 0,
        queries: [query(sumBy(['code'], rate('signaling_errors_total')), '{{code}}')],
      }),
    ],
  };
}

function joinSection(): Section {
  return {
    title: 'Joining',
    panels: [
      joinLatencyPanel(),
      joinFailuresPanel(),
      latency(
        'Join phases',
        'signaling_join_phase_duration_seconds',
        ['phase'],
        'socket_to_joined: socket open → join answered; joined_to_first_consume: join answered → first consume answered.',
      ),
    ],
  };
}

function dependenciesSection(): Section {
  return {
    title: 'SFU and database',
    panels: [
      latency('SFU calls latency', 'signaling_sfu_request_duration_seconds', ['method', 'code'], 'gRPC client calls to the SFU, by method and status code.'),
      timeSeries({
        title: 'SFU calls by method and code',
        description: 'gRPC calls to the SFU per second by method and status code (count of signaling_sfu_request_duration_seconds).',
        unit: units.RequestsPerSecond,
        min: 0,
        queries: [query(sumBy(['method', 'code'], rate('signaling_sfu_request_duration_seconds_count')), '{{method}} {{code}}')],
      }),
      latency('Database query latency', 'signaling_db_query_duration_seconds', ['query'], 'PostgreSQL queries by operation.'),
    ],
  };
}

function browserReportsSection(): Section {
  return {
    title: 'Browser reports',
    panels: [
      timeSeries({
        title: 'Browser stats reports',
        description: 'reportStats samples received per second, by result: ok, invalid (failed validation), rate_limited (signaling_browser_reports_total).',
        unit: units.RequestsPerSecond,
        min: 0,
        queries: [query(sumBy(['result'], rate('signaling_browser_reports_total')), '{{result}}')],
      }),
    ],
  };
}

export function signaling(): Dashboard {
  return labDashboard({
    uid: SIGNALING_UID,
    title: 'Signaling',
    description: 'The signaling service: sockets, rooms, peers, messages, joins, its SFU and database calls, browser reports.',
    tags: ['signaling'],
    sections: [
      nowSection(),
      messagesSection(),
      joinSection(),
      dependenciesSection(),
      browserReportsSection(),
      processSection('signaling'),
    ],
  });
}
