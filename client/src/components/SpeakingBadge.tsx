import { Show, type JSX } from 'solid-js';

/**
 * "speaking" on the tile of the room's active speaker: seen beside the ring the tile gets, and read
 * as part of the tile's caption (its accessible name) by screen readers.
 */
export function SpeakingBadge(props: { speaking: boolean }): JSX.Element {
  return (
    <Show when={props.speaking}>
      <span class="indicator speaking-badge" data-testid="speaking-badge">
        speaking
      </span>
    </Show>
  );
}
