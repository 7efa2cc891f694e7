/**
 * Polls what the page receives from one person (CallSession.peerLine) while the component using it
 * lives, and turns successive readings into figures (lineFigures.ts). The interval may change while
 * it runs: the tile's indicator needs a reading every few seconds, an open details panel one a second.
 */
import { createSignal, onCleanup, type Accessor } from 'solid-js';
import type { InboundStreamReading } from '@lab/proto/rtc-stats';
import type { PeerLineReading } from '../media/CallSession.ts';
import { streamFigures, type StreamFigures } from './lineFigures.ts';

export interface PeerLineFigures {
  video: StreamFigures | null;
  audio: StreamFigures | null;
  roundTripSeconds: number | null;
}

const NO_FIGURES: PeerLineFigures = { video: null, audio: null, roundTripSeconds: null };

/** Whether `current` is not newer than `previous` (the same reading again). */
const repeats = (current: InboundStreamReading | null, previous: InboundStreamReading | null) =>
  current !== null && previous !== null && current.timestamp <= previous.timestamp;

export function createPeerLine(read: () => Promise<PeerLineReading | null>, intervalMs: Accessor<number>): Accessor<PeerLineFigures> {
  const [figures, setFigures] = createSignal<PeerLineFigures>(NO_FIGURES);
  let previous: { video: InboundStreamReading | null; audio: InboundStreamReading | null } = { video: null, audio: null };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const poll = async () => {
    try {
      const line = await read();
      if (stopped) return;
      // A reading shared with other tiles may be the one this line already has: no new interval yet.
      if (line && !repeats(line.video, previous.video) && !repeats(line.audio, previous.audio)) {
        setFigures({
          video: line.video ? streamFigures(line.video, previous.video) : null,
          audio: line.audio ? streamFigures(line.audio, previous.audio) : null,
          roundTripSeconds: line.roundTripSeconds,
        });
        previous = { video: line.video, audio: line.audio };
      }
    } catch (error) {
      // A failed reading only leaves the figures as they were; the next one is on its way.
      console.warn('[quality] reading the connection figures failed', error);
    }
    if (!stopped) timer = setTimeout(() => void poll(), intervalMs());
  };
  // The first reading waits one interval: a tile appears while its person's streams are still being
  // set up, and a getStats() of the whole receive transport then competes with the first frames
  // (rates need two readings anyway).
  timer = setTimeout(() => void poll(), intervalMs());

  onCleanup(() => {
    stopped = true;
    clearTimeout(timer);
  });
  return figures;
}

