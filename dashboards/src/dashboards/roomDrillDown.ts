/**
 * "Room drill-down": one room, optionally narrowed to some peers — every stream's quality over time,
 * the browser's view next to the SFU's, loss per hop, repair traffic and the peers' transports.
 *
 * `peer` selects subscribers for per-stream panels (what those peers receive), publishers for
 * per-producer panels (what they send) and `peer` for per-peer series (their transports).
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { prometheus } from '../datasource.ts';
import { labDashboard, type Section } from '../labDashboard.ts';
import { query, table, timeSeries, type PanelBuilder, type Query } from '../panels.ts';
import { growthPerSecond, matchers, rate, selector, STREAM_LEGEND } from '../promql.ts';

export const ROOM_DRILL_DOWN_UID = 'lab-room';

/** Streams the selected peers receive in the selected room. */
const RECEIVED = 'room="$room", subscriber=~"$peer"';
/** Tracks the selected peers publish in the selected room. */
const PUBLISHED = 'room="$room", publisher=~"$peer"';
/** Per-peer series (transports, browser connection figures) of the selected peers. */
const PEERS = 'room="$room", peer=~"$peer"';

const PRODUCER_LEGEND = '{{publisher}}, {{source}}';
const FRAMES_PER_SECOND = 'suffix: fps';
const HOPS = ['uplink', 'sfu', 'downlink'] as const;
const HOP_MEANING: Record<(typeof HOPS)[number], string> = {
  uplink:
    'publisher → SFU: for video the producer\'s fraction lost, for audio the publisher\'s send-transport loss (transport-wide feedback; Opus losses are NACKed and do not show in the producer\'s figure)',
  sfu: 'packets the SFU received from the publisher but did not send to the subscriber: 1 − consumer send rate ÷ producer receive rate, floored at 0 (a paused consumer reads 100%)',
  downlink: 'SFU → subscriber: the fraction lost in the subscriber\'s receiver reports',
};

function roomVariable(): QueryVariableBuilder {
  const definition = 'label_values(sfu_consumer_score, room)';
  return new QueryVariableBuilder('room')
    .label('Room')
    .description('Rooms with at least one stream on an SFU.')
    .datasource(prometheus)
    .query(definition)
    .definition(definition)
    // Rooms come and go: list them anew when the time range changes, not only on load.
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalCaseInsensitiveAsc);
}

function peerVariable(): QueryVariableBuilder {
  const definition = 'label_values(sfu_consumer_score{room="$room"}, subscriber)';
  return new QueryVariableBuilder('peer')
    .label('Peer')
    .description('Peers (metrics names) of the room; All shows every stream of the room.')
    .datasource(prometheus)
    .query(definition)
    .definition(definition)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalCaseInsensitiveAsc)
    .multi(true)
    .includeAll(true)
    // `.*` rather than Grafana's default alternation of every listed value: it also matches peers
    // that joined after the list was loaded.
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/** One per-stream figure of what the selected peers receive, one series per stream. */
function perStream(options: { title: string; metric: string; unit: string; description: string; width?: number; min?: number; max?: number }): PanelBuilder {
  const { metric, ...panel } = options;
  return timeSeries({ ...panel, queries: [query(selector(metric, RECEIVED), STREAM_LEGEND)] });
}

/** The browser's figure (dashed) and the SFU's for the same streams, in one panel. */
function browserVsSfu(options: { title: string; unit: string; description: string; browser: Query; sfu: Query }): PanelBuilder {
  return timeSeries({
    title: options.title,
    description: `${options.description} Dashed: the browser (getStats, reported through signaling); solid: the SFU.`,
    unit: options.unit,
    width: 8,
    min: 0,
    queries: [{ ...options.browser, dashed: true }, options.sfu],
  });
}

function streamsSection(): Section {
  return {
    title: 'Streams received (SFU view)',
    panels: [
      perStream({
        title: 'Jitter',
        metric: 'sfu_consumer_jitter_seconds',
        unit: units.Seconds,
        width: 8,
        min: 0,
        description: 'Interarrival jitter each subscriber reports for each stream in its RTCP receiver reports (sfu_consumer_jitter_seconds).',
      }),
      perStream({
        title: 'Downlink loss',
        metric: 'sfu_consumer_fraction_lost_ratio',
        unit: units.PercentUnit,
        width: 8,
        min: 0,
        description: 'Fraction of packets lost SFU → subscriber since the previous receiver report (sfu_consumer_fraction_lost_ratio). Loss per hop is below.',
      }),
      perStream({
        title: 'Round-trip time',
        metric: 'sfu_consumer_round_trip_time_seconds',
        unit: units.Seconds,
        width: 8,
        min: 0,
        description: 'RTT between the SFU and the subscriber, from RTCP SR/RR (sfu_consumer_round_trip_time_seconds).',
      }),
      perStream({
        title: 'Bitrate sent',
        metric: 'sfu_consumer_bitrate_bits_per_second',
        unit: units.BitsPerSecondSI,
        min: 0,
        description: 'What the SFU sends on each stream, mediasoup\'s 1 s window (sfu_consumer_bitrate_bits_per_second).',
      }),
      perStream({
        title: 'Score',
        metric: 'sfu_consumer_score',
        unit: units.Short,
        min: 0,
        max: 10,
        description: 'mediasoup\'s 0..10 score of what each consumer receives (sfu_consumer_score); 10 is perfect.',
      }),
    ],
  };
}

function publishedSection(): Section {
  return {
    title: 'Tracks published (SFU view)',
    panels: [
      timeSeries({
        title: 'Bitrate received',
        description: 'Incoming bitrate of each track the selected peers publish (sfu_producer_bitrate_bits_per_second).',
        unit: units.BitsPerSecondSI,
        width: 8,
        min: 0,
        queries: [query(selector('sfu_producer_bitrate_bits_per_second', PUBLISHED), PRODUCER_LEGEND)],
      }),
      timeSeries({
        title: 'Uplink jitter',
        description: 'Interarrival jitter the SFU measures on each incoming track (sfu_producer_jitter_seconds).',
        unit: units.Seconds,
        width: 8,
        min: 0,
        queries: [query(selector('sfu_producer_jitter_seconds', PUBLISHED), PRODUCER_LEGEND)],
      }),
      timeSeries({
        title: 'Uplink score',
        description: 'mediasoup\'s 0..10 score of each incoming track (sfu_producer_score).',
        unit: units.Short,
        width: 8,
        min: 0,
        max: 10,
        queries: [query(selector('sfu_producer_score', PUBLISHED), PRODUCER_LEGEND)],
      }),
    ],
  };
}

function browserVsSfuSection(): Section {
  const browserLoss =
    `${growthPerSecond('signaling_browser_packets_lost', RECEIVED)} / ` +
    `(${growthPerSecond('signaling_browser_packets_lost', RECEIVED)} + ${growthPerSecond('signaling_browser_packets_received', RECEIVED)})`;
  return {
    title: 'Browser vs SFU',
    panels: [
      browserVsSfu({
        title: 'Jitter: browser vs SFU',
        unit: units.Seconds,
        description:
          'The same streams\' jitter as the subscriber\'s browser measures it (inbound-rtp.jitter, signaling_browser_jitter_seconds) and as its receiver reports tell the SFU (sfu_consumer_jitter_seconds).',
        browser: query(selector('signaling_browser_jitter_seconds', RECEIVED), `browser: ${STREAM_LEGEND}`),
        sfu: query(selector('sfu_consumer_jitter_seconds', RECEIVED), `SFU: ${STREAM_LEGEND}`),
      }),
      browserVsSfu({
        title: 'Loss: browser vs SFU',
        unit: units.PercentUnit,
        description:
          'Browser: packets lost ÷ (lost + received) over the rate window, from the cumulative inbound-rtp counters (signaling_browser_packets_lost, signaling_browser_packets_received). SFU: the receiver reports\' fraction lost (sfu_consumer_fraction_lost_ratio).',
        browser: query(browserLoss, `browser: ${STREAM_LEGEND}`),
        sfu: query(selector('sfu_consumer_fraction_lost_ratio', RECEIVED), `SFU: ${STREAM_LEGEND}`),
      }),
      browserVsSfu({
        title: 'Round-trip time: browser vs SFU',
        unit: units.Seconds,
        description:
          'Browser: the selected candidate pair\'s currentRoundTripTime of each peer\'s receiving transport (signaling_browser_round_trip_time_seconds, per peer). SFU: RTT per stream from RTCP (sfu_consumer_round_trip_time_seconds).',
        browser: query(
          selector('signaling_browser_round_trip_time_seconds', matchers(PEERS, 'direction="recv"')),
          'browser: {{peer}} (receiving transport)',
        ),
        sfu: query(selector('sfu_consumer_round_trip_time_seconds', RECEIVED), `SFU: ${STREAM_LEGEND}`),
      }),
    ],
  };
}

function browserExperienceSection(): Section {
  return {
    title: 'What the browsers render',
    panels: [
      timeSeries({
        title: 'Frames decoded and dropped',
        description:
          'Video frames per second the subscriber\'s browser decodes (solid) and drops (dashed), from the cumulative inbound-rtp framesDecoded / framesDropped (signaling_browser_frames_decoded, signaling_browser_frames_dropped).',
        unit: FRAMES_PER_SECOND,
        width: 8,
        min: 0,
        queries: [
          query(growthPerSecond('signaling_browser_frames_decoded', RECEIVED), `decoded: ${STREAM_LEGEND}`),
          { ...query(growthPerSecond('signaling_browser_frames_dropped', RECEIVED), `dropped: ${STREAM_LEGEND}`), dashed: true },
        ],
      }),
      timeSeries({
        title: 'Time frozen',
        description:
          'Share of time the video was frozen, from the cumulative inbound-rtp totalFreezesDuration (signaling_browser_freeze_duration_seconds); the count of freezes is signaling_browser_freezes.',
        unit: units.PercentUnit,
        width: 8,
        min: 0,
        queries: [query(growthPerSecond('signaling_browser_freeze_duration_seconds', RECEIVED), STREAM_LEGEND)],
      }),
      timeSeries({
        title: 'Jitter-buffer delay',
        description: 'Average time a sample waits in the browser\'s jitter buffer (jitterBufferDelay ÷ jitterBufferEmittedCount, signaling_browser_jitter_buffer_delay_seconds).',
        unit: units.Seconds,
        width: 8,
        min: 0,
        queries: [query(selector('signaling_browser_jitter_buffer_delay_seconds', RECEIVED), STREAM_LEGEND)],
      }),
      timeSeries({
        title: 'Audio concealment',
        description: 'Audio samples per second the browser had to invent because packets were missing (inbound-rtp.concealedSamples, signaling_browser_concealed_samples).',
        unit: 'suffix: samples/s',
        min: 0,
        queries: [query(growthPerSecond('signaling_browser_concealed_samples', matchers(RECEIVED, 'kind="audio"')), STREAM_LEGEND)],
      }),
      timeSeries({
        title: 'Sender quality limitation',
        description:
          'When a selected peer\'s browser lowers what it sends, and why (qualityLimitationReason: cpu, bandwidth, other), per source (signaling_browser_quality_limitation). No line: not limited.',
        unit: units.Short,
        min: 0,
        max: 1,
        queries: [
          query(
            `${selector('signaling_browser_quality_limitation', matchers(PEERS, 'reason!="none"'))} == 1`,
            '{{peer}} {{source}}: {{reason}}',
          ),
        ],
      }),
    ],
  };
}

function lossPerHopSection(): Section {
  return {
    title: 'Loss per hop',
    panels: HOPS.map((hop) =>
      timeSeries({
        title: `Loss: ${hop}`,
        description: `lab:stream_loss:ratio{hop="${hop}"}: ${HOP_MEANING[hop]}. The StreamPacketLoss alert fires above 5% for 2 minutes.`,
        unit: units.PercentUnit,
        width: 8,
        min: 0,
        queries: [query(selector('lab:stream_loss:ratio', matchers(RECEIVED, `hop="${hop}"`)), STREAM_LEGEND)],
      }),
    ),
  };
}

function repairSection(): Section {
  return {
    title: 'Repair',
    panels: [
      timeSeries({
        title: 'Repair requests from subscribers',
        description: 'NACKs (resend requests) and PLIs/FIRs (key-frame requests) each subscriber sends the SFU per stream (sfu_consumer_nacks_total, sfu_consumer_plis_total, sfu_consumer_firs_total).',
        unit: units.MessagesPerSecond,
        width: 8,
        min: 0,
        queries: [
          query(rate('sfu_consumer_nacks_total', RECEIVED), `NACK: ${STREAM_LEGEND}`),
          query(rate('sfu_consumer_plis_total', RECEIVED), `PLI: ${STREAM_LEGEND}`),
          query(rate('sfu_consumer_firs_total', RECEIVED), `FIR: ${STREAM_LEGEND}`),
        ],
      }),
      timeSeries({
        title: 'Retransmissions',
        description:
          'Packets the SFU resends to subscribers because they asked (sfu_consumer_retransmitted_packets_total) and lost packets of the selected peers\' tracks it recovered from the publisher (sfu_producer_repaired_packets_total, dashed).',
        unit: units.PacketsPerSecond,
        width: 8,
        min: 0,
        queries: [
          query(rate('sfu_consumer_retransmitted_packets_total', RECEIVED), `resent: ${STREAM_LEGEND}`),
          { ...query(rate('sfu_producer_repaired_packets_total', PUBLISHED), `repaired: ${PRODUCER_LEGEND}`), dashed: true },
        ],
      }),
      timeSeries({
        title: 'Repair requests to publishers',
        description: 'NACKs and PLIs the SFU sends the selected peers about the tracks they publish (sfu_producer_nacks_total, sfu_producer_plis_total): their uplink losing packets or a decoder needing a key frame.',
        unit: units.MessagesPerSecond,
        width: 8,
        min: 0,
        queries: [
          query(rate('sfu_producer_nacks_total', PUBLISHED), `NACK: ${PRODUCER_LEGEND}`),
          query(rate('sfu_producer_plis_total', PUBLISHED), `PLI: ${PRODUCER_LEGEND}`),
        ],
      }),
    ],
  };
}

function transportsSection(): Section {
  const stateTable = (title: string, metric: string, states: string): PanelBuilder =>
    table({
      title,
      description: `Current ${title} of each transport of the selected peers (${metric} == 1; states: ${states}).`,
      unit: units.Short,
      width: 6,
      query: `${selector(metric, PEERS)} == 1`,
    });
  return {
    title: 'Transports',
    panels: [
      stateTable('ICE state', 'sfu_transport_ice_state', 'new, connected, completed, disconnected, closed'),
      stateTable('DTLS state', 'sfu_transport_dtls_state', 'new, connecting, connected, failed, closed'),
      timeSeries({
        title: 'Available outgoing bitrate',
        description:
          'Bandwidth estimates (transport-wide congestion control): the SFU\'s towards each peer (sfu_transport_available_outgoing_bitrate_bits_per_second) and each browser\'s towards the SFU on its sending transport (signaling_browser_available_outgoing_bitrate_bits_per_second, dashed).',
        unit: units.BitsPerSecondSI,
        min: 0,
        queries: [
          query(selector('sfu_transport_available_outgoing_bitrate_bits_per_second', PEERS), 'SFU → {{peer}} ({{direction}} transport)'),
          { ...query(selector('signaling_browser_available_outgoing_bitrate_bits_per_second', PEERS), '{{peer}} → SFU (browser)'), dashed: true },
        ],
      }),
      timeSeries({
        title: 'Transport-wide loss',
        description:
          'From transport-wide feedback: loss of what each peer sends (sfu_transport_rtp_packet_loss_received_ratio; on a send transport the true uplink loss, audio included) and of what the SFU sends it (sfu_transport_rtp_packet_loss_sent_ratio).',
        unit: units.PercentUnit,
        width: 12,
        min: 0,
        queries: [
          query(selector('sfu_transport_rtp_packet_loss_received_ratio', PEERS), '{{peer}} → SFU ({{direction}} transport)'),
          query(selector('sfu_transport_rtp_packet_loss_sent_ratio', PEERS), 'SFU → {{peer}} ({{direction}} transport)'),
        ],
      }),
      timeSeries({
        title: 'Transport throughput',
        description: 'Bits per second on each transport, ICE/DTLS/RTP/RTCP included (sfu_transport_received_bytes_total, sfu_transport_sent_bytes_total).',
        unit: units.BitsPerSecondSI,
        width: 12,
        min: 0,
        queries: [
          query(`${rate('sfu_transport_received_bytes_total', PEERS)} * 8`, '{{peer}} → SFU ({{direction}} transport)'),
          query(`${rate('sfu_transport_sent_bytes_total', PEERS)} * 8`, 'SFU → {{peer}} ({{direction}} transport)'),
        ],
      }),
    ],
  };
}

export function roomDrillDown(): Dashboard {
  return labDashboard({
    uid: ROOM_DRILL_DOWN_UID,
    title: 'Room drill-down',
    description: 'One room\'s streams, the browser\'s and the SFU\'s view of them, loss per hop and the peers\' transports.',
    tags: ['quality'],
    variables: [roomVariable(), peerVariable()],
    sections: [
      streamsSection(),
      publishedSection(),
      browserVsSfuSection(),
      browserExperienceSection(),
      lossPerHopSection(),
      repairSection(),
      transportsSection(),
    ],
  });
}
