import { For, Show, createEffect, createSignal, on, onCleanup, type JSX } from 'solid-js';
import { participantList, useCall } from '../state/CallStore.tsx';
import { DeviceNotices } from './DeviceNotices.tsx';
import { DevicePickers } from './DevicePickers.tsx';
import { LocalPreview } from './LocalPreview.tsx';
import { MediaControls } from './MediaControls.tsx';
import { ParticipantTile } from './ParticipantTile.tsx';
import { LinkIcon } from './icons.tsx';
import { LocalScreenTile, ScreenTile } from './ScreenTile.tsx';

/** How long "Link copied" stays next to the button. */
const COPIED_NOTICE_MS = 3_000;

/**
 * The call: a heading with the room and its link, the tiles (a screen share as its own tile right
 * after its sharer's), and the controls and device choice below.
 */
export function CallView(): JSX.Element {
  const { store, actions, devices } = useCall();
  const participants = () => participantList(store);
  const tileCount = () =>
    1 +
    (devices.tracks.screen ? 1 : 0) +
    participants().reduce((count, participant) => count + (store.tracks[participant.peerId]?.screen ? 2 : 1), 0);
  const [copied, setCopied] = createSignal(false);
  let micButton: HTMLButtonElement | undefined;
  let copiedTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(copiedTimer));

  // Once joined, focus goes to the controls (the join button it was on is gone), so a keyboard
  // user can mute at once; the mic button is disabled until then.
  createEffect(
    on(
      () => store.state === 'joined',
      (joined) => {
        if (joined) micButton?.focus();
      },
    ),
  );

  const copyLink = async () => {
    if (!(await actions.copyLink())) return;
    setCopied(true);
    clearTimeout(copiedTimer);
    copiedTimer = setTimeout(() => setCopied(false), COPIED_NOTICE_MS);
  };

  return (
    <section class="call" aria-labelledby="call-heading">
      <div class="call-header">
        <h1 id="call-heading" data-testid="call-heading">
          Call in {store.roomId ?? store.roomInput}
        </h1>
        <span class="call-count" data-testid="call-count">
          {participants().length + 1} in call
        </span>
        <button type="button" class="control small" data-testid="copy-link-button" onClick={() => void copyLink()}>
          <LinkIcon />
          <span class="control-label">Copy link</span>
        </button>
        <Show when={copied()}>
          <span class="copied" data-testid="link-copied">
            Link copied
          </span>
        </Show>
      </div>
      <div class="grid" data-count={tileCount()}>
        <LocalPreview label={`${store.nameInput} (you)`} />
        <Show when={devices.tracks.screen}>{(track) => <LocalScreenTile track={track()} />}</Show>
        <For each={participants()}>
          {(participant) => (
            <>
              <ParticipantTile participant={participant} />
              <Show when={store.tracks[participant.peerId]?.screen?.track}>
                {(track) => <ScreenTile participant={participant} track={track()} />}
              </Show>
            </>
          )}
        </For>
      </div>
      <DeviceNotices />
      <MediaControls inCall micRef={(button) => (micButton = button)} />
      <details class="device-settings" data-testid="device-settings">
        <summary>Devices</summary>
        <DevicePickers />
      </details>
    </section>
  );
}
