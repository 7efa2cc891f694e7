/**
 * Plays a scenario (schema.ts) against a running lab: one Chromium per participant playing its
 * slot's generated camera and voice (media/fakeMedia.ts), with the media probe installed
 * (media/mediaProbe.ts); impaired participants run in network namespaces whose links drop packets
 * when the scenario says. Steps and impairment changes happen at their second on the timeline (a
 * step that takes time delays the next ones, never reorders them); a measure step does not block:
 * its window runs while the timeline goes on. Each window is judged stream by stream
 * (judge.ts) from three sources: the receivers' probes (frames, freezes, delay, PSNR, voice), the
 * browsers' stats (end-to-end audio loss for the MOS) and the SFU's metrics in Prometheus (loss,
 * jitter and round trip per hop).
 */
import { expect, type Locator } from '@playwright/test';
import type { CallPage } from '../CallPage.ts';
import type { Participants } from '../fixtures.ts';
import type { NetworkNamespace } from '../impairment/NetworkNamespace.ts';
import type { PacketLoss } from '../impairment/PacketLoss.ts';
import { PacketDelay } from '../impairment/PacketDelay.ts';
import { BandwidthCap } from '../impairment/BandwidthCap.ts';
import type { Prometheus, PromSeries } from '../prometheus.ts';
import type { RunningLab } from '../startLab.ts';
import { analyzeAudio, analyzeVideo, codeOf } from '../media/mediaAnalysis.ts';
import { fakeMediaFor, type SlotMedia } from '../media/fakeMedia.ts';
import { installMediaProbe, probeSnapshot, type ProbeSnapshot } from '../media/mediaProbe.ts';
import type { PeerReceiveStats } from '@lab/proto/lab-surface';
import os from 'node:os';
import { estimatedMos } from './mos.ts';
import { getRoom } from '../sfu.ts';
import { HOPS, judge, type HopFigures, type Kind, type ScenarioVerdict, type StreamFigures } from './judge.ts';
import { describeImpairment, type Impairment, type Scenario, type Step } from './schema.ts';

/** The SFU reports stats every second and Prometheus scrapes every second: a window's last samples land this long after it. */
const METRICS_LAG_MS = 3_000;

const EMPTY_SNAPSHOT: ProbeSnapshot = { video: {}, audio: {}, audioContextState: null };
/** How long a fault step waits for every stream to come back before calling it lost. */
const FAULT_RECOVERY_TIMEOUT_MS = 30_000;
/** A pause in a video longer than this after a fault is the fault's interruption (20 fps: 50 ms a frame). */
const FAULT_GAP_MS = 300;
/** Video that ran on this long after a fault without such a pause was not interrupted. */
const FAULT_NO_GAP_MS = 8_000;
/** Probe records from this long before a window too: the sender's preview showed its first frames' source then. */
const SENDER_LEAD_MS = 5_000;

export interface ImpairedLink {
  namespace: NetworkNamespace;
  loss: PacketLoss;
}

export interface ScenarioEnvironment {
  lab: RunningLab;
  prometheus: Prometheus;
  participants: Participants;
  /** The n-th impaired link of this run (0 first), created on first use and kept by the caller. */
  link(n: number): Promise<ImpairedLink>;
  mediaDir: string;
  room: string;
  /** Progress lines (the timeline as it happens). */
  log(line: string): void;
  /** Called with the call's pages before they close when the run failed or its verdict is a fail. */
  diagnose?(pages: CallPage[]): Promise<void>;
}

/** What an impairment really did while it was on (counted where it was applied). */
export interface Injected {
  who: string;
  direction: Impairment['direction'];
  /** Loss: dropped ÷ seen UDP packets, percent (nftables' counters). */
  lossPercent?: number;
  dropped?: number;
  /** Delay: the mean time the helper held each packet, and how many it held. */
  meanDelayMs?: number;
  delayedPackets?: number;
  rateKbps?: number;
}

/** A figure the SFU exported against what was injected (scenario `fidelity`). */
export interface FidelityCheck {
  label: string;
  injected: number;
  measured: number;
  tolerance: number;
  ok: boolean;
}

/** The machine's CPU over one window: the browsers, the lab and the runner share it. */
export interface HostLoad {
  window: string;
  /** Share of all cores' time spent busy (not idle) over the window, 0..1. */
  busyShare: number;
  cores: number;
}

/** One stream's interruption by a fault step: from the fault to the receiver showing the sender's video again. */
export interface Interruption {
  fault: string;
  receiver: string;
  sender: string;
  /** Null: no frame came back within FAULT_RECOVERY_TIMEOUT_MS. */
  seconds: number | null;
}

export interface ScenarioResult {
  verdict: ScenarioVerdict;
  interruptions: Interruption[];
  /** Wall-clock ms of the timeline's start and of the run's end, and when each impairment was on (s since the start). */
  startedAt: number;
  endedAt: number;
  impairmentSpans: { from: number; to: number; label: string }[];
  /** Figures measured on a saturated machine measure the load generator too: read them with this. */
  hostLoad: HostLoad[];
  streams: StreamFigures[];
  timeToFirstFrameMs: Record<string, number | null>;
  injected: Injected[];
  fidelity: FidelityCheck[];
}

/** What each participant is doing, over time (wall-clock ms): for deciding which streams a window judges. */
interface Presence {
  changes: { at: number; joined: boolean; micOn: boolean; cameraOn: boolean }[];
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

type TimedEvent = { at: number } & ({ type: 'step'; step: Step } | { type: 'impairment'; impairment: Impairment; on: boolean });

interface Impairers {
  links: Map<string, ImpairedLink>;
  delays: Map<string, PacketDelay>;
  caps: Map<string, BandwidthCap>;
}

export async function runScenario(scenario: Scenario, env: ScenarioEnvironment): Promise<ScenarioResult> {
  const impairedNames = [...new Set(scenario.impairments.map((impairment) => impairment.who))];
  const impairers: Impairers = { links: new Map(), delays: new Map(), caps: new Map() };
  try {
    for (const [n, name] of impairedNames.entries()) impairers.links.set(name, await env.link(n));
    // Delay and caps only for this run: the delay helper queues every UDP packet of the link through
    // user space, which a link that is not delayed should not pay for.
    for (const impairment of scenario.impairments) {
      const link = impairers.links.get(impairment.who)!;
      if (impairment.delay && !impairers.delays.has(impairment.who)) impairers.delays.set(impairment.who, await PacketDelay.on(link.namespace));
      if (impairment.rateKbps !== undefined && !impairers.caps.has(impairment.who)) impairers.caps.set(impairment.who, new BandwidthCap(link.namespace));
    }
    return await play(scenario, env, impairers);
  } finally {
    // The links stay for the next scenario: nothing of this one may stay on them.
    for (const link of impairers.links.values()) await link.loss.clear();
    for (const delay of impairers.delays.values()) await delay.close();
    for (const cap of impairers.caps.values()) await cap.clear();
  }
}

async function play(scenario: Scenario, env: ScenarioEnvironment, { links, delays, caps }: Impairers): Promise<ScenarioResult> {
  const media = new Map<string, SlotMedia>(scenario.participants.map((p) => [p.name, fakeMediaFor(env.mediaDir, p.slot)]));
  const pages = new Map<string, CallPage>();
  await Promise.all(
    scenario.participants.map(async ({ name }) => {
      const link = links.get(name);
      const files = media.get(name)!;
      const page = await env.participants.launch(name, {
        fakeMedia: { video: files.video, audio: files.audio },
        ...(link ? { namespace: link.namespace, baseUrl: link.namespace.originOnLink(env.lab.httpUrl) } : { baseUrl: env.lab.httpUrl }),
      });
      await installMediaProbe(page.page);
      pages.set(name, page);
    }),
  );
  const page = (name: string) => pages.get(name)!;

  const presence = new Map<string, Presence>(scenario.participants.map((p) => [p.name, { changes: [{ at: 0, joined: false, micOn: false, cameraOn: false }] }]));
  const change = (name: string, update: Partial<{ joined: boolean; micOn: boolean; cameraOn: boolean }>) => {
    const changes = presence.get(name)!.changes;
    changes.push({ ...changes.at(-1)!, ...update, at: Date.now() });
  };
  /** Whether `test` held for `name` from `from` to `to` (wall-clock ms). */
  const heldThroughout = (name: string, from: number, to: number, test: (state: Presence['changes'][number]) => boolean) => {
    const changes = presence.get(name)!.changes;
    const atStart = [...changes].reverse().find((c) => c.at <= from);
    return !!atStart && test(atStart) && changes.filter((c) => c.at > from && c.at <= to).every(test);
  };

  const events: TimedEvent[] = [
    ...scenario.timeline.map((step) => ({ at: step.at, type: 'step' as const, step })),
    ...scenario.impairments.flatMap((impairment) => [
      { at: impairment.from, type: 'impairment' as const, impairment, on: true },
      { at: impairment.to, type: 'impairment' as const, impairment, on: false },
    ]),
  ].sort((a, b) => a.at - b.at || (a.type === 'impairment' ? -1 : 1));

  const firstFrame: Record<string, number | null> = {};
  const firstFrameWaits: Promise<void>[] = [];
  const injected: Injected[] = [];
  const windows: Promise<StreamFigures[]>[] = [];
  const windowTimes: { label: string; from: number; to: number }[] = [];
  const hostLoad: HostLoad[] = [];
  const interruptions: Interruption[] = [];
  const impairmentTimes = new Map<Impairment, { on: number; off?: number }>();
  const start = Date.now();
  const elapsed = () => ((Date.now() - start) / 1000).toFixed(1);

  const act = async (step: Step): Promise<void> => {
    if (step.do === 'measure') {
      windows.push(measureWindow(step.label ?? `window at ${step.at} s`, step.seconds));
      return;
    }
    if (step.do === 'killWorker') {
      const { workerPid } = await getRoom(env.lab.sfuAddress, env.room);
      if (!workerPid) throw new Error(`no worker hosts room ${env.room}`);
      const killedAt = Date.now();
      process.kill(workerPid, 'SIGKILL');
      interruptions.push(...(await untilVideoBack(`worker ${workerPid} killed at ${elapsed()} s`, killedAt)));
      return;
    }
    const p = page(step.who);
    const toggle = async (button: Locator, pressed: boolean) => {
      if ((await button.getAttribute('aria-pressed')) !== String(pressed)) await button.click();
      await expect(button).toHaveAttribute('aria-pressed', String(pressed));
    };
    switch (step.do) {
      case 'join': {
        const { joinMuted } = scenario.participants.find((participant) => participant.name === step.who)!;
        await p.openForm();
        await toggle(p.micButton, joinMuted.mic);
        await toggle(p.cameraButton, joinMuted.camera);
        await p.submitJoinForm(env.room);
        await p.expectJoined();
        change(step.who, { joined: true, micOn: !joinMuted.mic, cameraOn: !joinMuted.camera });
        if (!(step.who in firstFrame)) firstFrameWaits.push(recordFirstFrame(step.who));
        return;
      }
      case 'leave':
        await p.leaveButton.click();
        change(step.who, { joined: false });
        await p.page.waitForFunction(() => window.__lab?.state === 'left');
        return;
      case 'rejoin':
        change(step.who, { joined: false });
        await p.leaveButton.click();
        await p.page.waitForFunction(() => window.__lab?.state === 'left');
        await p.joinViaForm(env.room);
        change(step.who, { joined: true, micOn: true, cameraOn: true });
        return;
      case 'reload':
        change(step.who, { joined: false });
        await p.page.reload();
        await p.expectJoined();
        change(step.who, { joined: true });
        return;
      case 'mute':
        change(step.who, { micOn: false });
        return toggle(p.micButton, true);
      case 'unmute':
        await toggle(p.micButton, false);
        change(step.who, { micOn: true });
        return;
      case 'cameraOff':
        change(step.who, { cameraOn: false });
        return toggle(p.cameraButton, true);
      case 'cameraOn':
        await toggle(p.cameraButton, false);
        change(step.who, { cameraOn: true });
        return;
      case 'shareScreen':
        return toggle(p.screenShareButton, true);
      case 'stopScreen':
        return toggle(p.screenShareButton, false);
    }
  };

  /**
   * After a fault at `since`: for every present receiver and every sender whose camera is on, the
   * time until the receiver's video of the sender is back — the first frame after a gap of more than
   * FAULT_GAP_MS (frames already in the receiver's jitter buffer keep playing for a moment after the
   * fault) — or 0 when its video ran on without such a gap for FAULT_NO_GAP_MS. Null: not back
   * within FAULT_RECOVERY_TIMEOUT_MS.
   */
  const untilVideoBack = async (fault: string, since: number): Promise<Interruption[]> => {
    const present = [...pages.keys()].filter((name) => heldThroughout(name, since, since, (s) => s.joined));
    const pairs = present.flatMap((receiver) =>
      present.filter((sender) => sender !== receiver && heldThroughout(sender, since, since, (s) => s.cameraOn)).map((sender) => ({ receiver, sender })),
    );
    const back = new Map<string, number>();
    const deadline = since + FAULT_RECOVERY_TIMEOUT_MS;
    while (back.size < pairs.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const receiver of present) {
        const snapshot = await probeSnapshot(page(receiver).page, since - 1000).catch(() => EMPTY_SNAPSHOT);
        for (const { sender } of pairs.filter((pair) => pair.receiver === receiver && !back.has(`${pair.receiver}|${pair.sender}`))) {
          const slot = media.get(sender)!.slot;
          const frames = (snapshot.video[sender]?.frames ?? []).filter((frame) => codeOf(frame)?.slot === slot);
          let previous = [...frames].reverse().find((frame) => frame.at <= since) ?? { at: since, presented: -1 };
          for (const frame of frames.filter((f) => f.at > since)) {
            // A gap only where the video presented nothing in between (a busy page skips reads).
            const gap = (frame.at - previous.at) / Math.max(1, previous.presented < 0 ? 1 : frame.presented - previous.presented);
            if (gap > FAULT_GAP_MS) {
              back.set(`${receiver}|${sender}`, frame.at);
              break;
            }
            previous = frame;
          }
          if (!back.has(`${receiver}|${sender}`) && previous.at > since + FAULT_NO_GAP_MS) back.set(`${receiver}|${sender}`, since);
        }
      }
    }
    return pairs.map(({ receiver, sender }) => {
      const at = back.get(`${receiver}|${sender}`);
      return { fault, receiver, sender, seconds: at === undefined ? null : (at - since) / 1000 };
    });
  };

  const recordFirstFrame = async (name: string) => {
    firstFrame[name] = null;
    try {
      await page(name).page.waitForFunction(() => window.__lab?.timings.firstRemoteFrameAt != null, undefined, { timeout: 30_000 });
      firstFrame[name] = await page(name).timeToFirstFrameMs();
    } catch {
      // Nobody sent video to it (alone in the room) or it never came: stays null.
    }
  };

  const measureWindow = async (label: string, seconds: number): Promise<StreamFigures[]> => {
    const from = Date.now();
    const cpuBefore = cpuTimes();
    windowTimes.push({ label, from, to: from + seconds * 1000 });
    const present = [...pages.keys()].filter((name) => heldThroughout(name, from, from, (s) => s.joined));
    // A page that is already leaving or reloading (a step right at the window's edge) has no figures:
    // its streams were not present throughout and are not judged anyway.
    const statsAt = async () =>
      new Map(await Promise.all(present.map(async (name) => [name, await page(name).stats().catch(() => [])] as const)));
    const sentAt = async () =>
      new Map(await Promise.all(present.map(async (name) => [name, (await page(name).sendStats().catch(() => null))?.video ?? null] as const)));
    // Everyone is in the call now; by the end someone may be leaving.
    const ids = new Map(await Promise.all(present.map(async (name) => [name, await page(name).peerId()] as const)));
    const [before, sentBefore] = await Promise.all([statsAt(), sentAt()]);
    await sleepUntil(from + seconds * 1000);
    const to = Date.now();
    const cpuAfter = cpuTimes();
    hostLoad.push({ window: label, busyShare: 1 - (cpuAfter.idle - cpuBefore.idle) / Math.max(1, cpuAfter.total - cpuBefore.total), cores: os.cpus().length });
    // The pages' own records at once: a step right after the window (a leave, a reload) starts a new
    // document, and the probe's records go with the old one.
    const [after, sentAfter, snapshots] = await Promise.all([
      statsAt(),
      sentAt(),
      Promise.all(
        present.map(async (name) => [name, await probeSnapshot(page(name).page, from - SENDER_LEAD_MS).catch(() => EMPTY_SNAPSHOT)] as const),
      ).then(
        (entries) => new Map<string, ProbeSnapshot>(entries),
      ),
    ]);
    env.log(`[${elapsed()} s] window "${label}" (${seconds} s) ended; collecting`);
    await sleepUntil(to + METRICS_LAG_MS);
    const metrics = await hopMetrics(env.prometheus, env.room, seconds, to);

    const streams: StreamFigures[] = [];
    for (const receiver of present) {
      for (const sender of present) {
        if (sender === receiver || !heldThroughout(sender, from, to, (s) => s.joined) || !heldThroughout(receiver, from, to, (s) => s.joined)) continue;
        const senderMedia = media.get(sender)!;
        const videoOn = heldThroughout(sender, from, to, (s) => s.cameraOn);
        const audioOn = heldThroughout(sender, from, to, (s) => s.micOn);
        const statsOf = (all: Map<string, PeerReceiveStats[]>) => all.get(receiver)?.find((entry) => entry.peerId === ids.get(sender));
        const [first, last] = [statsOf(before)?.audio, statsOf(after)?.audio];
        const [videoFirst, videoLast] = [statsOf(before)?.video, statsOf(after)?.video];
        const browserFreezes =
          videoFirst && videoLast
            ? { count: videoLast.freezeCount - videoFirst.freezeCount, seconds: videoLast.totalFreezesDuration - videoFirst.totalFreezesDuration }
            : null;
        const lost = first && last ? Math.max(0, last.packetsLost - first.packetsLost) : null;
        const received = first && last ? last.packetsReceived - first.packetsReceived : null;
        const lossPercent = lost !== null && received !== null && lost + received > 0 ? (lost / (lost + received)) * 100 : null;
        const hops = hopsOf(metrics, sender, receiver);
        const snapshot = snapshots.get(receiver)!;
        const [sent0, sent1] = [sentBefore.get(sender), sentAfter.get(sender)];
        const sentFramesPerSecond = sent0 && sent1 && sent1.timestamp > sent0.timestamp ? ((sent1.framesSent - sent0.framesSent) * 1000) / (sent1.timestamp - sent0.timestamp) : null;
        const audio = analyzeAudio(snapshot.audio[sender], senderMedia.pitchHz, { from, to });
        streams.push({
          window: label,
          receiver,
          sender,
          hops,
          video: videoOn
            ? { ...analyzeVideo(snapshot.video[sender], senderMedia.slot, { from, to }, snapshots.get(sender)?.video.self?.frames), sentFramesPerSecond, browserFreezes }
            : null,
          audio: audioOn
            ? {
                ...audio,
                expectedPitchHz: senderMedia.pitchHz,
                lossPercent,
                mos:
                  lossPercent === null
                    ? null
                    : estimatedMos({
                        lossPercent,
                        uplinkRttSeconds: hops.audio.uplink.roundTripSeconds,
                        downlinkRttSeconds: hops.audio.downlink.roundTripSeconds,
                        jitterSeconds: last?.jitter ?? 0,
                      }),
              }
            : null,
        });
      }
    }
    return streams;
  };

  const applyImpairment = async (impairment: Impairment, on: boolean) => {
    const { who, direction } = impairment;
    const link = links.get(who)!;
    if (on) {
      impairmentTimes.set(impairment, { on: Date.now() });
      if (impairment.loss) await link.loss.set(direction, [{ loss: impairment.loss }]);
      else if (impairment.delay) await delays.get(who)!.set(direction, { delayMs: impairment.delay.ms, jitterMs: impairment.delay.jitterMs });
      else await caps.get(who)!.set(direction, impairment.rateKbps!);
      return;
    }
    impairmentTimes.get(impairment)!.off = Date.now();
    if (impairment.loss) {
      const counters = await link.loss.counters(direction);
      injected.push({ who, direction, lossPercent: counters.lossPercent, dropped: counters.dropped });
      await link.loss.clear(direction);
    } else if (impairment.delay) {
      const stats = await delays.get(who)!.stats(direction);
      injected.push({ who, direction, meanDelayMs: stats.meanDelayMs, delayedPackets: stats.packets });
      await delays.get(who)!.clear(direction);
    } else {
      injected.push({ who, direction, rateKbps: impairment.rateKbps });
      await caps.get(who)!.clear(direction);
    }
  };

  /** Each delayed link's round trip, as the SFU and the browser exported it, in every window inside the delay. */
  const fidelityChecks = (streams: StreamFigures[]): FidelityCheck[] => {
    const ratio = scenario.fidelity?.rttRatio;
    if (ratio === undefined) return [];
    const checks: FidelityCheck[] = [];
    for (const [impairment, times] of impairmentTimes) {
      if (!impairment.delay || times.off === undefined) continue;
      const injectedMs = impairment.delay.ms;
      for (const window of windowTimes.filter((w) => w.from >= times.on && w.to <= times.off!)) {
        const inWindow = streams.filter((stream) => stream.window === window.label);
        const sent = inWindow.find((stream) => stream.sender === impairment.who);
        const received = inWindow.find((stream) => stream.receiver === impairment.who);
        const figures: [string, number | null | undefined][] = [
          [`${impairment.who}'s send transport round trip (browser), ${window.label}`, sent?.hops.video.uplink.roundTripSeconds],
          [`${impairment.who}'s consumers' round trip (SFU), ${window.label}`, received?.hops.video.downlink.roundTripSeconds],
        ];
        for (const [label, seconds] of figures) {
          const measured = seconds == null ? Number.NaN : seconds * 1000;
          const tolerance = ratio * injectedMs;
          checks.push({ label, injected: injectedMs, measured, tolerance, ok: Math.abs(measured - injectedMs) <= tolerance });
        }
      }
    }
    return checks;
  };

  let verdict: ScenarioVerdict | undefined;
  try {
    for (const event of events) {
      await sleepUntil(start + event.at * 1000);
      if (event.type === 'step') {
        env.log(`[${elapsed()} s] ${event.step.do}${'who' in event.step ? ` ${event.step.who}` : ''}`);
        await act(event.step);
      } else {
        const { impairment, on } = event;
        env.log(`[${elapsed()} s] ${on ? 'start' : 'stop'} ${describeImpairment(impairment)} on ${impairment.who}'s ${impairment.direction}`);
        await applyImpairment(impairment, on);
      }
    }
    const streams = (await Promise.all(windows)).flat();
    await Promise.all(firstFrameWaits);
    verdict = judge(streams, scenario.thresholds, firstFrame, interruptions);
    const impairmentSpans = [...impairmentTimes].map(([impairment, times]) => ({
      from: (times.on - start) / 1000,
      to: ((times.off ?? Date.now()) - start) / 1000,
      label: `${impairment.who} ${impairment.direction}: ${describeImpairment(impairment)}`,
    }));
    return { verdict, interruptions, startedAt: start, endedAt: Date.now(), impairmentSpans, hostLoad, streams, timeToFirstFrameMs: firstFrame, injected, fidelity: fidelityChecks(streams) };
  } finally {
    if (!verdict?.pass) await env.diagnose?.([...pages.values()]).catch((error: unknown) => env.log(`diagnostics failed: ${String(error)}`));
  }
}

/** All cores' idle and total time so far (ms). */
function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.irq + times.idle;
  }
  return { idle, total };
}

type HopMetrics = Map<string, number>;

/** The window's per-hop averages from Prometheus, keyed `metric|subscriber|publisher|kind|hop` (parts may be empty). */
async function hopMetrics(prometheus: Prometheus, room: string, seconds: number, endMs: number): Promise<HopMetrics> {
  const range = `${Math.round(seconds)}s`;
  const at = endMs / 1000;
  const streams = `room="${room}",source!="screen"`;
  const queries: [string, string, (series: PromSeries) => string][] = [
    ['loss', `avg_over_time(lab:stream_loss:ratio{${streams}}[${range}])`, (s) => `${s.metric.subscriber}|${s.metric.publisher}|${s.metric.kind}|${s.metric.hop}`],
    ['jitter', `avg_over_time(sfu_producer_jitter_seconds{${streams}}[${range}])`, (s) => `|${s.metric.publisher}|${s.metric.kind}|uplink`],
    ['jitter', `avg_over_time(sfu_consumer_jitter_seconds{${streams}}[${range}])`, (s) => `${s.metric.subscriber}|${s.metric.publisher}|${s.metric.kind}|downlink`],
    ['rtt', `avg_over_time(signaling_browser_round_trip_time_seconds{room="${room}",direction="send"}[${range}])`, (s) => `|${s.metric.peer}||uplink`],
    ['rtt', `avg_over_time(sfu_consumer_round_trip_time_seconds{${streams}}[${range}])`, (s) => `${s.metric.subscriber}|${s.metric.publisher}|${s.metric.kind}|downlink`],
  ];
  const result: HopMetrics = new Map();
  for (const [metric, expr, key] of queries) {
    for (const series of await prometheus.query(expr, at)) {
      const value = Number(series.value[1]);
      if (Number.isFinite(value)) result.set(`${metric}|${key(series)}`, value);
    }
  }
  return result;
}

function hopsOf(metrics: HopMetrics, sender: string, receiver: string): StreamFigures['hops'] {
  const get = (key: string) => metrics.get(key) ?? null;
  const kindHops = (kind: Kind): Record<(typeof HOPS)[number], HopFigures> => ({
    uplink: {
      loss: get(`loss|${receiver}|${sender}|${kind}|uplink`),
      jitterSeconds: get(`jitter||${sender}|${kind}|uplink`),
      roundTripSeconds: get(`rtt||${sender}||uplink`),
    },
    sfu: { loss: get(`loss|${receiver}|${sender}|${kind}|sfu`), jitterSeconds: null, roundTripSeconds: null },
    downlink: {
      loss: get(`loss|${receiver}|${sender}|${kind}|downlink`),
      jitterSeconds: get(`jitter|${receiver}|${sender}|${kind}|downlink`),
      roundTripSeconds: get(`rtt|${receiver}|${sender}|${kind}|downlink`),
    },
  });
  return { audio: kindHops('audio'), video: kindHops('video') };
}
