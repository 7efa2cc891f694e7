/**
 * The exported series, read back from the Prometheus text exposition: the names, labels and values
 * docs/metrics.md promises for every intent-named method.
 */
import { describe, expect, test } from 'vitest';
import { timedQuery } from '../db/timedQuery.ts';
import { DatabaseTimeoutError, UnavailableError } from '../errors.ts';
import { PrometheusSignalingMetrics } from '../metrics.ts';

async function exposition(metrics: PrometheusSignalingMetrics): Promise<string> {
  return (await metrics.render()).body;
}

/** The value of the one sample line `name{labels}`, or undefined when there is none. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const stream = { room: 'standup', subscriber: 'bob', publisher: 'alice #3f2a9c', kind: 'video', source: 'camera' } as const;
const streamLabels = 'room="standup",subscriber="bob",publisher="alice #3f2a9c",kind="video",source="camera"';

describe('PrometheusSignalingMetrics', () => {
  test('abuse-limit refusals, by limit', async () => {
    const metrics = new PrometheusSignalingMetrics({ defaultMetrics: false });
    metrics.limitHit('requests_per_second');
    metrics.limitHit('requests_per_second');
    metrics.limitHit('json_depth');
    const text = await exposition(metrics);
    expect(sample(text, 'signaling_limit_rejections_total{limit="requests_per_second"}')).toBe(2);
    expect(sample(text, 'signaling_limit_rejections_total{limit="json_depth"}')).toBe(1);
    expect(text).toContain('# TYPE signaling_limit_rejections_total counter');
  });

  test('messages in, by method and result (unknown methods bounded), with their handling time and error codes', async () => {
    const metrics = new PrometheusSignalingMetrics({ defaultMetrics: false });
    metrics.requestAnswered('join', 'ok', 0.012);
    metrics.requestAnswered('consume', 'not_found', 0.002);
    metrics.requestAnswered('explode', 'unknown_method', 0);
    metrics.messageSent({ id: 1, ok: true, data: {} });
    metrics.messageSent({ id: 2, ok: false, error: { code: 'not_found', message: 'no such consumer' } });
    metrics.messageSent({ id: null, ok: false, error: { code: 'bad_json', message: 'not JSON' } });
    metrics.messageSent({ event: 'peerLeft', data: { peerId: 'p1', reason: 'left' } });
    const text = await exposition(metrics);

    expect(sample(text, 'signaling_messages_total{direction="in",type="join",result="ok"}')).toBe(1);
    expect(sample(text, 'signaling_messages_total{direction="in",type="consume",result="not_found"}')).toBe(1);
    expect(sample(text, 'signaling_messages_total{direction="in",type="unknown",result="unknown_method"}')).toBe(1);
    expect(sample(text, 'signaling_messages_total{direction="out",type="response",result="ok"}')).toBe(3);
    expect(sample(text, 'signaling_messages_total{direction="out",type="peerLeft",result="ok"}')).toBe(1);
    expect(sample(text, 'signaling_errors_total{code="not_found"}')).toBe(1);
    expect(sample(text, 'signaling_errors_total{code="bad_json"}')).toBe(1);
    expect(sample(text, 'signaling_message_handling_duration_seconds_count{type="join"}')).toBe(1);
    expect(sample(text, 'signaling_message_handling_duration_seconds_sum{type="join"}')).toBeCloseTo(0.012);
    expect(sample(text, 'signaling_message_handling_duration_seconds_bucket{le="0.025",type="join"}')).toBe(1);
    expect(sample(text, 'signaling_message_handling_duration_seconds_bucket{le="0.01",type="join"}')).toBe(0);
  });

  test('join duration and phases, SFU calls by method and code, database queries by operation and their failures by kind, session-end retries', async () => {
    const metrics = new PrometheusSignalingMetrics({ defaultMetrics: false });
    metrics.observeJoin(0.03);
    metrics.observeJoinPhase('socket_to_joined', 4.2);
    metrics.observeJoinPhase('joined_to_first_consume', 0.02);
    metrics.observeSfuRequest('GetRouterRtpCapabilities', 'OK', 0.004);
    metrics.observeSfuRequest('Consume', 'NOT_FOUND', 0.001);
    await timedQuery(metrics, 'ensure_room', async () => undefined);
    await expect(timedQuery(metrics, 'readiness', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(timedQuery(metrics, 'session_ended', () => Promise.reject(new DatabaseTimeoutError('database unavailable: no answer within 2000 ms')))).rejects.toThrow('no answer');
    await expect(timedQuery(metrics, 'session_ended', () => Promise.reject(new UnavailableError('database unavailable: ECONNREFUSED')))).rejects.toThrow('ECONNREFUSED');
    metrics.sessionEndsPending(3);
    metrics.sessionEndRetried('written');
    metrics.lostInstanceSessionsClosed(2);
    const text = await exposition(metrics);

    expect(sample(text, 'signaling_join_duration_seconds_count')).toBe(1);
    expect(sample(text, 'signaling_join_phase_duration_seconds_count{phase="socket_to_joined"}')).toBe(1);
    expect(sample(text, 'signaling_join_phase_duration_seconds_sum{phase="socket_to_joined"}')).toBeCloseTo(4.2);
    expect(sample(text, 'signaling_join_phase_duration_seconds_count{phase="joined_to_first_consume"}')).toBe(1);
    expect(sample(text, 'signaling_sfu_request_duration_seconds_count{method="GetRouterRtpCapabilities",code="OK"}')).toBe(1);
    expect(sample(text, 'signaling_sfu_request_duration_seconds_count{method="Consume",code="NOT_FOUND"}')).toBe(1);
    expect(sample(text, 'signaling_db_query_duration_seconds_count{query="ensure_room"}')).toBe(1);
    // A failed query is timed too: a slow failure is what a dashboard must show.
    expect(sample(text, 'signaling_db_query_duration_seconds_count{query="readiness"}')).toBe(1);
    // Failures by kind: a timeout apart from a refused connection and a failed query.
    expect(sample(text, 'signaling_db_errors_total{query="readiness",kind="error"}')).toBe(1);
    expect(sample(text, 'signaling_db_errors_total{query="session_ended",kind="timeout"}')).toBe(1);
    expect(sample(text, 'signaling_db_errors_total{query="session_ended",kind="unavailable"}')).toBe(1);
    expect(sample(text, 'signaling_session_ends_pending')).toBe(3);
    expect(sample(text, 'signaling_session_end_retries_total{result="written"}')).toBe(1);
    expect(sample(text, 'signaling_lost_instance_sessions_closed_total')).toBe(2);
  });

  test('browser-reported stream figures under the SFU’s consumer labels; the jitter buffer as an average; removed when gone', async () => {
    const metrics = new PrometheusSignalingMetrics({ defaultMetrics: false });
    metrics.browserStreamReported(stream, {
      jitter: 0.004,
      packetsLost: 3,
      packetsReceived: 900,
      framesDecoded: 300,
      framesDropped: 2,
      freezeCount: 1,
      totalFreezesDuration: 0.6,
      jitterBufferDelay: 15,
      jitterBufferEmittedCount: 300,
    });
    let text = await exposition(metrics);
    expect(sample(text, `signaling_browser_jitter_seconds{${streamLabels}}`)).toBe(0.004);
    expect(sample(text, `signaling_browser_packets_lost{${streamLabels}}`)).toBe(3);
    expect(sample(text, `signaling_browser_packets_received{${streamLabels}}`)).toBe(900);
    expect(sample(text, `signaling_browser_frames_decoded{${streamLabels}}`)).toBe(300);
    expect(sample(text, `signaling_browser_frames_dropped{${streamLabels}}`)).toBe(2);
    expect(sample(text, `signaling_browser_freezes{${streamLabels}}`)).toBe(1);
    expect(sample(text, `signaling_browser_freeze_duration_seconds{${streamLabels}}`)).toBe(0.6);
    expect(sample(text, `signaling_browser_jitter_buffer_delay_seconds{${streamLabels}}`)).toBe(0.05);
    // Not reported for a video stream: no series at all rather than a made-up 0.
    expect(text).not.toContain('signaling_browser_concealed_samples{');

    metrics.browserStreamGone(stream);
    text = await exposition(metrics);
    expect(text).not.toMatch(/^signaling_browser_\w+\{/m);
  });

  test('browser transports by direction (outgoing bitrate from the send one), quality limitation as a one-hot reason', async () => {
    const metrics = new PrometheusSignalingMetrics({ defaultMetrics: false });
    const peer = { room: 'standup', peer: 'bob' };
    metrics.browserTransportReported({ ...peer, direction: 'send' }, { currentRoundTripTime: 0.021, availableOutgoingBitrate: 2_400_000 });
    metrics.browserTransportReported({ ...peer, direction: 'recv' }, { currentRoundTripTime: 0.019 });
    metrics.browserQualityLimitation({ ...peer, source: 'camera' }, 'cpu');
    let text = await exposition(metrics);
    expect(sample(text, 'signaling_browser_round_trip_time_seconds{room="standup",peer="bob",direction="send"}')).toBe(0.021);
    expect(sample(text, 'signaling_browser_round_trip_time_seconds{room="standup",peer="bob",direction="recv"}')).toBe(0.019);
    expect(sample(text, 'signaling_browser_available_outgoing_bitrate_bits_per_second{room="standup",peer="bob"}')).toBe(2_400_000);
    expect(sample(text, 'signaling_browser_quality_limitation{room="standup",peer="bob",source="camera",reason="cpu"}')).toBe(1);
    for (const reason of ['none', 'bandwidth', 'other']) {
      expect(sample(text, `signaling_browser_quality_limitation{room="standup",peer="bob",source="camera",reason="${reason}"}`)).toBe(0);
    }

    metrics.browserQualityLimitation({ ...peer, source: 'camera' }, 'none');
    text = await exposition(metrics);
    expect(sample(text, 'signaling_browser_quality_limitation{room="standup",peer="bob",source="camera",reason="cpu"}')).toBe(0);
    expect(sample(text, 'signaling_browser_quality_limitation{room="standup",peer="bob",source="camera",reason="none"}')).toBe(1);

    metrics.browserTransportGone({ ...peer, direction: 'send' });
    metrics.browserTransportGone({ ...peer, direction: 'recv' });
    metrics.browserQualityLimitationGone({ ...peer, source: 'camera' });
    text = await exposition(metrics);
    expect(text).not.toMatch(/^signaling_browser_\w+\{/m);
  });

  test('browser reports by result: ok, invalid (malformed, or before join), rate_limited; server failures are no verdict', async () => {
    const metrics = new PrometheusSignalingMetrics({ defaultMetrics: false });
    metrics.requestAnswered('reportStats', 'ok', 0.001);
    metrics.requestAnswered('reportStats', 'invalid_message', 0);
    metrics.requestAnswered('reportStats', 'invalid_state', 0);
    metrics.requestAnswered('reportStats', 'rate_limited', 0);
    metrics.requestAnswered('reportStats', 'unavailable', 0);
    metrics.requestAnswered('join', 'invalid_message', 0);
    const text = await exposition(metrics);
    expect(sample(text, 'signaling_browser_reports_total{result="ok"}')).toBe(1);
    expect(sample(text, 'signaling_browser_reports_total{result="invalid"}')).toBe(2);
    expect(sample(text, 'signaling_browser_reports_total{result="rate_limited"}')).toBe(1);
    expect(sample(text, 'signaling_messages_total{direction="in",type="reportStats",result="unavailable"}')).toBe(1);
  });
});
