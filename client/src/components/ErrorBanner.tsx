import { Show, type JSX } from 'solid-js';
import { MESSAGES } from '../errors/userMessage.ts';
import { useCall } from '../state/CallStore.tsx';

/**
 * The error, in words (errors/userMessage.ts); its technical detail is in `data-detail` (and the
 * console), never in the text.
 */
export function ErrorBanner(): JSX.Element {
  const { store, actions } = useCall();
  return (
    <Show when={store.error}>
      {(message) => (
        <div class="banner error" role="alert" data-testid="error-banner" data-detail={store.errorDetail ?? undefined}>
          <span>{message()}</span>
          <button type="button" class="banner-close" aria-label="Dismiss" onClick={() => actions.dismissError()}>
            ×
          </button>
        </div>
      )}
    </Show>
  );
}

/** Shown when the browser refused to start remote audio without a click (autoplay policy). */
export function AudioBlockedBanner(): JSX.Element {
  const { store, actions } = useCall();
  const enableSound = () => {
    // Inside the click handler, so the browser counts it as the user's gesture.
    for (const audio of document.querySelectorAll('audio')) {
      audio.play().then(actions.audioPlaybackAllowed, actions.reportError);
    }
  };
  return (
    <Show when={store.audioBlocked && store.state === 'joined'}>
      <div class="banner info" data-testid="audio-blocked-banner">
        <span>Your browser blocked the call's sound. Select “Enable sound” to hear the others.</span>
        <button type="button" class="banner-action" onClick={enableSound}>
          Enable sound
        </button>
      </div>
    </Show>
  );
}

/** Shown while a joined page has lost the server and is getting back (its tiles stay meanwhile). */
export function ReconnectingBanner(): JSX.Element {
  const { store } = useCall();
  return (
    <Show when={store.connection === 'reconnecting' && store.state === 'joined'}>
      <div class="banner info" role="status" data-testid="reconnecting-banner">
        <span>{MESSAGES.reconnecting}</span>
      </div>
    </Show>
  );
}
