/**
 * QA's verdict per call: the figures a test measured (frames decoded per remote video, audio packets,
 * time to first frame, how fast changes reached the others), attached to the test as JSON
 * (`call-verdict`) so verdictReporter.ts can print them next to pass/fail — also when the test fails
 * halfway, with whatever was measured up to then.
 */
import type { TestInfo } from '@playwright/test';
import type { VideoWindowFigures } from './videoWindow.ts';

export const VERDICT_ATTACHMENT = 'call-verdict';
/**
 * The tag of every test that holds a call. The reporter gives each tagged test a verdict even when
 * no figures arrived (a fixture failed before the recorder existed, the worker died), so a failing
 * call can never go missing from the verdicts; the `verdict` fixture refuses untagged tests.
 */
export const CALL_TAG = '@call';

export interface ReceivedFigures {
  framesDecoded: number;
  framesPerSecond: number;
  videoPacketsLost: number;
  audioPacketsReceived: number;
  audioPacketsLost: number;
}

export interface ParticipantFigures {
  peerId?: string;
  /** Join click → first presented remote frame. */
  timeToFirstFrameMs?: number | null;
  /** What this participant received from each other participant (by name). */
  receivedFrom: Record<string, ReceivedFigures>;
}

/** One stream over a window of time under a stated condition (e.g. injected packet loss). */
export interface WindowFigures extends VideoWindowFigures {
  /** The loss really injected on the impaired link over the window (dropped / seen UDP packets). */
  injectedLossPercent?: number;
  /** UDP packets the impairment dropped over the window. */
  droppedPackets?: number;
}

export interface VerdictData {
  room?: string;
  participants: Record<string, ParticipantFigures>;
  /** Named durations, e.g. "mute seen by bob" → 180 (ms from the click). */
  timings: Record<string, number>;
  /** Named windows, e.g. "SFU, 5% uplink loss: bob ← alice". */
  windows: Record<string, WindowFigures>;
  /** Other named measurements with their unit, e.g. "worst RTT" → { value: 0.004, unit: "s" }. */
  figures: Record<string, { value: number; unit: string }>;
  /** A scenario's own verdict (support/scenario): its judgement and one line per judged stream. */
  scenario?: ScenarioRecord;
}

export interface ScenarioRecord {
  name: string;
  pass: boolean;
  /** "alice's uplink", "the SFU" … */
  brokenHops: string[];
  /** One line per threshold crossed. */
  violations: string[];
  /** One line of figures per judged stream and window. */
  streams: string[];
  /** What the impairments really did. */
  injected: string[];
  /** Exported figures against what was injected. */
  fidelity: string[];
  /** This machine's CPU per window (the browsers share it with the lab). */
  hostLoad: string[];
  /** How long each stream's video was interrupted by each fault step. */
  interruptions: string[];
}

export class CallVerdict {
  readonly data: VerdictData = { participants: {}, timings: {}, windows: {}, figures: {} };

  room(roomId: string): void {
    this.data.room = roomId;
  }

  participant(name: string): ParticipantFigures {
    return (this.data.participants[name] ??= { receivedFrom: {} });
  }

  received(receiver: string, sender: string, figures: ReceivedFigures): void {
    this.participant(receiver).receivedFrom[sender] = figures;
  }

  timing(label: string, ms: number): void {
    this.data.timings[label] = Math.round(ms);
  }

  window(label: string, figures: WindowFigures): void {
    this.data.windows[label] = figures;
  }

  figure(label: string, value: number, unit: string): void {
    this.data.figures[label] = { value, unit };
  }

  scenario(record: ScenarioRecord): void {
    this.data.scenario = record;
  }

  async attachTo(testInfo: TestInfo): Promise<void> {
    await testInfo.attach(VERDICT_ATTACHMENT, {
      body: JSON.stringify(this.data, null, 2),
      contentType: 'application/json',
    });
  }
}
