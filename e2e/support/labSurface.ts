/**
 * The call page's read-only test surface, `window.__lab` (documented in client/README.md). Declared
 * here rather than imported from client/: the suite talks to the page, not to its internals.
 */
export type CallState = 'idle' | 'joining' | 'joined' | 'left' | 'error';

export interface LabParticipant {
  peerId: string;
  displayName: string;
  audioMuted: boolean;
  videoMuted: boolean;
}

export interface PeerReceiveStats {
  peerId: string;
  video: { framesDecoded: number; framesPerSecond: number; packetsLost: number; jitter: number } | null;
  audio: { packetsReceived: number; packetsLost: number; jitter: number; totalSamplesReceived: number } | null;
}

export interface LabTimings {
  joinStartedAt: number | null;
  joinedAt: number | null;
  firstRemoteFrameAt: number | null;
}

export interface LabTestSurface {
  readonly state: CallState;
  readonly peerId: string | null;
  readonly roomId: string | null;
  readonly local: { audioMuted: boolean; videoMuted: boolean };
  participants(): LabParticipant[];
  stats(): Promise<PeerReceiveStats[]>;
  readonly timings: LabTimings;
}

declare global {
  interface Window {
    readonly __lab?: LabTestSurface;
  }
}
