/**
 * A call scenario as data (e2e/scenarios/**.json): who takes part with which generated media, what
 * happens when (joins, leaves, mutes, camera, screen share, measurement windows), which packets are
 * dropped on whose link when, and the thresholds the call is judged against. The same file gives the
 * same run: media are generated from the slot, the timeline is in seconds from the start, and random
 * loss is the only chance involved (its injected rate is counted and reported).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeRule } from '../impairment/PacketLoss.ts';

const Name = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a participant name: lowercase letters, digits and "-"');
/** Seconds from the scenario's start. */
const At = z.number().min(0).max(3600);

export const Participant = z
  .object({
    name: Name,
    /** Which generated camera / voice it sends (support/media/fakeMedia.ts): 0..5. */
    slot: z.number().int().min(0).max(5),
    /**
     * Joins with the microphone muted / the camera off, chosen on the form (a listener's browser
     * then never opens that device: nothing captured, nothing encoded). Default: both on.
     */
    joinMuted: z.object({ mic: z.boolean().default(false), camera: z.boolean().default(false) }).strict().default({ mic: false, camera: false }),
  })
  .strict();

const onWho = <T extends string>(action: T) => z.object({ at: At, do: z.literal(action), who: Name }).strict();

export const Step = z.discriminatedUnion('do', [
  onWho('join'),
  onWho('leave'),
  /** Leave and join again at once (the same browser, the form). */
  onWho('rejoin'),
  onWho('reload'),
  onWho('mute'),
  onWho('unmute'),
  onWho('cameraOff'),
  onWho('cameraOn'),
  onWho('shareScreen'),
  onWho('stopScreen'),
  /**
   * SIGKILL of the mediasoup worker hosting the room: every page must get its media back by itself;
   * the step waits until each receiver shows a new frame from each sender and records how long
   * each stream was interrupted.
   */
  z.object({ at: At, do: z.literal('killWorker') }).strict(),
  z
    .object({
      at: At,
      do: z.literal('measure'),
      /** Length of the window; every stream between the participants present is judged over it. */
      seconds: z.number().min(3).max(600),
      label: z.string().min(1).max(80).optional(),
    })
    .strict(),
]);
export type Step = z.infer<typeof Step>;

export const Loss = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('random'), percent: z.number().gt(0).max(100) }).strict(),
  z.object({ kind: z.literal('burst'), length: z.number().int().min(1), every: z.number().int().min(2) }).strict(),
]);

/**
 * One change to a participant's link for a while: packets dropped (`loss`), held (`delay`, with
 * `jitterMs` the spread of a normal distribution around it; order is kept), or a bandwidth cap
 * (`rateKbps`). Exactly one of the three per impairment.
 */
export const Impairment = z
  .object({
    who: Name,
    /** uplink: what the participant sends; downlink: what it receives. */
    direction: z.enum(['uplink', 'downlink']),
    from: At,
    to: At,
    loss: Loss.optional(),
    delay: z.object({ ms: z.number().min(0).max(5000), jitterMs: z.number().min(0).max(1000).default(0) }).strict().optional(),
    rateKbps: z.number().min(8).max(1_000_000).optional(),
  })
  .strict()
  .refine((impairment) => impairment.to > impairment.from, { message: 'an impairment must end after it starts' })
  .refine((impairment) => [impairment.loss, impairment.delay, impairment.rateKbps].filter((kind) => kind !== undefined).length === 1, {
    message: 'an impairment is exactly one of loss, delay or rateKbps',
  });
export type Impairment = z.infer<typeof Impairment>;

/** What an impairment does, in words (progress lines, chart labels): "10% random loss", "+150 ms". */
export function describeImpairment(impairment: Impairment): string {
  if (impairment.loss) return describeRule({ loss: impairment.loss });
  if (impairment.delay) return `+${impairment.delay.ms} ms${impairment.delay.jitterMs ? ` ± ${impairment.delay.jitterMs} ms` : ''}`;
  return `capped at ${impairment.rateKbps} kbit/s`;
}

/** Limits every judged stream must keep; each is optional (unset: not judged). */
export const Thresholds = z
  .object({
    /** Per hop (uplink, SFU, downlink) of every stream, from the SFU's metrics: ratio 0..1. */
    maxHopLoss: z.number().min(0).max(1).optional(),
    /** Interarrival jitter per hop, seconds (uplink: the SFU's measure; downlink: the subscriber's reports). */
    maxHopJitterSeconds: z.number().positive().optional(),
    /** Round trip of each participant's link to the SFU, seconds. */
    maxRoundTripSeconds: z.number().positive().optional(),
    /** New frames shown per second by the receiver, against the source's rate (20 fps): ratio. */
    minFrameRateRatio: z.number().min(0).max(1).optional(),
    /** Share of the frames read that were black, unreadable or another sender's picture: 0..1. */
    maxBadFrameShare: z.number().min(0).max(1).optional(),
    /** Seconds frozen per 20 s of window. */
    maxFrozenSecondsPer20s: z.number().min(0).optional(),
    /**
     * Glass-to-glass estimate, median, ms: how late the picture typically arrives (ITU-T G.114 puts
     * the limit of acceptable one-way delay at 400 ms). A brief stall is the freeze figures' job: a
     * sender's page stalled for half a second on a busy machine lifts a 15 s window's 95th percentile
     * past 500 ms with no freeze at the receivers.
     */
    maxDelayP50Ms: z.number().positive().optional(),
    /** Mean PSNR of sampled frames against the generated source, dB. */
    minPsnrDb: z.number().positive().optional(),
    /** Power at the sender's voice pitch in the receiver's audio, dB full scale. */
    minAudioLevelDb: z.number().optional(),
    /** Estimated MOS of each audio stream (E-model, support/scenario/mos.ts). */
    minMos: z.number().min(1).max(4.5).optional(),
    /** After a fault step (killWorker): the fault until the receiver shows the sender's video again, seconds. */
    maxInterruptionSeconds: z.number().positive().optional(),
    /** Join click → first remote frame, ms. */
    maxTimeToFirstFrameMs: z.number().positive().optional(),
  })
  .strict();
export type Thresholds = z.infer<typeof Thresholds>;

/** What the scenario's verdict must be: a negative control names the hop it broke. */
/**
 * How close the exported figures must be to what was injected, judged on every window that lies
 * inside an impairment: a delayed link's round trip (the browser's and the SFU's) within `rttRatio`
 * of the delay added (the link's own round trip, 1-3 ms here, counts against the tolerance).
 */
export const Fidelity = z.object({ rttRatio: z.number().positive().max(1).optional() }).strict();

export const Expectation = z.discriminatedUnion('verdict', [
  z.object({ verdict: z.literal('pass') }).strict(),
  z
    .object({
      verdict: z.literal('fail'),
      /** The broken hops the verdict must name (and no other). */
      brokenHops: z.array(z.object({ participant: Name, hop: z.enum(['uplink', 'downlink']) }).strict()).min(1),
    })
    .strict(),
]);
export type Expectation = z.infer<typeof Expectation>;

export const Scenario = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
    description: z.string().min(1),
    participants: z.array(Participant).min(2).max(6),
    timeline: z.array(Step).min(1),
    impairments: z.array(Impairment).default([]),
    thresholds: Thresholds,
    expect: Expectation.default({ verdict: 'pass' }),
    fidelity: Fidelity.optional(),
    /**
     * Cores the machine needs for the browsers not to be the bottleneck; on fewer the scenario is
     * skipped, saying why (six Chromium instances saturate 2 cores: round trips of seconds, not the lab's).
     */
    minCores: z.number().int().min(1).optional(),
    /** How many times `npm run e2e` runs it (the CI set runs each scenario once). */
    runs: z.number().int().min(1).max(50).default(1),
  })
  .strict()
  .superRefine((scenario, context) => {
    const names = new Set(scenario.participants.map((participant) => participant.name));
    if (names.size !== scenario.participants.length) context.addIssue({ code: 'custom', message: 'participant names must be unique' });
    const slots = new Set(scenario.participants.map((participant) => participant.slot));
    if (slots.size !== scenario.participants.length) context.addIssue({ code: 'custom', message: 'each participant needs a slot of its own (the receivers tell senders apart by it)' });
    const mentioned = [...scenario.timeline.flatMap((step) => ('who' in step ? [step.who] : [])), ...scenario.impairments.map((impairment) => impairment.who)];
    for (const who of mentioned) {
      if (!names.has(who)) context.addIssue({ code: 'custom', message: `"${who}" is not a participant` });
    }
    if (!scenario.timeline.some((step) => step.do === 'measure')) context.addIssue({ code: 'custom', message: 'a scenario needs at least one measure step' });
    // One impairment of a kind per link and direction at a time: a second would replace the first.
    const kindOf = (impairment: Impairment) => (impairment.loss ? 'loss' : impairment.delay ? 'delay' : 'rate');
    scenario.impairments.forEach((a, i) =>
      scenario.impairments.slice(i + 1).forEach((b) => {
        if (a.who === b.who && a.direction === b.direction && kindOf(a) === kindOf(b) && a.from < b.to && b.from < a.to) {
          context.addIssue({ code: 'custom', message: `two ${kindOf(a)} impairments overlap on ${a.who}'s ${a.direction}` });
        }
      }),
    );
    const sorted = scenario.timeline.every((step, i) => i === 0 || scenario.timeline[i - 1]!.at <= step.at);
    if (!sorted) context.addIssue({ code: 'custom', message: 'timeline steps must be in order of `at`' });
  });
export type Scenario = z.infer<typeof Scenario>;

/** Reads and validates one scenario file; the error names the file and every problem in it. */
export function loadScenario(file: string): Scenario {
  const parsed = Scenario.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(file)'}: ${issue.message}`).join('\n');
    throw new Error(`scenario ${file} is not valid:\n${problems}`);
  }
  return parsed.data;
}

/** The scenarios of a directory, by file name. */
export function loadScenarios(directory: string): { file: string; scenario: Scenario }[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ file: path.join(directory, name), scenario: loadScenario(path.join(directory, name)) }));
}
