/**
 * The call page's read-only test surface, `window.__lab`: the contract between the page (client/,
 * which installs it) and whatever observes a call from outside (the e2e suite, benchmarks, load
 * bots). It reports what the page shows and receives and offers no way to change it. Described for
 * people in client/README.md.
 */

export type CallState = 'idle' | 'joining' | 'joined' | 'left' | 'error';

export interface LabParticipant {
  peerId: string;
  displayName: string;
  audioMuted: boolean;
  videoMuted: boolean;
}

/** From the standard `inbound-rtp` stats of the receiver (https://www.w3.org/TR/webrtc-stats/). */
export interface VideoReceiveStats {
  framesDecoded: number;
  /** Decoded frames per second over the browser's last measurement interval. */
  framesPerSecond: number;
  packetsLost: number;
  /** Seconds (the stats API already converts from RTP timestamp units). */
  jitter: number;
}

export interface AudioReceiveStats {
  packetsReceived: number;
  packetsLost: number;
  /** Seconds. */
  jitter: number;
  totalSamplesReceived: number;
}

/** What the page receives from one other participant. */
export interface PeerReceiveStats {
  peerId: string;
  video: VideoReceiveStats | null;
  audio: AudioReceiveStats | null;
}

/** performance.now() timestamps of the page's latest join. */
export interface LabTimings {
  /** The join click (or the automatic join on load). */
  joinStartedAt: number | null;
  /** When the join completed: transports open and local tracks sent. */
  joinedAt: number | null;
  /** When the first frame of any participant's video was presented. */
  firstRemoteFrameAt: number | null;
}

export interface LabTestSurface {
  readonly state: CallState;
  readonly peerId: string | null;
  readonly roomId: string | null;
  /** This page's own mic / camera state. */
  readonly local: { audioMuted: boolean; videoMuted: boolean };
  participants(): LabParticipant[];
  /** Per remote peer, from its consumers' RTCRtpReceiver stats. */
  stats(): Promise<PeerReceiveStats[]>;
  readonly timings: LabTimings;
}

declare global {
  interface Window {
    readonly __lab?: LabTestSurface;
  }
}
