import { Show, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';
import { VideoView } from './MediaView.tsx';
import { SpeakingBadge } from './SpeakingBadge.tsx';

/** The local camera, mirrored; replaced by a placeholder while the camera is off. */
export function LocalPreview(props: { label?: string }): JSX.Element {
  const { store, devices } = useCall();
  const track = () => devices.tracks.camera;
  const visible = () => !store.local.videoMuted && track() !== null;
  const speaking = () => store.peerId !== null && store.activeSpeakerPeerId === store.peerId;
  return (
    <figure
      class="tile local"
      classList={{ speaking: speaking() }}
      data-testid="local-tile"
      data-speaking={speaking() ? 'true' : 'false'}
      aria-label={`${props.label ?? 'Your camera preview'}${speaking() ? ', speaking' : ''}`}
    >
      <VideoView testId="local-video" class="tile-video" track={track()} hidden={!visible()} mirrored />
      <Show when={!visible()}>
        <div class="avatar placeholder" data-testid="local-video-off">
          {store.local.videoMuted ? 'Camera is off' : 'No camera'}
        </div>
      </Show>
      <Show when={props.label}>
        <figcaption class="tile-caption">
          <span class="tile-name">{props.label}</span>
          <SpeakingBadge speaking={speaking()} />
        </figcaption>
      </Show>
    </figure>
  );
}
