import { Show, type JSX } from 'solid-js';
import { AudioBlockedBanner, ErrorBanner, ReconnectingBanner } from './components/ErrorBanner.tsx';
import { CallView } from './components/CallView.tsx';
import { JoinForm } from './components/JoinForm.tsx';
import { useKeyboardShortcuts } from './components/KeyboardShortcuts.tsx';
import { LiveAnnouncer } from './components/LiveAnnouncer.tsx';
import { useCall } from './state/CallStore.tsx';

/** Human words for the call state badge (its data-state keeps the machine value). */
const STATE_LABEL = { idle: 'Not in a call', joining: 'Joining…', joined: 'In call', left: 'Left', error: 'Disconnected' } as const;

export function App(): JSX.Element {
  const { store } = useCall();
  useKeyboardShortcuts();
  // In the room as soon as the server took us in, while our own media is still being set up.
  const inRoom = () => store.state === 'joined' || (store.state === 'joining' && store.roomId !== null);
  return (
    <div class="app">
      <header class="topbar">
        <span class="brand">WebRTC Lab</span>
        <span class="call-state" data-testid="call-state" data-state={store.state}>
          {store.state === 'joined' && store.connection === 'reconnecting' ? 'Reconnecting…' : STATE_LABEL[store.state]}
        </span>
      </header>
      <ErrorBanner />
      <ReconnectingBanner />
      <AudioBlockedBanner />
      <LiveAnnouncer />
      <main>
        <Show when={inRoom()} fallback={<JoinForm />}>
          <CallView />
        </Show>
      </main>
    </div>
  );
}
