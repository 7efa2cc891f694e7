import { For, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';

/**
 * The polite live region: screen readers read each new announcement (joins, leaves, mutes) when
 * they are idle, without moving focus. Visually hidden: the same news is on screen in the tiles.
 * Always rendered, since a live region must exist before its content changes to be read.
 */
export function LiveAnnouncer(): JSX.Element {
  const { store } = useCall();
  return (
    <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="false" data-testid="announcer">
      <For each={store.announcements}>{(announcement) => <p data-id={announcement.id}>{announcement.text}</p>}</For>
    </div>
  );
}
