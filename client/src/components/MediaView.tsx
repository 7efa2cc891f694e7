import { UserFacingError } from '../errors/userMessage.ts';
import { createEffect, createMemo, onCleanup, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';

interface VideoViewProps {
  track: MediaStreamTrack | null | undefined;
  testId: string;
  class?: string;
  hidden?: boolean;
  /** Mirror horizontally (the local preview, like a mirror). */
  mirrored?: boolean;
  /** Called once per attached track, on its first presented frame (performance.now() timeline). */
  onFirstFrame?: (at: number) => void;
}

/** A <video> showing one track; always muted (sound plays through RemoteAudio). */
export function VideoView(props: VideoViewProps): JSX.Element {
  let video!: HTMLVideoElement;
  const stream = createMemo(() => (props.track ? new MediaStream([props.track]) : null));

  createEffect(() => {
    const current = stream();
    video.srcObject = current;
    const onFirstFrame = props.onFirstFrame;
    if (!current || !onFirstFrame) return;
    // requestVideoFrameCallback fires when a frame is actually presented, which is what a
    // person waits for (loadeddata would fire before anything is painted).
    const handle = video.requestVideoFrameCallback((now) => onFirstFrame(now));
    onCleanup(() => video.cancelVideoFrameCallback(handle));
  });

  return (
    <video
      ref={video}
      data-testid={props.testId}
      class={props.class}
      classList={{ mirrored: props.mirrored === true }}
      hidden={props.hidden}
      autoplay
      playsinline
      muted
    />
  );
}

interface RemoteAudioProps {
  track: MediaStreamTrack;
  onBlocked: () => void;
  onPlaying: () => void;
  onError: (error: unknown) => void;
}

/** Plays one remote audio track, on the speaker chosen in the device picker. */
export function RemoteAudio(props: RemoteAudioProps): JSX.Element {
  const { devices } = useCall();
  let audio!: HTMLAudioElement;
  createEffect(() => {
    const sinkId = devices.speaker;
    if (!devices.speakerSelectable || audio.sinkId === sinkId) return;
    const { onError } = props;
    audio.setSinkId(sinkId).catch((error: unknown) => onError(new UserFacingError('The sound cannot be played on the chosen speaker. Choose another one.', { cause: error })));
  });
  createEffect(() => {
    audio.srcObject = new MediaStream([props.track]);
    const { onPlaying, onBlocked, onError } = props;
    audio.play().then(onPlaying, (error: unknown) => {
      const name = error instanceof Error ? error.name : '';
      // Autoplay policy: a page that joined without a click (reload) must ask for one.
      if (name === 'NotAllowedError') onBlocked();
      // AbortError: the element got a new source or left the page before playing; nothing is lost.
      else if (name !== 'AbortError') onError(error);
    });
  });
  // A live call has no caption track to offer (the rule is written for recorded media).
  // eslint-disable-next-line jsx-a11y/media-has-caption
  return <audio ref={audio} data-testid="participant-audio" autoplay />;
}
