/**
 * The per-stream series of the SFU (docs/metrics.md: per consumer, per producer, per transport):
 * labelled in human terms, created when a stream's stats are first collected, removed when it
 * closes (`forget`), bounded in number (`maxStreams`, with a drop counter), or not created at all in
 * aggregate-only mode.
 *
 * Counters are fed cumulative values read from mediasoup's stats: each reading increments the
 * counter by what grew since the previous one, so `rate()` works and a series never goes down.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ConsumerFigures, ProducerFigures, TransportFigures } from './streamFigures.ts';

export type ConsumerLabels = { room: string; subscriber: string; publisher: string; kind: string; source: string };
export type ProducerLabels = { room: string; publisher: string; kind: string; source: string };
export type TransportLabels = { room: string; peer: string; direction: string };

const CONSUMER_LABELS = ['room', 'subscriber', 'publisher', 'kind', 'source'] as const;
const PRODUCER_LABELS = ['room', 'publisher', 'kind', 'source'] as const;
const TRANSPORT_LABELS = ['room', 'peer', 'direction'] as const;
/** mediasoup's ICE and DTLS states: one series per state, 1 for the current one. */
const ICE_STATES = ['new', 'connected', 'completed', 'disconnected', 'closed'] as const;
const DTLS_STATES = ['new', 'connecting', 'connected', 'failed', 'closed'] as const;

export type StreamSeriesOptions = {
  registry: Registry;
  /** False: aggregate-only mode, no per-stream series (SFU_METRICS_PER_STREAM). */
  perStream: boolean;
  /** Most streams (consumers + producers + transports) with series at once (SFU_METRICS_MAX_STREAMS). */
  maxStreams: number;
};

type Kind = 'consumer' | 'producer' | 'transport';

interface Tracked {
  kind: Kind;
  labels: Record<string, string>;
  /** Last cumulative value fed to each counter. */
  cumulative: Map<Counter<string>, number>;
  /** A consumer's packets sent and its source's packets received at the previous reading. */
  forwarding?: { sent: number; received: number };
}

export class StreamSeries {
  readonly #perStream: boolean;
  readonly #maxStreams: number;
  readonly #tracked = new Map<string, Tracked>();
  /** Streams refused by the cap, so each is counted once however often it is collected. */
  readonly #refused = new Set<string>();
  readonly #dropped: Counter;

  readonly #consumer;
  readonly #producer;
  readonly #transport;

  constructor(options: StreamSeriesOptions) {
    this.#perStream = options.perStream;
    this.#maxStreams = options.maxStreams;
    const registers = [options.registry];
    const gauge = <L extends readonly string[]>(name: string, help: string, labelNames: L) =>
      new Gauge({ name, help, labelNames, registers });
    const counter = <L extends readonly string[]>(name: string, help: string, labelNames: L) =>
      new Counter({ name, help, labelNames, registers });

    this.#consumer = {
      jitter: gauge('sfu_consumer_jitter_seconds', "Interarrival jitter in the subscriber's RTCP receiver reports (seconds).", CONSUMER_LABELS),
      fractionLost: gauge('sfu_consumer_fraction_lost_ratio', "Fraction of packets lost on the downlink, from the subscriber's latest receiver report (0..1).", CONSUMER_LABELS),
      packetsLost: gauge('sfu_consumer_packets_lost', 'Cumulative packets lost the subscriber reports.', CONSUMER_LABELS),
      rtt: gauge('sfu_consumer_round_trip_time_seconds', 'Round-trip time between the SFU and the subscriber (seconds).', CONSUMER_LABELS),
      score: gauge('sfu_consumer_score', "mediasoup's 0..10 score of what the consumer receives.", CONSUMER_LABELS),
      bitrate: gauge('sfu_consumer_bitrate_bits_per_second', 'Bitrate the SFU sends on the stream (bits per second).', CONSUMER_LABELS),
      packetsSent: counter('sfu_consumer_packets_sent_total', 'RTP packets sent to the subscriber.', CONSUMER_LABELS),
      retransmitted: counter('sfu_consumer_retransmitted_packets_total', 'Packets sent again because the subscriber asked (NACK).', CONSUMER_LABELS),
      nacks: counter('sfu_consumer_nacks_total', 'NACK messages received from the subscriber.', CONSUMER_LABELS),
      plis: counter('sfu_consumer_plis_total', 'PLI (key frame requests) received from the subscriber.', CONSUMER_LABELS),
      firs: counter('sfu_consumer_firs_total', 'FIR received from the subscriber.', CONSUMER_LABELS),
      unforwarded: gauge(
        'sfu_consumer_unforwarded_ratio',
        'Share of the packets the SFU received on the stream since the previous stats reading that it did not send to this subscriber (0..1; 0 while the consumer is paused): loss inside the SFU.',
        CONSUMER_LABELS,
      ),
    };
    this.#producer = {
      jitter: gauge('sfu_producer_jitter_seconds', 'Interarrival jitter the SFU measures on the incoming stream (seconds).', PRODUCER_LABELS),
      fractionLost: gauge(
        'sfu_producer_fraction_lost_ratio',
        "Fraction lost in the SFU's latest receiver report to the publisher (0..1); stays 0 for audio under uplink loss (NACK repairs it): see sfu_transport_rtp_packet_loss_received_ratio.",
        PRODUCER_LABELS,
      ),
      packetsLost: gauge('sfu_producer_packets_lost', 'Cumulative packets missing from the incoming stream.', PRODUCER_LABELS),
      score: gauge('sfu_producer_score', "mediasoup's 0..10 score of the incoming stream.", PRODUCER_LABELS),
      bitrate: gauge('sfu_producer_bitrate_bits_per_second', 'Incoming bitrate (bits per second).', PRODUCER_LABELS),
      packetsReceived: counter('sfu_producer_packets_received_total', 'RTP packets received from the publisher.', PRODUCER_LABELS),
      nacks: counter('sfu_producer_nacks_total', 'NACK messages the SFU sent to the publisher.', PRODUCER_LABELS),
      plis: counter('sfu_producer_plis_total', 'PLI the SFU sent to the publisher.', PRODUCER_LABELS),
      repaired: counter('sfu_producer_repaired_packets_total', 'Lost packets recovered by retransmission.', PRODUCER_LABELS),
    };
    this.#transport = {
      iceState: gauge('sfu_transport_ice_state', "1 for the transport's current ICE state, 0 for the others.", [...TRANSPORT_LABELS, 'state'] as const),
      dtlsState: gauge('sfu_transport_dtls_state', "1 for the transport's current DTLS state, 0 for the others.", [...TRANSPORT_LABELS, 'state'] as const),
      bytesReceived: counter('sfu_transport_received_bytes_total', 'Bytes received (ICE, DTLS, RTP, RTCP).', TRANSPORT_LABELS),
      bytesSent: counter('sfu_transport_sent_bytes_total', 'Bytes sent.', TRANSPORT_LABELS),
      availableOutgoing: gauge(
        'sfu_transport_available_outgoing_bitrate_bits_per_second',
        "The SFU's bandwidth estimate towards the peer (bits per second).",
        TRANSPORT_LABELS,
      ),
      lossReceived: gauge(
        'sfu_transport_rtp_packet_loss_received_ratio',
        'Loss of the packets the peer sends, from transport-wide feedback (0..1): on a send transport, the true uplink loss, audio included.',
        TRANSPORT_LABELS,
      ),
      lossSent: gauge('sfu_transport_rtp_packet_loss_sent_ratio', 'Loss of the packets the SFU sends, from transport-wide feedback (0..1).', TRANSPORT_LABELS),
    };

    this.#dropped = counter('sfu_stream_series_dropped_total', 'Streams that got no per-stream series because of SFU_METRICS_MAX_STREAMS.', []);
    const tracked = this.#tracked;
    new Gauge({
      name: 'sfu_stream_series',
      help: 'Per-stream label sets exported now (consumers + producers + transports).',
      registers,
      collect() {
        this.set(tracked.size);
      },
    });
  }

  /** Streams with series now. */
  get size(): number {
    return this.#tracked.size;
  }

  /** `paused`: the consumer or its producer is paused, so the SFU is meant to forward nothing. */
  consumer(id: string, labels: ConsumerLabels, figures: ConsumerFigures, paused = false): void {
    const stream = this.#track(id, 'consumer', labels);
    if (!stream) return;
    const m = this.#consumer;
    const unforwarded = unforwardedSince(stream.forwarding, figures, paused);
    if (unforwarded !== undefined) m.unforwarded.set(labels, unforwarded);
    if (figures.sourcePacketsReceived !== undefined) {
      stream.forwarding = { sent: figures.packetsSent, received: figures.sourcePacketsReceived };
    }
    if (figures.jitterSeconds !== undefined) m.jitter.set(labels, figures.jitterSeconds);
    m.fractionLost.set(labels, figures.fractionLost);
    m.packetsLost.set(labels, figures.packetsLost);
    if (figures.roundTripTimeSeconds !== undefined) m.rtt.set(labels, figures.roundTripTimeSeconds);
    m.score.set(labels, figures.score);
    m.bitrate.set(labels, figures.bitrate);
    this.#advance(stream, m.packetsSent, figures.packetsSent);
    this.#advance(stream, m.retransmitted, figures.retransmittedPackets);
    this.#advance(stream, m.nacks, figures.nacks);
    this.#advance(stream, m.plis, figures.plis);
    this.#advance(stream, m.firs, figures.firs);
  }

  producer(id: string, labels: ProducerLabels, figures: ProducerFigures): void {
    const stream = this.#track(id, 'producer', labels);
    if (!stream) return;
    const m = this.#producer;
    m.jitter.set(labels, figures.jitterSeconds);
    m.fractionLost.set(labels, figures.fractionLost);
    m.packetsLost.set(labels, figures.packetsLost);
    m.score.set(labels, figures.score);
    m.bitrate.set(labels, figures.bitrate);
    this.#advance(stream, m.packetsReceived, figures.packetsReceived);
    this.#advance(stream, m.nacks, figures.nacks);
    this.#advance(stream, m.plis, figures.plis);
    this.#advance(stream, m.repaired, figures.repairedPackets);
  }

  transport(id: string, labels: TransportLabels, figures: TransportFigures): void {
    const stream = this.#track(id, 'transport', labels);
    if (!stream) return;
    const m = this.#transport;
    if (figures.iceState !== undefined) {
      for (const state of ICE_STATES) m.iceState.set({ ...labels, state }, state === figures.iceState ? 1 : 0);
    }
    if (figures.dtlsState !== undefined) {
      for (const state of DTLS_STATES) m.dtlsState.set({ ...labels, state }, state === figures.dtlsState ? 1 : 0);
    }
    this.#advance(stream, m.bytesReceived, figures.bytesReceived);
    this.#advance(stream, m.bytesSent, figures.bytesSent);
    if (figures.availableOutgoingBitrate !== undefined) m.availableOutgoing.set(labels, figures.availableOutgoingBitrate);
    if (figures.rtpPacketLossReceived !== undefined) m.lossReceived.set(labels, figures.rtpPacketLossReceived);
    if (figures.rtpPacketLossSent !== undefined) m.lossSent.set(labels, figures.rtpPacketLossSent);
  }

  /** The stream closed: its series go now (and it no longer counts against the cap). Idempotent. */
  forget(id: string): void {
    this.#refused.delete(id);
    const stream = this.#tracked.get(id);
    if (!stream) return;
    this.#tracked.delete(id);
    const { labels } = stream;
    const metrics =
      stream.kind === 'consumer' ? Object.values(this.#consumer) : stream.kind === 'producer' ? Object.values(this.#producer) : Object.values(this.#transport);
    for (const metric of metrics) {
      if (metric === this.#transport.iceState) for (const state of ICE_STATES) metric.remove({ ...labels, state });
      else if (metric === this.#transport.dtlsState) for (const state of DTLS_STATES) metric.remove({ ...labels, state });
      else metric.remove(labels);
    }
  }

  /** The stream's entry, created if the mode and the cap allow; undefined otherwise. */
  #track(id: string, kind: Kind, labels: Record<string, string>): Tracked | undefined {
    if (!this.#perStream) return undefined;
    const known = this.#tracked.get(id);
    if (known) return known;
    if (this.#tracked.size >= this.#maxStreams) {
      if (!this.#refused.has(id)) {
        this.#refused.add(id);
        this.#dropped.inc();
      }
      return undefined;
    }
    const stream: Tracked = { kind, labels: { ...labels }, cumulative: new Map() };
    this.#tracked.set(id, stream);
    return stream;
  }

  /** Increments `counter` by what the cumulative `value` grew since the stream's previous reading. */
  #advance(stream: Tracked, counter: Counter<string>, value: number): void {
    const previous = stream.cumulative.get(counter) ?? 0;
    // A value below the previous one means mediasoup restarted the count: what it says now is new.
    const delta = value >= previous ? value - previous : value;
    stream.cumulative.set(counter, value);
    // Incremented by 0 too: the series exists from the stream's first reading.
    counter.inc(stream.labels, delta);
  }
}

/**
 * The share of the source's packets received since `previous` that the consumer did not send:
 * both counts come from one getStats() call, so they are read at the same instant and a new or
 * slow stream cannot skew one against the other. Undefined without a previous reading or when no
 * packet arrived; 0 while paused (forwarding nothing is then what the SFU is asked to do).
 */
export function unforwardedSince(
  previous: { sent: number; received: number } | undefined,
  figures: Pick<ConsumerFigures, 'packetsSent' | 'sourcePacketsReceived'>,
  paused: boolean,
): number | undefined {
  if (figures.sourcePacketsReceived === undefined) return undefined;
  if (paused) return 0;
  if (!previous) return undefined;
  const received = figures.sourcePacketsReceived - previous.received;
  const sent = figures.packetsSent - previous.sent;
  if (received <= 0 || sent < 0) return undefined;
  return Math.min(1, Math.max(0, 1 - sent / received));
}
