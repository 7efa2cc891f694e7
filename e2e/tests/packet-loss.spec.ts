/**
 * Video survives real packet loss on one participant's link. alice's browser runs in a network
 * namespace whose link drops packets (nftables, support/impairment); bob's runs on this machine.
 * Through the SFU, whoever receives the impaired direction must decode nearly every frame its sender
 * sent, with little time frozen, at 5% and 10% loss on alice's uplink and on her downlink; the same
 * two browsers calling each other directly under the same loss are the baseline, recorded next to
 * it in the verdict. And a gap nothing can repair must cost the receiver a short freeze, not the
 * 3 s a libwebrtc receiver waits before asking for a key frame itself.
 */
import { expect, test, uniqueRoomId, type Participants } from '../support/fixtures.ts';
import { CALL_TAG } from '../support/verdict.ts';
import { DirectCall } from '../support/DirectCall.ts';
import { NetworkNamespace } from '../support/impairment/NetworkNamespace.ts';
import { PacketLoss } from '../support/impairment/PacketLoss.ts';
import {
  directVideoEnds,
  joinPairAndWaitForVideo,
  measureUnderLoss,
  measureUnrepairableGap,
  randomLoss,
  sfuVideoEnds,
} from '../support/impairment/underLoss.ts';
import { Prometheus } from '../support/prometheus.ts';
import { startLab, type RunningLab } from '../support/startLab.ts';
import type { VideoEnds } from '../support/videoWindow.ts';

/** The bars: per 20 s of impaired video, ≥ 97% of the frames sent are decoded, ≤ 1 s frozen. */
const WINDOW_MS = 20_000;
/**
 * Through the SFU each condition is measured over two such periods and the freezes are taken per
 * 20 s: a freeze lasts ~0.2 s and comes a few times per 20 s at 10% loss, so one period's total
 * swung between 0.2 and 1.06 s from run to run (the direct call's between 0 and 0.3 s); the rate
 * over 40 s is the figure the bar is about.
 */
const SFU_WINDOW_MS = 2 * WINDOW_MS;
const MIN_DECODED_RATIO = 0.97;
const MAX_FROZEN_SECONDS = 1;
const CONDITIONS = [randomLoss('uplink', 5), randomLoss('uplink', 10), randomLoss('downlink', 5), randomLoss('downlink', 10)];
/** The injected loss must really be what the condition says (nftables counts each packet). */
const INJECTED_TOLERANCE_POINTS = 2;

/**
 * The unrepairable gap: a libwebrtc receiver left alone asks for a key frame after 3 s without a
 * decodable frame. The SFU gives up on the packet after its 10 NACKs (40 ms apart on this link) and
 * asks at once, so the freeze is that plus a key frame's trip: about half a second.
 */
const GAP_WINDOW_MS = 6_000;
const MAX_GAP_FREEZE_SECONDS = 1;
/**
 * The gap comes in a call that has been running for a while: the SFU paces its NACKs by the RTT it
 * learns from the publisher's RTCP (XR) in the first seconds, and uses 100 ms until then.
 */
const CALL_RUNNING_MS = 5_000;

/**
 * The exported loss must be the injected loss, on the hop where it was injected: within ±2
 * percentage points over a window, and near zero on the other hops. The window starts once receiver
 * reports written under the loss have replaced the ones from before it. 30 s: audio's receiver
 * reports come every ~5 s, and ~1,500 Opus packets keep a stream's own sampling noise (each stream
 * loses its own random share of packets) near 0.8 points.
 */
const ACCURACY_LOSS_PERCENT = 10;
const ACCURACY_TOLERANCE_POINTS = 2;
const ACCURACY_SETTLE_MS = 8_000;
const ACCURACY_WINDOW = '30s';
const ACCURACY_WINDOW_MS = 30_000;

let namespace: NetworkNamespace;
let loss: PacketLoss;
let lab: RunningLab;
let prometheus: Prometheus;

test.beforeAll(async () => {
  namespace = await NetworkNamespace.create();
  loss = await PacketLoss.on(namespace);
  // Media from alice's namespace reaches the SFU at the host end of her link; stats every second so
  // a window holds a reading of every stream per second.
  lab = await startLab({ env: { SFU_RTC_LISTEN_IP: namespace.hostAddress, SFU_STATS_INTERVAL_SECONDS: '1' } });
  prometheus = await Prometheus.start([
    { job: 'sfu', url: lab.sfuMetricsUrl },
    { job: 'signaling', url: `${lab.httpUrl}/metrics` },
  ]);
});

test.afterAll(async () => {
  await prometheus?.stop();
  await lab?.stop();
  await namespace?.close();
});

/** alice in the namespace, bob on this machine, both on this file's lab. */
async function launchPair(participants: Participants) {
  const alice = await participants.launch('alice', { namespace, baseUrl: namespace.originOnLink(lab.httpUrl) });
  const bob = await participants.launch('bob', { baseUrl: lab.httpUrl });
  return { alice, bob };
}

test(
  'video through the SFU survives 5% and 10% loss on a participant\'s uplink or downlink: ≥ 97% of frames decoded, ≤ 1 s frozen per 20 s (a direct call is the baseline)',
  { tag: CALL_TAG },
  async ({ participants, verdict }) => {
    test.setTimeout(CONDITIONS.length * (SFU_WINDOW_MS + WINDOW_MS + 20_000) + 120_000);
    const room = uniqueRoomId('e2e-loss');
    verdict.room(room);
    const { alice, bob } = await launchPair(participants);
    const sfu: Record<string, { ratio: number; frozen: number; injected: number }> = {};

    await test.step('through the SFU', async () => {
      const { impairedId: aliceId, otherId: bobId } = await joinPairAndWaitForVideo(room, alice, bob);
      const ends: Record<'uplink' | 'downlink', VideoEnds> = {
        uplink: sfuVideoEnds(alice, bob, aliceId),
        downlink: sfuVideoEnds(bob, alice, bobId),
      };
      for (const condition of CONDITIONS) {
        const figures = await measureUnderLoss(loss, condition, ends[condition.direction], SFU_WINDOW_MS);
        verdict.window(`SFU, ${condition.label}: ${condition.direction === 'uplink' ? 'bob ← alice' : 'alice ← bob'}`, figures);
        sfu[condition.label] = {
          ratio: figures.decodedRatio,
          frozen: (figures.freezeSeconds * WINDOW_MS) / 1000 / figures.seconds,
          injected: figures.injectedLossPercent ?? 0,
        };
      }
      await alice.leaveButton.click();
      await bob.leaveButton.click();
    });

    await test.step('baseline: the same two browsers calling each other directly', async () => {
      const call = await DirectCall.connect(
        { page: alice.page, origin: alice.baseUrl },
        { page: bob.page, origin: bob.baseUrl },
      );
      const ends = { uplink: directVideoEnds(call, alice, bob), downlink: directVideoEnds(call, bob, alice) };
      for (const condition of CONDITIONS) {
        const figures = await measureUnderLoss(loss, condition, ends[condition.direction], WINDOW_MS);
        verdict.window(`direct, ${condition.label}: ${condition.direction === 'uplink' ? 'bob ← alice' : 'alice ← bob'}`, figures);
      }
      await call.close();
    });

    for (const condition of CONDITIONS) {
      const figures = sfu[condition.label]!;
      const nominal = condition.nominalLossPercent!;
      expect.soft(figures.injected, `${condition.label}: loss really injected`).toBeGreaterThan(nominal - INJECTED_TOLERANCE_POINTS);
      expect.soft(figures.injected, `${condition.label}: loss really injected`).toBeLessThan(nominal + INJECTED_TOLERANCE_POINTS);
      expect.soft(figures.ratio, `${condition.label} via the SFU: share of the frames sent that were decoded`).toBeGreaterThanOrEqual(MIN_DECODED_RATIO);
      expect.soft(figures.frozen, `${condition.label} via the SFU: seconds frozen per ${WINDOW_MS / 1000} s`).toBeLessThanOrEqual(MAX_FROZEN_SECONDS);
    }
  },
);

test(
  'an unrepairable gap in a participant\'s video freezes the others for well under the 3 s a receiver waits on its own: the SFU asks for a key frame',
  { tag: CALL_TAG },
  async ({ participants, verdict }) => {
    const room = uniqueRoomId('e2e-gap');
    verdict.room(room);
    const { alice, bob } = await launchPair(participants);
    const { impairedId: aliceId } = await joinPairAndWaitForVideo(room, alice, bob);
    await alice.page.waitForTimeout(CALL_RUNNING_MS);
    const figures = await measureUnrepairableGap(loss, sfuVideoEnds(alice, bob, aliceId), GAP_WINDOW_MS);
    verdict.window('SFU, one video packet lost and every resend of it: bob ← alice', figures);

    // The gap really happened and could not be repaired: the packet and every resend of it were
    // dropped, and the SFU gave up on it (a key frame was requested from alice)…
    expect(figures.droppedPackets, 'the video packet was dropped').toBeGreaterThanOrEqual(1);
    expect(figures.retransmittedPackets, 'alice was asked for it and resent it, in vain').toBeGreaterThanOrEqual(1);
    expect(figures.keyFrameRequests, 'alice was asked for a key frame').toBeGreaterThanOrEqual(1);
    // …and bob's picture stopped for well under libwebrtc's own 3 s wait. When the key frame lands
    // within Chromium's freeze threshold (about three frame intervals), no freeze is counted at all:
    // that is the best outcome, not a missed gap (the drop and the request above prove the gap).
    expect(figures.freezeCount, 'bob sees the gap as at most one freeze').toBeLessThanOrEqual(1);
    expect(figures.freezeSeconds, `seconds bob stayed frozen in ${GAP_WINDOW_MS / 1000} s`).toBeLessThanOrEqual(MAX_GAP_FREEZE_SECONDS);
  },
);

test(
  'the exported loss is what was injected, on the hop where it was: 10% on a participant\'s uplink, then downlink, reads 10% ± 2 points there and near 0 on the other hops',
  { tag: CALL_TAG },
  async ({ participants, verdict }) => {
    test.setTimeout(300_000);
    const room = uniqueRoomId('e2e-hops');
    verdict.room(room);
    const { alice, bob } = await launchPair(participants);
    await joinPairAndWaitForVideo(room, alice, bob);
    const hop = (labels: string) =>
      prometheus.query(`avg_over_time(lab:stream_loss:ratio{room="${room}",${labels}}[${ACCURACY_WINDOW}])`);
    // The loss starts on a clean call: all three hops of all four streams (two directions × audio,
    // video) exported and near 0. The `sfu` hop rates packets over a minute, and for the call's
    // first minute that includes the time each consumer was still paused (nothing forwarded while
    // the producer was already received); its series only appears once a rate can be computed.
    const HOP_SERIES = 12;
    await expect
      .poll(
        async () => {
          const series = await prometheus.query(`lab:stream_loss:ratio{room="${room}"}`);
          return series.length === HOP_SERIES && series.every((s) => Number(s.value[1]) < 0.005);
        },
        { message: `all ${HOP_SERIES} per-hop series exported and clean before any loss`, timeout: 120_000, intervals: [2_000] },
      )
      .toBe(true);
    const percent = (series: { value: [number, string] }) => Number(series.value[1]) * 100;

    for (const direction of ['uplink', 'downlink'] as const) {
      await test.step(`${ACCURACY_LOSS_PERCENT}% on alice's ${direction}`, async () => {
        await loss.set(direction, [{ loss: { kind: 'random', percent: ACCURACY_LOSS_PERCENT } }]);
        await alice.page.waitForTimeout(ACCURACY_SETTLE_MS + ACCURACY_WINDOW_MS);
        const injected = (await loss.counters(direction)).lossPercent;
        // uplink: the streams alice publishes, as bob receives them; downlink: the streams bob
        // publishes, as alice receives them.
        const stream = direction === 'uplink' ? 'publisher="alice",subscriber="bob"' : 'publisher="bob",subscriber="alice"';
        const impaired = await hop(`${stream},hop="${direction}"`);
        const others = await hop(`${stream},hop!="${direction}"`);
        await loss.clear(direction);
        await alice.page.waitForTimeout(ACCURACY_SETTLE_MS);

        expect(impaired.map((s) => s.metric.kind).sort(), `both of the stream's kinds on the ${direction} hop`).toEqual(['audio', 'video']);
        for (const series of impaired) {
          verdict.figure(`${direction} hop, ${series.metric.kind}: exported loss (${injected.toFixed(1)}% injected)`, percent(series), '%');
          expect(percent(series), `${series.metric.kind} loss on the ${direction} hop vs ${injected.toFixed(1)}% injected`).toBeGreaterThanOrEqual(
            injected - ACCURACY_TOLERANCE_POINTS,
          );
          expect(percent(series), `${series.metric.kind} loss on the ${direction} hop vs ${injected.toFixed(1)}% injected`).toBeLessThanOrEqual(
            injected + ACCURACY_TOLERANCE_POINTS,
          );
        }
        expect(others.length, 'the other hops are exported too').toBe(4);
        for (const series of others) {
          verdict.figure(`${direction} loss, ${series.metric.hop} hop, ${series.metric.kind}: exported loss`, percent(series), '%');
          expect(percent(series), `${series.metric.kind} loss on the ${series.metric.hop} hop while only the ${direction} is lossy`).toBeLessThan(
            ACCURACY_TOLERANCE_POINTS,
          );
        }
      });
    }
  },
);

/**
 * The connection indicator names the line that is bad: 15% on alice's downlink makes her tile of bob
 * "poor" (she receives the loss) while bob's tile of alice stays "good"; 15% on her uplink lowers
 * bob's tile of alice to "fair" at least (the SFU repairs most of an uplink's loss before bob gets
 * the stream, so bob's own figures stay clean; alice's lossy uplink shows through mediasoup's score
 * of her producer) while hers of bob stays "good"; each comes back to "good" once the loss stops.
 * 15%: past the 10% "poor" bar by more than a 2 s reading's sampling noise.
 */
const INDICATOR_LOSS_PERCENT = 15;
/**
 * The indicator reads every 2 s; the receiver's own loss shows in its next readings (~2 s seen), but
 * mediasoup's producer score, the only trace of a repaired uplink, moves over many seconds.
 */
const INDICATOR_TIMEOUT_MS = 30_000;

test(
  'the connection indicator degrades on the side whose line loses packets, stays good on the other, and recovers when the loss stops',
  { tag: CALL_TAG },
  async ({ participants, verdict }) => {
    test.setTimeout(240_000);
    const room = uniqueRoomId('e2e-indicator');
    verdict.room(room);
    const { alice, bob } = await launchPair(participants);
    await joinPairAndWaitForVideo(room, alice, bob);
    const level = (viewer: typeof alice, of: typeof alice) => viewer.tileOf(of).getByTestId('connection-quality');
    await expect(level(alice, bob), 'alice → bob on a clean line').toHaveAttribute('data-level', 'good', { timeout: INDICATOR_TIMEOUT_MS });
    await expect(level(bob, alice), 'bob → alice on a clean line').toHaveAttribute('data-level', 'good', { timeout: INDICATOR_TIMEOUT_MS });

    for (const direction of ['downlink', 'uplink'] as const) {
      // downlink: alice receives bob's streams through the loss; uplink: bob receives alice's.
      const [impairedViewer, impairedOf, cleanViewer, cleanOf] = direction === 'downlink' ? [alice, bob, bob, alice] : [bob, alice, alice, bob];
      const degraded = direction === 'downlink' ? /^poor$/ : /^(fair|poor)$/;
      await test.step(`${INDICATOR_LOSS_PERCENT}% on alice's ${direction}`, async () => {
        await loss.set(direction, [{ loss: { kind: 'random', percent: INDICATOR_LOSS_PERCENT } }]);
        const started = Date.now();
        await expect(level(impairedViewer, impairedOf), `${impairedViewer.name}'s tile of ${impairedOf.name} under ${direction} loss`).toHaveAttribute(
          'data-level',
          degraded,
          { timeout: INDICATOR_TIMEOUT_MS },
        );
        const shown = await level(impairedViewer, impairedOf).getAttribute('data-level');
        verdict.figure(`${direction} loss: ${impairedViewer.name}'s indicator of ${impairedOf.name} shows ${shown} after`, (Date.now() - started) / 1000, 's');
        await expect(level(cleanViewer, cleanOf), `${cleanViewer.name}'s tile of ${cleanOf.name}: that line is clean`).toHaveAttribute('data-level', 'good');
        verdict.figure(`${direction} loss really injected`, (await loss.counters(direction)).lossPercent, '%');

        await loss.clear(direction);
        const cleared = Date.now();
        await expect(level(impairedViewer, impairedOf), `${impairedViewer.name}'s tile of ${impairedOf.name} once the loss stopped`).toHaveAttribute(
          'data-level',
          'good',
          { timeout: INDICATOR_TIMEOUT_MS },
        );
        verdict.figure(`${direction} loss stopped: indicator good again after`, (Date.now() - cleared) / 1000, 's');
      });
    }
  },
);
