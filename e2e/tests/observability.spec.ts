/**
 * Every call can be watched from outside: a real Prometheus (Debian's) scrapes the lab's SFU and
 * signaling, with the repository's recording and alert rules, while three browsers hold a call.
 * Then every query of every panel of every generated dashboard must return data, the call must read
 * as clean (no loss, low RTT and jitter, high scores) with the browsers' and the SFU's view of each
 * stream agreeing, and a participant who leaves takes all of its series with it.
 */
import { panelQueries, ALL } from '@lab/dashboards';
import { SIGNALING_SUBPROTOCOL } from '@lab/proto/signaling';
import { expect, test, uniqueRoomId } from '../support/fixtures.ts';
import { expectEveryoneFlowing } from '../support/mediaFlow.ts';
import { Prometheus } from '../support/prometheus.ts';
import { refusedSfuCall, shortEventStream } from '../support/sfu.ts';
import { CALL_TAG } from '../support/verdict.ts';
import type { CallPage } from '../support/CallPage.ts';

/** A clean call on loopback, as the issue states it. */
const CLEAN = { maxLossRatio: 0.01, maxRttSeconds: 0.05, maxJitterSeconds: 0.03, minScore: 9 };
/**
 * The clean-call figures are each stream's median over this window, as a dashboard's line shows
 * them: one receiver report sent while three browsers share two cores can carry a 100 ms RTT, and a
 * single sample is not what "the call reads clean" means.
 */
const WINDOW = '20s';
const WINDOW_MS = 20_000;
/**
 * How long the call runs before it is judged: past its start (joins, first key frames, consumers
 * resumed one by one), and past the 1-minute rate window of the per-hop rule, whose `sfu` hop
 * counts the packets a consumer did not send while it was still paused as not forwarded.
 */
const SETTLED_AFTER_MS = 75_000;
/** The browser's inbound jitter and the jitter its RTCP reports give the SFU estimate one quantity. */
const JITTER_AGREEMENT_SECONDS = 0.01;
/**
 * They are compared as averages over a longer window than the clean-call figures: the page samples
 * its jitter every 5 s and the SFU reads its stats every 5 s too, at other instants, so a 20 s median
 * pits 4 samples of a quantity that swings by 10 ms between video frames on two loaded cores against
 * 4 others; over 60 s each side is the mean of 12 samples of the same stream.
 */
const AGREEMENT_WINDOW = '60s';
/** 3 peers × 2 others × (audio + video). */
const STREAMS = 12;
const DATA_TIMEOUT_MS = 60_000;

let prometheus: Prometheus | undefined;

test.afterAll(async () => {
  await prometheus?.stop();
});

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, message: string): Promise<T> {
  let last: T | undefined;
  await expect
    .poll(async () => done((last = await read())), { message, timeout: DATA_TIMEOUT_MS, intervals: [1000] })
    .toBe(true);
  return last!;
}

const num = (series: { value: [number, string] }) => Number(series.value[1]);

test(
  'three browsers in a call: every dashboard panel has data in a real Prometheus, the call reads clean in both views, a leaver takes its series along',
  { tag: CALL_TAG },
  async ({ participants, lab, verdict }) => {
    test.setTimeout(240_000);
    prometheus = await Prometheus.start([
      { job: 'sfu', url: lab.sfuMetricsUrl },
      { job: 'signaling', url: `${lab.httpUrl}/metrics` },
    ]);
    const room = uniqueRoomId('e2e-obs');
    verdict.room(room);
    const everyone = await Promise.all(['alice', 'bob', 'carol'].map((name) => participants.launch(name)));
    const [alice, bob, carol] = everyone as [CallPage, CallPage, CallPage];
    for (const p of everyone) await p.joinViaForm(room);
    const joinedAt = Date.now();
    await expectEveryoneFlowing(everyone, verdict);

    await test.step('Prometheus scrapes both services and has every stream, from both views, and the per-hop rule', async () => {
      await eventually(() => prometheus!.targetsUp(), Boolean, 'both scrape targets up');
      const counted = (expr: string) => eventually(() => prometheus!.query(expr), (r) => r.length === 1 && num(r[0]!) === STREAMS, `${STREAMS} streams in ${expr}`);
      await counted(`count(sfu_consumer_score{room="${room}"})`);
      await counted(`count(sfu_consumer_jitter_seconds{room="${room}"})`);
      await counted(`count(signaling_browser_jitter_seconds{room="${room}"})`);
      await counted(`count(lab:stream_loss:ratio{room="${room}",hop="downlink"})`);
      for (const rule of await prometheus!.ruleHealth()) {
        expect(rule.health, `rule ${rule.name}: ${rule.lastError ?? ''}`).not.toBe('err');
      }
    });

    await test.step('the rarer events the error panels show happen too: a malformed join, a refused SFU call, an event stream that ends', async () => {
      // Panels must show real data, not a fallback zero that would hide a renamed metric: so the
      // test makes each of them happen once, as a broken client or a restarting watcher would.
      const refusal = await alice.page.evaluate(
        (subprotocol) =>
          new Promise<string>((resolve, reject) => {
            const socket = new WebSocket(`${location.origin.replace('http', 'ws')}/ws`, subprotocol);
            socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'join', data: { roomId: 'not a room!', displayName: 'x' } }));
            socket.onmessage = (message) => {
              socket.close();
              resolve(String(message.data));
            };
            socket.onerror = () => reject(new Error('socket error'));
          }),
        SIGNALING_SUBPROTOCOL,
      );
      expect(JSON.parse(refusal)).toMatchObject({ id: 1, ok: false, error: { code: 'invalid_message' } });
      expect(await refusedSfuCall(lab.sfuAddress)).toBe('INVALID_ARGUMENT');
      await shortEventStream(lab.sfuAddress, 500);
    });

    await test.step('every query of every panel of every dashboard returns at least one series', async () => {
      // A rate() needs two samples in its window and the recording rules one evaluation: give the
      // scrapes of the last steps a few seconds to land.
      await alice.page.waitForTimeout(5_000);
      const queries = panelQueries({ room, peer: ALL });
      expect(queries.length, 'the dashboards have panels').toBeGreaterThan(20);
      const empty: string[] = [];
      for (const query of queries) {
        const result = await prometheus!.query(query.expr);
        if (result.length === 0) empty.push(`${query.dashboard} / ${query.panel} / ${query.refId}: ${query.expr}`);
      }
      expect(empty, 'panels whose query returned nothing').toEqual([]);
    });
    // The judged window must not hold the test's own work: Prometheus answering every panel's range
    // query (and the steps before it) shares the two cores with the browsers, whose RTCP then waits
    // its turn and reads as RTT and jitter.
    const quietFrom = Date.now();

    await test.step(`the call reads clean over the last ${WINDOW}: no loss, low RTT and jitter, high scores, browser and SFU agreeing`, async () => {
      await alice.page.waitForTimeout(Math.max(0, joinedAt + SETTLED_AFTER_MS - Date.now(), quietFrom + WINDOW_MS - Date.now()));
      // The worst series, named in the failure message when a bar is missed.
      const worst = async (expr: string, pick: (a: number, b: number) => boolean) => {
        const series = await prometheus!.query(expr);
        if (series.length === 0) throw new Error(`no series for ${expr}`);
        const found = series.reduce((best, s) => (pick(num(s), num(best)) ? s : best));
        worstOf.set(num(found), JSON.stringify(found.metric));
        return num(found);
      };
      const worstOf = new Map<number, string>();
      const max = (expr: string) => worst(expr, (a, b) => a > b);
      const min = (expr: string) => worst(expr, (a, b) => a < b);
      const inRoom = `{room="${room}"}`;
      const median = (metric: string) => `quantile_over_time(0.5, ${metric}${inRoom}[${WINDOW}])`;
      const average = (metric: string) => `avg_over_time(${metric}${inRoom}[${AGREEMENT_WINDOW}])`;
      const figures = {
        maxDownlinkLoss: await max(`max_over_time(sfu_consumer_fraction_lost_ratio${inRoom}[${WINDOW}])`),
        maxHopLoss: await max(`max_over_time(lab:stream_loss:ratio${inRoom}[${WINDOW}])`),
        maxRttSeconds: await max(median('sfu_consumer_round_trip_time_seconds')),
        maxJitterSeconds: await max(median('sfu_consumer_jitter_seconds')),
        maxBrowserJitterSeconds: await max(median('signaling_browser_jitter_seconds')),
        minConsumerScore: await min(median('sfu_consumer_score')),
        minProducerScore: await min(median('sfu_producer_score')),
        browserPacketsLost: await max(`signaling_browser_packets_lost${inRoom}`),
        // The same stream seen by both: the browser's own jitter vs what its receiver reports told the SFU.
        maxJitterDisagreement: await max(
          `abs(${average('signaling_browser_jitter_seconds')} - on(room, subscriber, publisher, kind, source) ${average('sfu_consumer_jitter_seconds')})`,
        ),
      };
      for (const [label, value] of Object.entries(figures)) {
        verdict.figure(`clean call, ${label}`, value, /Seconds|Disagreement/.test(label) ? 's' : /Loss/.test(label) ? 'ratio' : '');
      }
      const on = (value: number) => `(worst: ${worstOf.get(value)})`;
      expect(figures.maxDownlinkLoss, `downlink loss ${on(figures.maxDownlinkLoss)}`).toBeLessThanOrEqual(CLEAN.maxLossRatio);
      expect(figures.maxHopLoss, `loss on any hop ${on(figures.maxHopLoss)}`).toBeLessThanOrEqual(CLEAN.maxLossRatio);
      expect(figures.maxRttSeconds, `RTT ${on(figures.maxRttSeconds)}`).toBeLessThan(CLEAN.maxRttSeconds);
      expect(figures.maxJitterSeconds, `jitter the subscribers report ${on(figures.maxJitterSeconds)}`).toBeLessThan(CLEAN.maxJitterSeconds);
      expect(figures.maxBrowserJitterSeconds, `jitter the browsers measure ${on(figures.maxBrowserJitterSeconds)}`).toBeLessThan(CLEAN.maxJitterSeconds);
      expect(figures.minConsumerScore, `consumer scores ${on(figures.minConsumerScore)}`).toBeGreaterThanOrEqual(CLEAN.minScore);
      expect(figures.minProducerScore, `producer scores ${on(figures.minProducerScore)}`).toBeGreaterThanOrEqual(CLEAN.minScore);
      expect(figures.browserPacketsLost, `packets the browsers lost ${on(figures.browserPacketsLost)}`).toBe(0);
      expect(figures.maxJitterDisagreement, `browser vs SFU jitter of the same stream ${on(figures.maxJitterDisagreement)}`).toBeLessThanOrEqual(
        JITTER_AGREEMENT_SECONDS,
      );
    });

    await test.step("carol leaves: none of her series is left in either service's /metrics", async () => {
      await carol.leaveButton.click();
      await expect(alice.tileOf(carol)).toHaveCount(0);
      const mentionsCarol = async () => {
        const [sfu, signaling] = await Promise.all([
          fetch(lab.sfuMetricsUrl).then((r) => r.text()),
          fetch(`${lab.httpUrl}/metrics`).then((r) => r.text()),
        ]);
        return [...sfu.split('\n'), ...signaling.split('\n')].filter((line) => line.includes(`room="${room}"`) && line.includes('"carol"'));
      };
      await expect.poll(mentionsCarol, { message: "carol's series are gone", timeout: 10_000 }).toEqual([]);
      // alice and bob still have theirs.
      expect((await fetch(lab.sfuMetricsUrl).then((r) => r.text())).includes(`subscriber="bob",publisher="alice"`)).toBe(true);
      await bob.leaveButton.click();
      await alice.leaveButton.click();
    });
  },
);
