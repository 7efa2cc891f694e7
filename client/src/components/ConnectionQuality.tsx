/**
 * One remote person's line: a quality indicator in their tile's caption (good / fair / poor, see
 * quality/qualityLevel.ts for the thresholds) with a button opening a details panel over the tile,
 * with the figures behind it for their video and audio. The panel is a non-modal dialog: it takes
 * the focus when it opens, Escape or its close button closes it, and the focus returns to the button.
 * The level: the lowest mediasoup score of the person's unmuted streams, the worst loss of them over
 * the last reading, the receive transport's RTT, and the audio jitter (video's while the mic is muted).
 */
import { For, createMemo, createSignal, createUniqueId, type JSX } from 'solid-js';
import { useCall, type Participant } from '../state/CallStore.tsx';
import { createPeerLine, type PeerLineFigures } from '../quality/createPeerLine.ts';
import { formatBitrate, formatFrameRate, formatLoss, formatMilliseconds, formatResolution, NO_FIGURE } from '../quality/format.ts';
import { qualityLabel, qualityLevel, type LineSignals } from '../quality/qualityLevel.ts';
import type { StreamFigures } from '../quality/lineFigures.ts';

/** How often the indicator reads the browser's stats; an open panel reads them every second. */
const INDICATOR_INTERVAL_MS = 2000;
const PANEL_INTERVAL_MS = 1000;

type Kind = 'video' | 'audio';

/** The rows of the details panel: label, and how to write the figure of one stream. */
const ROWS: { field: string; label: string; value: (stream: StreamFigures, line: PeerLineFigures) => string; videoOnly?: boolean }[] = [
  { field: 'bitrate', label: 'Bitrate', value: (stream) => formatBitrate(stream.bitrateBps) },
  { field: 'loss', label: 'Packet loss', value: (stream) => formatLoss(stream.lossFraction) },
  { field: 'jitter', label: 'Jitter', value: (stream) => formatMilliseconds(stream.jitterSeconds) },
  { field: 'rtt', label: 'Round trip (to server)', value: (_stream, line) => formatMilliseconds(line.roundTripSeconds) },
  { field: 'resolution', label: 'Resolution', value: (stream) => formatResolution(stream.width, stream.height), videoOnly: true },
  { field: 'fps', label: 'Frame rate', value: (stream) => formatFrameRate(stream.framesPerSecond), videoOnly: true },
];

/**
 * The indicator with its button (for the tile's caption) and the panel (for the tile itself: it
 * covers the tile), sharing one reading of the line. Call inside the tile component.
 */
export function createConnectionQuality(props: { participant: Participant }): { Indicator: () => JSX.Element; Panel: () => JSX.Element } {
  const { store, actions } = useCall();
  const [open, setOpen] = createSignal(false);
  const line = createPeerLine(
    () => actions.peerLine(props.participant.peerId),
    () => (open() ? PANEL_INTERVAL_MS : INDICATOR_INTERVAL_MS),
  );
  const muted = (kind: Kind) => (kind === 'video' ? props.participant.videoMuted : props.participant.audioMuted);
  const level = createMemo(() => {
    const figures = line();
    const tracks = store.tracks[props.participant.peerId];
    // A muted source sends nothing: its score and (absent) loss say nothing about the line.
    const live = (['video', 'audio'] as const).filter((kind) => !muted(kind));
    const scores = live.flatMap((kind) => {
      const consumerId = tracks?.[kind === 'video' ? 'camera' : 'mic']?.consumerId;
      const score = consumerId ? store.consumerScores[consumerId] : undefined;
      return score ? [Math.min(score.score, score.producerScore)] : [];
    });
    const losses = live.flatMap((kind) => (figures[kind]?.lossFraction != null ? [figures[kind]!.lossFraction!] : []));
    const jitterSource = !muted('audio') && figures.audio ? figures.audio : !muted('video') ? figures.video : null;
    const signals: LineSignals = {
      score: scores.length ? Math.min(...scores) : null,
      lossFraction: losses.length ? Math.max(...losses) : null,
      roundTripSeconds: figures.roundTripSeconds,
      jitterSeconds: jitterSource?.jitterSeconds ?? null,
    };
    return qualityLevel(signals);
  });

  /** Read inside the JSX expression, so the cell follows every new reading. */
  const cellText = (row: (typeof ROWS)[number], kind: Kind): string => {
    const stream = line()[kind];
    return stream && !(row.videoOnly && kind === 'audio') ? row.value(stream, line()) : NO_FIGURE;
  };

  let button!: HTMLButtonElement;
  let closeButton!: HTMLButtonElement;
  const titleId = createUniqueId();
  const openPanel = () => {
    setOpen(true);
    closeButton.focus();
  };
  const closePanel = () => {
    setOpen(false);
    button.focus();
  };
  const onPanelKeyDown: JSX.EventHandler<HTMLDivElement, KeyboardEvent> = (event) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    closePanel();
  };

  const Indicator = () => (
    <>
      <span class="quality" data-testid="connection-quality" data-level={level()} role="img" aria-label={qualityLabel(level())} title={qualityLabel(level())}>
        <span class="quality-bar" />
        <span class="quality-bar" />
        <span class="quality-bar" />
      </span>
      <button
        ref={button}
        type="button"
        class="details-button"
        data-testid="connection-details-button"
        aria-label={`Connection details for ${props.participant.displayName}`}
        aria-haspopup="dialog"
        aria-expanded={open()}
        onClick={() => (open() ? closePanel() : openPanel())}
      >
        i
      </button>
    </>
  );

  const Panel = () => (
    // Escape closes a dialog (the WAI-ARIA dialog pattern), which this rule does not know.
    // eslint-disable-next-line jsx-a11y/no-noninteractive-element-interactions
    <div
      class="details-panel"
      role="dialog"
      aria-modal="false"
      aria-labelledby={titleId}
      data-testid="connection-details"
      hidden={!open()}
      onKeyDown={onPanelKeyDown}
    >
      <div class="details-head">
        <h2 id={titleId} class="details-title">
          Connection with {props.participant.displayName}: {level() === 'unknown' ? 'measuring' : level()}
        </h2>
        <button ref={closeButton} type="button" class="details-close" data-testid="connection-details-close" aria-label="Close connection details" onClick={closePanel}>
          ×
        </button>
      </div>
      <table class="details-table">
        <thead>
          <tr>
            <td />
            <th scope="col">Video</th>
            <th scope="col">Audio</th>
          </tr>
        </thead>
        <tbody>
          <For each={ROWS}>
            {(row) => (
              <tr>
                <th scope="row">{row.label}</th>
                <For each={['video', 'audio'] as const}>
                  {(kind) => (
                    <td data-testid={`detail-${kind}-${row.field}`}>{cellText(row, kind)}</td>
                  )}
                </For>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );

  return { Indicator, Panel };
}
