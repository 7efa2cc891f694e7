/**
 * The local microphone and camera: one MediaStream shared by the preview and the producers, so
 * turning the camera off before joining and in the call is the same operation.
 */
import type { MediaSource } from '@lab/proto/signaling';

/** 640x480 at 30 fps: Chromium's fake camera native size, and plenty for a grid of tiles. */
const VIDEO_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 640 },
  height: { ideal: 480 },
  frameRate: { ideal: 30 },
};

export class LocalMedia {
  #stream: MediaStream | null = null;
  #pending: Promise<MediaStream> | null = null;

  get stream(): MediaStream | null {
    return this.#stream;
  }

  /** Asks for mic + camera once; later calls return the same stream while it is live. */
  acquire(): Promise<MediaStream> {
    if (this.#stream) return Promise.resolve(this.#stream);
    this.#pending ??= navigator.mediaDevices
      .getUserMedia({ audio: true, video: VIDEO_CONSTRAINTS })
      .then((stream) => {
        this.#stream = stream;
        return stream;
      })
      .finally(() => {
        this.#pending = null;
      });
    return this.#pending;
  }

  track(source: MediaSource): MediaStreamTrack | null {
    const stream = this.#stream;
    if (!stream) return null;
    return (source === 'mic' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0]) ?? null;
  }

  /** Enables or disables a track (a disabled track sends silence / black frames). */
  setEnabled(source: MediaSource, enabled: boolean): void {
    const track = this.track(source);
    if (track) track.enabled = enabled;
  }

  /** Releases the devices (camera light off). Idempotent. */
  stop(): void {
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
  }
}

/** Turns a getUserMedia failure into a sentence a person can act on. */
export function describeMediaError(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
      return 'Camera and microphone access was denied; allow it in the browser to be seen and heard.';
    case 'NotFoundError':
      return 'No camera or microphone was found.';
    case 'NotReadableError':
      return 'The camera or microphone is in use by another application.';
    default:
      return `Cannot use the camera or microphone: ${error instanceof Error ? error.message : String(error)}`;
  }
}
