import type { JSX } from 'solid-js';
import type { Participant } from '../state/CallStore.tsx';
import { VideoView } from './MediaView.tsx';

/** Another participant's screen share, as its own tile next to their camera tile. */
export function ScreenTile(props: { participant: Participant; track: MediaStreamTrack }): JSX.Element {
  return (
    <figure
      class="tile screen"
      data-testid="screen-tile"
      data-peer-id={props.participant.peerId}
      data-display-name={props.participant.displayName}
    >
      <VideoView testId="screen-video" class="tile-video" track={props.track} />
      <figcaption class="tile-caption">
        <span class="tile-name" data-testid="screen-name">{`${props.participant.displayName}'s screen`}</span>
      </figcaption>
    </figure>
  );
}

/** What this page shares, so the sharer sees it too. */
export function LocalScreenTile(props: { track: MediaStreamTrack }): JSX.Element {
  return (
    <figure class="tile screen local" data-testid="local-screen-tile">
      <VideoView testId="local-screen-video" class="tile-video" track={props.track} />
      <figcaption class="tile-caption">
        <span class="tile-name">Your screen</span>
      </figcaption>
    </figure>
  );
}
