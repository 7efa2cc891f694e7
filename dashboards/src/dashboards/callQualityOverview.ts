/**
 * "Call quality overview": the whole fleet at a glance — how many calls, how good the media is
 * across every stream, which streams are the worst right now, and whether joining works.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { labDashboard } from '../labDashboard.ts';
import { query, stat, table, timeSeries, type PanelBuilder } from '../panels.ts';
import { histogramQuantile, sumBy } from '../promql.ts';
import { joinFailuresPanel, joinLatencyPanel } from '../sharedPanels.ts';

export const CALL_QUALITY_OVERVIEW_UID = 'lab-call-quality';

/** How many streams the worst-streams tables list. */
const WORST = 10;

/** p50/p95/p99 per media kind of one of the fleet histograms (every consumer at every stats collection). */
function fleetDistribution(title: string, histogram: string, unit: string, description: string): PanelBuilder {
  return timeSeries({
    title,
    description: `${description} Quantiles of ${histogram} (every consumer's value at every stats collection, all SFUs), by media kind. Streams past SFU_METRICS_MAX_STREAMS are in it too.`,
    unit,
    width: 8,
    min: 0,
    queries: [0.5, 0.95, 0.99].map((q) =>
      query(histogramQuantile(q, histogram, { by: ['kind'] }), `p${q * 100} {{kind}}`),
    ),
  });
}

function worstStreams(title: string, expr: string, unit: string, valueColumn: string, description: string): PanelBuilder {
  return table({ title, description, unit, width: 8, query: `topk(${WORST}, ${expr})`, valueColumn });
}

export function callQualityOverview(): Dashboard {
  return labDashboard({
    uid: CALL_QUALITY_OVERVIEW_UID,
    title: 'Call quality overview',
    description: 'Fleet-wide call quality: calls in progress, jitter/RTT/loss distributions, the worst streams, joins.',
    tags: ['quality'],
    sections: [
      {
        title: 'Now',
        panels: [
          stat({
            title: 'Rooms',
            description: 'Rooms open on the SFUs (one mediasoup router each), summed over SFU instances (sfu_rooms).',
            unit: units.Short,
            queries: [query(sumBy([], 'sfu_rooms'), 'rooms')],
          }),
          stat({
            title: 'Peers',
            description: 'Joined peers, summed over signaling instances (signaling_peers).',
            unit: units.Short,
            queries: [query(sumBy([], 'signaling_peers'), 'peers')],
          }),
          stat({
            title: 'Published tracks',
            description: 'Producers (a publisher\'s microphone or camera arriving at the SFU), by kind (sfu_producers).',
            unit: units.Short,
            queries: [query(sumBy(['kind'], 'sfu_producers'), '{{kind}}')],
          }),
          stat({
            title: 'Streams',
            description: 'Consumers: one per subscriber ← publisher track the SFU forwards, by kind (sfu_consumers).',
            unit: units.Short,
            queries: [query(sumBy(['kind'], 'sfu_consumers'), '{{kind}}')],
          }),
        ],
      },
      {
        title: 'Media quality across the fleet',
        panels: [
          fleetDistribution(
            'Jitter',
            'sfu_fleet_consumer_jitter_seconds',
            units.Seconds,
            'Interarrival jitter the subscribers report in their RTCP receiver reports.',
          ),
          fleetDistribution(
            'Round-trip time',
            'sfu_fleet_consumer_round_trip_time_seconds',
            units.Seconds,
            'RTT between the SFU and the subscribers (RTCP SR/RR).',
          ),
          fleetDistribution(
            'Downlink loss',
            'sfu_fleet_consumer_fraction_lost_ratio',
            units.PercentUnit,
            'Fraction of packets lost between the SFU and the subscribers (RR fraction lost).',
          ),
        ],
      },
      {
        title: 'Worst streams now',
        panels: [
          worstStreams(
            'Worst loss',
            'lab:stream_loss:ratio',
            units.PercentUnit,
            'loss',
            `The ${WORST} streams with the highest loss on one hop (lab:stream_loss:ratio): uplink = publisher → SFU, sfu = received but not forwarded, downlink = SFU → subscriber. A stream appears once per lossy hop.`,
          ),
          worstStreams(
            'Worst jitter',
            'sfu_consumer_jitter_seconds',
            units.Seconds,
            'jitter',
            `The ${WORST} streams with the highest jitter the subscriber reports (sfu_consumer_jitter_seconds). The StreamHighJitter alert fires above 30 ms for 2 minutes.`,
          ),
          worstStreams(
            'Worst round-trip time',
            'sfu_consumer_round_trip_time_seconds',
            units.Seconds,
            'RTT',
            `The ${WORST} streams with the longest SFU ↔ subscriber RTT (sfu_consumer_round_trip_time_seconds). The StreamHighRoundTripTime alert fires above 300 ms for 2 minutes.`,
          ),
        ],
      },
      { title: 'Joining', panels: [joinLatencyPanel(), joinFailuresPanel()] },
    ],
  });
}
