import { For, type JSX } from 'solid-js';
import { participantList, useCall } from '../state/CallStore.tsx';
import { LocalPreview } from './LocalPreview.tsx';
import { MediaControls } from './MediaControls.tsx';
import { ParticipantTile } from './ParticipantTile.tsx';

/** The call: a grid with the local preview and one tile per other participant, controls below. */
export function CallView(): JSX.Element {
  const { store } = useCall();
  const participants = () => participantList(store);
  return (
    <section class="call">
      <div class="grid" data-count={participants().length + 1}>
        <LocalPreview label={`${store.nameInput} (you)`} />
        <For each={participants()}>{(participant) => <ParticipantTile participant={participant} />}</For>
      </div>
      <MediaControls inCall />
    </section>
  );
}
