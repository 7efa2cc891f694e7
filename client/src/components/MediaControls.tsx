import { Show, type JSX } from 'solid-js';
import { ARIA_KEYSHORTCUTS, SHORTCUT_HINT } from '../a11y/keyboardShortcuts.ts';
import { useCall } from '../state/CallStore.tsx';
import { CameraIcon, LeaveIcon, MicIcon } from './icons.tsx';
import { ScreenShareButton } from './ScreenShareButton.tsx';

interface MediaControlsProps {
  /** Show the leave button (in a call). */
  inCall?: boolean;
  /** The mic button, for the call view to move focus to once joined. */
  micRef?: (button: HTMLButtonElement) => void;
}

/**
 * Mic, camera and (in a call) leave buttons; the same buttons before and during the call.
 * Toggle buttons follow one pattern: a fixed name and `aria-pressed` (pressed = muted / video
 * stopped), so a screen reader says "Mute, toggle button, pressed" and the name never changes.
 */
export function MediaControls(props: MediaControlsProps): JSX.Element {
  const { store, actions } = useCall();
  // While joining, the producers are being created with the state chosen so far; changing it
  // midway would race with them.
  const busy = () => store.state === 'joining';
  return (
    <div class="controls-area">
      <div class="controls" role="toolbar" aria-label="Call controls" aria-describedby="shortcut-hint">
        <button
          ref={props.micRef}
          type="button"
          class="control"
          classList={{ off: store.local.audioMuted }}
          data-testid="mic-button"
          data-state={store.local.audioMuted ? 'muted' : 'unmuted'}
          aria-pressed={store.local.audioMuted}
          aria-keyshortcuts={ARIA_KEYSHORTCUTS.mic}
          disabled={busy()}
          onClick={() => void actions.toggleMic()}
        >
          <MicIcon off={store.local.audioMuted} />
          <span class="control-label">Mute</span>
        </button>
        <button
          type="button"
          class="control"
          classList={{ off: store.local.videoMuted }}
          data-testid="camera-button"
          data-state={store.local.videoMuted ? 'off' : 'on'}
          aria-pressed={store.local.videoMuted}
          aria-keyshortcuts={ARIA_KEYSHORTCUTS.camera}
          disabled={busy()}
          onClick={() => void actions.toggleCamera()}
        >
          <CameraIcon off={store.local.videoMuted} />
          <span class="control-label">Stop video</span>
        </button>
        <Show when={props.inCall}>
          <ScreenShareButton />
          <button type="button" class="control leave" data-testid="leave-button" onClick={() => void actions.leave()}>
            <LeaveIcon />
            <span class="control-label">Leave</span>
          </button>
        </Show>
      </div>
      <p class="hint shortcut-hint" id="shortcut-hint" data-testid="shortcut-hint">
        Shortcuts: <kbd>{SHORTCUT_HINT.mic}</kbd> mute or unmute, <kbd>{SHORTCUT_HINT.camera}</kbd> stop or start video
      </p>
    </div>
  );
}
