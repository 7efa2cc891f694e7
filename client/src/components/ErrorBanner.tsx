import { Show, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';

export function ErrorBanner(): JSX.Element {
  const { store, actions } = useCall();
  return (
    <Show when={store.error}>
      {(message) => (
        <div class="banner error" role="alert" data-testid="error-banner">
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
        <span>Your browser blocked the call's sound.</span>
        <button type="button" class="banner-action" onClick={enableSound}>
          Enable sound
        </button>
      </div>
    </Show>
  );
}
