import { Show, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';
import { CameraIcon, LeaveIcon, MicIcon } from './icons.tsx';

interface MediaControlsProps {
  /** Show the leave button (in a call). */
  inCall?: boolean;
}

/** Mic, camera and (in a call) leave buttons; the same buttons before and during the call. */
export function MediaControls(props: MediaControlsProps): JSX.Element {
  const { store, actions } = useCall();
  // While joining, the producers are being created with the state chosen so far; changing it
  // midway would race with them.
  const busy = () => store.state === 'joining';
  return (
    <div class="controls" role="toolbar" aria-label="Call controls">
      <button
        type="button"
        class="control"
        classList={{ off: store.local.audioMuted }}
        data-testid="mic-button"
        data-state={store.local.audioMuted ? 'muted' : 'unmuted'}
        aria-pressed={store.local.audioMuted}
        title={store.local.audioMuted ? 'Unmute microphone' : 'Mute microphone'}
        disabled={busy()}
        onClick={() => void actions.toggleMic()}
      >
        <MicIcon off={store.local.audioMuted} />
        <span>{store.local.audioMuted ? 'Unmute' : 'Mute'}</span>
      </button>
      <button
        type="button"
        class="control"
        classList={{ off: store.local.videoMuted }}
        data-testid="camera-button"
        data-state={store.local.videoMuted ? 'off' : 'on'}
        aria-pressed={store.local.videoMuted}
        title={store.local.videoMuted ? 'Turn camera on' : 'Turn camera off'}
        disabled={busy()}
        onClick={() => void actions.toggleCamera()}
      >
        <CameraIcon off={store.local.videoMuted} />
        <span>{store.local.videoMuted ? 'Start video' : 'Stop video'}</span>
      </button>
      <Show when={props.inCall}>
        <button type="button" class="control leave" data-testid="leave-button" title="Leave the call" onClick={() => void actions.leave()}>
          <LeaveIcon />
          <span>Leave</span>
        </button>
      </Show>
    </div>
  );
}
