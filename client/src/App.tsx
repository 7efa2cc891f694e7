import { Show, type JSX } from 'solid-js';
import { AudioBlockedBanner, ErrorBanner } from './components/ErrorBanner.tsx';
import { CallView } from './components/CallView.tsx';
import { JoinForm } from './components/JoinForm.tsx';
import { participantList, useCall } from './state/CallStore.tsx';

export function App(): JSX.Element {
  const { store } = useCall();
  // In the room as soon as the server took us in, while our own media is still being set up.
  const inRoom = () => store.state === 'joined' || (store.state === 'joining' && store.roomId !== null);
  return (
    <div class="app">
      <header class="topbar">
        <span class="brand">WebRTC Lab</span>
        <Show when={store.state === 'joined' && store.roomId}>
          {(room) => (
            <span class="room" data-testid="room-name">
              {room()} · {participantList(store).length + 1} in call
            </span>
          )}
        </Show>
        <span class="call-state" data-testid="call-state" data-state={store.state}>
          {store.state}
        </span>
      </header>
      <ErrorBanner />
      <AudioBlockedBanner />
      <main>
        <Show when={inRoom()} fallback={<JoinForm />}>
          <CallView />
        </Show>
      </main>
    </div>
  );
}
