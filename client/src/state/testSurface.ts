/**
 * `window.__lab`: a read-only view of the call for automated tests and benchmarks (documented in
 * client/README.md). It reports what the page shows and receives; it offers no way to change it.
 */
import type { PeerReceiveStats } from '../media/CallSession.ts';
import type { CallContextValue, CallState, CallTimings } from './CallStore.tsx';

export interface LabParticipant {
  peerId: string;
  displayName: string;
  audioMuted: boolean;
  videoMuted: boolean;
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
  readonly timings: CallTimings;
}

declare global {
  interface Window {
    readonly __lab?: LabTestSurface;
  }
}

export function installTestSurface({ store, actions }: CallContextValue): void {
  const surface: LabTestSurface = Object.freeze({
    get state() {
      return store.state;
    },
    get peerId() {
      return store.peerId;
    },
    get roomId() {
      return store.roomId;
    },
    get local() {
      return { audioMuted: store.local.audioMuted, videoMuted: store.local.videoMuted };
    },
    participants: () =>
      Object.values(store.participants)
        .sort((a, b) => a.order - b.order)
        .map(({ peerId, displayName, audioMuted, videoMuted }) => ({ peerId, displayName, audioMuted, videoMuted })),
    stats: () => actions.receiveStats(),
    get timings() {
      return { ...store.timings };
    },
  });
  // configurable so a hot-reloaded module (vite dev) can install its fresh surface.
  Object.defineProperty(window, '__lab', { value: surface, writable: false, enumerable: false, configurable: true });
}
