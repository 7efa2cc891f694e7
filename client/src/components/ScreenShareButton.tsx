import { Show, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';
import { ScreenIcon } from './icons.tsx';

/** Start / stop sharing the screen (in a call, where the browser can share one). */
export function ScreenShareButton(): JSX.Element {
  const { store, devices, deviceActions } = useCall();
  const sharing = () => devices.tracks.screen !== null;
  return (
    <Show when={devices.screenShareSupported}>
      <button
        type="button"
        class="control"
        classList={{ active: sharing() }}
        data-testid="screen-share-button"
        data-state={sharing() ? 'on' : 'off'}
        aria-pressed={sharing()}
        disabled={store.state !== 'joined' || devices.screenStarting}
        onClick={() => void deviceActions.toggleScreenShare()}
      >
        <ScreenIcon />
        <span class="control-label">Share screen</span>
      </button>
    </Show>
  );
}
