import { Show, onMount, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';
import { LocalPreview } from './LocalPreview.tsx';
import { MediaControls } from './MediaControls.tsx';

/** Room + name, with a camera preview and the mic / camera choice before joining. */
export function JoinForm(): JSX.Element {
  const { store, actions } = useCall();
  const joining = () => store.state === 'joining';

  onMount(() => {
    // Preview only on a fresh page: after leaving, the camera stays off until the next join.
    if (store.state === 'idle') void actions.startPreview();
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
      </div>
      {/* noValidate: the page validates with the protocol's own rules and explains in the banner. */}
      <form class="join-form" noValidate onSubmit={submit}>
        <h1>{store.state === 'left' ? 'You left the call' : 'Join a call'}</h1>
        <label>
          <span>Room</span>
          <input
            data-testid="room-input"
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
        <button type="submit" class="primary" data-testid="join-button" disabled={joining()}>
          <Show when={joining()} fallback={store.state === 'left' ? 'Join again' : 'Join'}>
            Joining…
          </Show>
        </button>
        <p class="hint">Room names use letters, digits, “-” and “_” (up to 64).</p>
      </form>
    </section>
  );
}
