import { Show, onMount, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';
import { LocalPreview } from './LocalPreview.tsx';
import { MediaControls } from './MediaControls.tsx';
import { DeviceNotices } from './DeviceNotices.tsx';
import { DevicePickers } from './DevicePickers.tsx';

/** Room + name, with a camera preview and the mic / camera choice before joining. */
export function JoinForm(): JSX.Element {
  const { store, actions } = useCall();
  const joining = () => store.state === 'joining';

  let roomInput!: HTMLInputElement;
  let nameInput!: HTMLInputElement;
  let joinButton!: HTMLButtonElement;

  onMount(() => {
    // Preview only on a fresh page: after leaving, the camera stays off until the next join.
    if (store.state === 'idle') void actions.startPreview();
    // Focus where the person goes on: the first empty field (the name, for a shared link), or
    // Join when both are filled (after leaving). Not while a reload rejoins by itself.
    if (store.state !== 'joining') (!store.roomInput.trim() ? roomInput : !store.nameInput.trim() ? nameInput : joinButton).focus();
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    void actions.join();
  };

  return (
    <section class="join">
      <div class="join-preview">
        <LocalPreview />
        <MediaControls />
        <DeviceNotices />
        <DevicePickers />
      </div>
      {/* noValidate: the page validates with the protocol's own rules and explains in the banner. */}
      <form class="join-form" noValidate onSubmit={submit} aria-labelledby="join-heading">
        <h1 id="join-heading">{store.state === 'left' ? 'You left the call' : 'Join a call'}</h1>
        <label>
          <span>Room</span>
          <input
            ref={roomInput}
            data-testid="room-input"
            aria-describedby="room-hint"
            name="room"
            autocomplete="off"
            placeholder="e.g. standup"
            maxLength={64}
            value={store.roomInput}
            onInput={(event) => actions.setRoomInput(event.currentTarget.value)}
            disabled={joining()}
          />
        </label>
        <label>
          <span>Your name</span>
          <input
            ref={nameInput}
            data-testid="name-input"
            name="name"
            autocomplete="nickname"
            placeholder="e.g. Ada"
            maxLength={64}
            value={store.nameInput}
            onInput={(event) => actions.setNameInput(event.currentTarget.value)}
            disabled={joining()}
          />
        </label>
        <button ref={joinButton} type="submit" class="primary" data-testid="join-button" disabled={joining()}>
          <Show when={joining()} fallback={store.state === 'left' ? 'Join again' : 'Join'}>
            Joining…
          </Show>
        </button>
        <p class="hint" id="room-hint">Room names use letters, digits, “-” and “_” (up to 64).</p>
      </form>
    </section>
  );
}
