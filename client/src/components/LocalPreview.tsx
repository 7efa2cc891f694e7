import { Show, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';
import { VideoView } from './MediaView.tsx';

/** The local camera, mirrored; replaced by a placeholder while the camera is off. */
export function LocalPreview(props: { label?: string }): JSX.Element {
  const { store } = useCall();
  const track = () => store.local.stream?.getVideoTracks()[0] ?? null;
  const visible = () => !store.local.videoMuted && track() !== null;
  return (
    <figure class="tile local" data-testid="local-tile">
      <VideoView testId="local-video" class="tile-video" track={track()} hidden={!visible()} mirrored />
      <Show when={!visible()}>
        <div class="avatar placeholder" data-testid="local-video-off">
          {store.local.videoMuted ? 'Camera is off' : 'No camera'}
        </div>
      </Show>
      <Show when={props.label}>
        <figcaption class="tile-caption">
          <span class="tile-name">{props.label}</span>
        </figcaption>
      </Show>
    </figure>
  );
}
