import { Show, type JSX } from 'solid-js';
import { useCall, type Participant } from '../state/CallStore.tsx';
import { RemoteAudio, VideoView } from './MediaView.tsx';
import { CameraIcon, MicIcon } from './icons.tsx';
import { createConnectionQuality } from './ConnectionQuality.tsx';
import { SpeakingBadge } from './SpeakingBadge.tsx';

/** Two letters for the avatar shown while a participant's camera is off. */
function initials(name: string): string {
  const words = name.trim().split(/\s+/);
  return ((words[0]?.[0] ?? '') + (words.length > 1 ? (words.at(-1)?.[0] ?? '') : (words[0]?.[1] ?? ''))).toUpperCase();
}

/** One other participant: their video (or avatar), name, mic / camera state, and their sound. */
export function ParticipantTile(props: { participant: Participant }): JSX.Element {
  const { store, actions } = useCall();
  const tracks = () => store.tracks[props.participant.peerId];
  const showVideo = () => !props.participant.videoMuted && tracks()?.camera !== undefined;
  const speaking = () => store.activeSpeakerPeerId === props.participant.peerId;
  const quality = createConnectionQuality(props);
  return (
    <figure
      class="tile"
      classList={{ speaking: speaking() }}
      data-speaking={speaking() ? 'true' : 'false'}
      data-testid="participant-tile"
      data-peer-id={props.participant.peerId}
      data-display-name={props.participant.displayName}
      aria-label={speaking() ? `${props.participant.displayName}, speaking` : props.participant.displayName}
    >
      <VideoView
        testId="participant-video"
        class="tile-video"
        track={tracks()?.camera?.track}
        hidden={!showVideo()}
        onFirstFrame={actions.remoteFramePresented}
      />
      <Show when={!showVideo()}>
        <div class="avatar" aria-hidden="true">
          {initials(props.participant.displayName)}
        </div>
      </Show>
      <Show when={tracks()?.mic?.track}>
        {(track) => (
          <RemoteAudio
            track={track()}
            onBlocked={actions.audioPlaybackBlocked}
            onPlaying={actions.audioPlaybackAllowed}
            onError={actions.reportError}
          />
        )}
      </Show>
      <figcaption class="tile-caption">
        <span class="tile-name" data-testid="participant-name">
          {props.participant.displayName}
        </span>
        <SpeakingBadge speaking={speaking()} />
        <span
          class="indicator"
          classList={{ off: props.participant.audioMuted }}
          data-testid="mic-state"
          data-state={props.participant.audioMuted ? 'muted' : 'unmuted'}
          title={props.participant.audioMuted ? 'Microphone muted' : 'Microphone on'}
        >
          <MicIcon off={props.participant.audioMuted} />
          {props.participant.audioMuted ? 'muted' : 'unmuted'}
        </span>
        <span
          class="indicator"
          classList={{ off: props.participant.videoMuted }}
          data-testid="camera-state"
          data-state={props.participant.videoMuted ? 'off' : 'on'}
          title={props.participant.videoMuted ? 'Camera off' : 'Camera on'}
        >
          <CameraIcon off={props.participant.videoMuted} />
          {props.participant.videoMuted ? 'off' : 'on'}
        </span>
        <quality.Indicator />
      </figcaption>
      <quality.Panel />
    </figure>
  );
}
