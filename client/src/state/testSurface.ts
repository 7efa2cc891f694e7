/**
 * Installs `window.__lab`, the read-only view of the call whose contract is @lab/proto/lab-surface
 * (documented in client/README.md). It reports what the page shows and receives; it changes nothing.
 */
import type { LabTestSurface } from '@lab/proto/lab-surface';
import type { CallContextValue } from './CallStore.tsx';
import { participantList } from './participants.ts';

export function installTestSurface({ store, actions }: CallContextValue): void {
  const surface: LabTestSurface = Object.freeze({
    get state() {
      return store.state;
    },
    get connection() {
      return store.connection;
    },
    get mediaResets() {
      return store.mediaResets;
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
      participantList(store).map(({ peerId, displayName, audioMuted, videoMuted }) => ({ peerId, displayName, audioMuted, videoMuted })),
    stats: () => actions.receiveStats(),
    sendStats: () => actions.sendStats(),
    statsDump: () => actions.statsDump(),
    get timings() {
      return { ...store.timings };
    },
  });
  // configurable so a hot-reloaded module (vite dev) can install its fresh surface.
  Object.defineProperty(window, '__lab', { value: surface, writable: false, enumerable: false, configurable: true });
}
