import { For, Show, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';
import type { DeviceSource } from '../media/LocalMedia.ts';

/** States in which asking for the device again may help (a refusal reversed, a device plugged in). */
const RETRYABLE = new Set(['denied', 'missing', 'busy', 'disconnected', 'failed']);

/**
 * One sentence per device that cannot be used (refused, missing, in use, unplugged, non-secure page)
 * with a "Try again" where asking again can help; also the note after a device was replaced by another.
 */
export function DeviceNotices(): JSX.Element {
  const { devices } = useCall();
  // On a non-secure page both devices say the same: once is enough.
  const sources = (): DeviceSource[] => (devices.supported ? ['mic', 'camera'] : ['camera']);
  return (
    <div class="device-notices" role="status">
      <For each={sources()}>{(source) => <DeviceNotice source={source} />}</For>
    </div>
  );
}

function DeviceNotice(props: { source: DeviceSource }): JSX.Element {
  const { devices, deviceActions } = useCall();
  const status = () => devices[props.source];
  const name = () => (props.source === 'mic' ? 'microphone' : 'camera');
  return (
    <Show when={status().message}>
      {(message) => (
        <div
          class="device-notice"
          classList={{ problem: status().state !== 'live' }}
          data-testid="device-notice"
          data-source={props.source}
          data-state={status().state}
        >
          <span>{message()}</span>
          <Show when={RETRYABLE.has(status().state)}>
            <button
              type="button"
              class="banner-action"
              data-testid="device-retry"
              aria-label={`Try the ${name()} again`}
              onClick={() => void deviceActions.retry(props.source)}
            >
              Try again
            </button>
          </Show>
          <Show when={status().state === 'live'}>
            <button type="button" class="banner-close" aria-label="Dismiss" onClick={() => deviceActions.dismissNotice(props.source)}>
              ×
            </button>
          </Show>
        </div>
      )}
    </Show>
  );
}
