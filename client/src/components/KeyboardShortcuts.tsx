import { onCleanup, onMount } from 'solid-js';
import { ownMediaText } from '../a11y/announcements.ts';
import { shortcutOf } from '../a11y/keyboardShortcuts.ts';
import { useCall } from '../state/CallStore.tsx';

/**
 * Ctrl+D / Ctrl+E (⌘ on a Mac) toggle the mic and camera from anywhere on the page, on the join
 * form and in the call, except while typing in a field; the live region then says the new state,
 * since focus may be far from the buttons.
 */
export function useKeyboardShortcuts(): void {
  const { store, actions } = useCall();
  onMount(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const action = shortcutOf(event);
      if (!action) return;
      // Ctrl+D would otherwise bookmark the page, Ctrl+E focus the browser's search.
      event.preventDefault();
      // The buttons are disabled while joining (the producers are being set up); so are these.
      if (store.state === 'joining') return;
      const toggled = action === 'mic' ? actions.toggleMic() : actions.toggleCamera();
      void toggled.then(() => actions.announce(ownMediaText(action, action === 'mic' ? store.local.audioMuted : store.local.videoMuted)));
    };
    document.addEventListener('keydown', onKeyDown);
    onCleanup(() => document.removeEventListener('keydown', onKeyDown));
  });
}
