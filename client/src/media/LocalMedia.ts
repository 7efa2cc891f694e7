/**
 * The local devices: microphone, camera and a screen share, each its own track. The microphone and
 * the camera are asked for separately, so a person may refuse (or not have) one and still be heard
 * or seen through the other; each has a status with a sentence saying what went wrong and what to do.
 * The preview and the producers use these tracks; whoever sends them listens to `track` events,
 * which say when a track was switched (another device chosen, or the one in use unplugged and another
 * taken instead), appeared (granted after a refusal, screen share started) or went (unplugged with no
 * other, screen share stopped).
 */
import { UserFacingError } from '../errors/userMessage.ts';
import type { MediaSource } from '@lab/proto/signaling';
import { Emitter } from '../lib/Emitter.ts';
import { DevicePreferences } from './DevicePreferences.ts';

/** The devices a person turns on and off: the screen share is not one of them. */
export type DeviceSource = 'mic' | 'camera';

/** What is known of a device's use now. */
export type DeviceState =
  | 'idle'
  | 'requesting'
  | 'live'
  /** The page is not a secure context: the browser offers no devices at all. */
  | 'unsupported'
  | 'denied'
  | 'missing'
  | 'busy'
  /** Was live, then ended (unplugged) and there was no other device of its kind. */
  | 'disconnected'
  | 'failed';

export interface DeviceStatus {
  state: DeviceState;
  /** A sentence for the person: what happened and what to do (also set when live after a fallback). */
  message: string | null;
}

export interface DeviceInfo {
  deviceId: string;
  kind: MediaDeviceKind;
  label: string;
}

export interface LocalTrackChange {
  source: MediaSource;
  /** The track to send now; null: nothing to send for this source any more. */
  track: MediaStreamTrack | null;
  /** The track it replaces (already stopped when it ended on its own). */
  previous: MediaStreamTrack | null;
}

export type LocalMediaEvents = {
  track: [LocalTrackChange];
  status: [source: DeviceSource, status: DeviceStatus];
  devices: [DeviceInfo[]];
};

/** The part of navigator.mediaDevices the page uses (unit tests pass their own). */
export type MediaDevicesLike = Pick<MediaDevices, 'getUserMedia' | 'enumerateDevices' | 'addEventListener'> &
  Partial<Pick<MediaDevices, 'getDisplayMedia'>>;

/** 640x480 at 30 fps: Chromium's fake camera native size, and plenty for a grid of tiles. */
const VIDEO_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 640 },
  height: { ideal: 480 },
  frameRate: { ideal: 30 },
};

/**
 * Screens change little from frame to frame and are read, not watched: 15 fps is what meeting tools
 * send, and it halves the encoder's work on a busy machine.
 */
const SCREEN_CONSTRAINTS: MediaTrackConstraints = { frameRate: { ideal: 15, max: 15 } };

const KIND_OF: Record<DeviceSource, MediaDeviceKind> = { mic: 'audioinput', camera: 'videoinput' };
const NAME_OF: Record<DeviceSource, string> = { mic: 'microphone', camera: 'camera' };

export const INSECURE_ORIGIN_MESSAGE =
  'This page can use a camera and microphone only over a secure connection: open it with https:// (or, on this computer, at http://localhost).';

export interface LocalMediaOptions {
  /** Default: navigator.mediaDevices (absent on a non-secure origin). */
  mediaDevices?: MediaDevicesLike | null;
  /** Default: the chosen devices in localStorage. */
  preferences?: DevicePreferences;
}

export class LocalMedia extends Emitter<LocalMediaEvents> {
  readonly #devices: MediaDevicesLike | null;
  readonly #preferences: DevicePreferences;
  readonly #tracks: Record<MediaSource, MediaStreamTrack | null> = { mic: null, camera: null, screen: null };
  readonly #status: Record<DeviceSource, DeviceStatus>;
  readonly #pending: Partial<Record<DeviceSource, Promise<boolean>>> = {};
  /** Whether each device's track should be enabled (mute chosen on the join form). */
  readonly #enabled: Record<DeviceSource, boolean> = { mic: true, camera: true };
  #deviceList: DeviceInfo[] = [];
  /** The mic and camera tracks in one stream, for whoever wants a stream. */
  #stream: MediaStream | null = null;

  constructor(options: LocalMediaOptions = {}) {
    super();
    this.#devices = options.mediaDevices !== undefined ? options.mediaDevices : (globalThis.navigator?.mediaDevices ?? null);
    this.#preferences = options.preferences ?? new DevicePreferences();
    const initial: DeviceStatus = this.#devices ? { state: 'idle', message: null } : { state: 'unsupported', message: INSECURE_ORIGIN_MESSAGE };
    this.#status = { mic: { ...initial }, camera: { ...initial } };
    // A device plugged in or out: the pickers list what is there now.
    this.#devices?.addEventListener('devicechange', () => void this.refreshDevices());
  }

  /** False on a non-secure origin: the browser gives the page no devices at all. */
  get supported(): boolean {
    return this.#devices !== null;
  }

  get screenShareSupported(): boolean {
    return typeof this.#devices?.getDisplayMedia === 'function';
  }

  get preferences(): DevicePreferences {
    return this.#preferences;
  }

  /** The live mic and camera tracks in one stream (null before any was acquired). */
  get stream(): MediaStream | null {
    return this.#stream;
  }

  status(source: DeviceSource): DeviceStatus {
    return { ...this.#status[source] };
  }

  track(source: MediaSource): MediaStreamTrack | null {
    return this.#tracks[source];
  }

  /** The device a source's track comes from (its id, as in enumerateDevices), if any. */
  deviceIdOf(source: DeviceSource): string | null {
    return this.#tracks[source]?.getSettings().deviceId ?? null;
  }

  get devices(): DeviceInfo[] {
    return [...this.#deviceList];
  }

  /**
   * Asks for the microphone and the camera, each on its own, unless already live; settles when both
   * have an answer. Never rejects: each outcome is in status().
   */
  async acquire(): Promise<void> {
    await Promise.all((['mic', 'camera'] as const).map((source) => (this.#tracks[source] ? true : this.request(source))));
  }

  /**
   * Asks for one device (again: the "try again" after a refusal), preferring the one chosen last
   * time. Resolves true when its track is live.
   */
  request(source: DeviceSource): Promise<boolean> {
    if (!this.#devices) return Promise.resolve(false);
    if (this.#tracks[source]) return Promise.resolve(true);
    this.#pending[source] ??= this.#openPreferred(source)
      .then(
        (track) => {
          this.#setTrack(source, track);
          this.#setStatus(source, { state: 'live', message: null });
          void this.refreshDevices();
          return true;
        },
        (error: unknown) => {
          // The browser's own wording, for whoever debugs the page; the person gets the sentence.
          console.warn(`[devices] ${source}:`, error);
          this.#setStatus(source, { state: stateOf(error), message: describeDeviceError(source, error) });
          return false;
        },
      )
      .finally(() => delete this.#pending[source]);
    return this.#pending[source];
  }

  /**
   * Switches a source to another device (the picker): the new track replaces the old one, which is
   * then stopped. Remembered for the next visit. Rejects with a sentence when that device cannot be
   * opened; the old one stays in use then.
   */
  async select(source: DeviceSource, deviceId: string): Promise<void> {
    this.#preferences.set(source, deviceId);
    if (!this.#devices) return;
    if (this.deviceIdOf(source) === deviceId) return;
    if (!this.#tracks[source]) {
      // Not in use yet: asked for now (preferring the choice), or already being asked for (the
      // preview starting), in which case the browser may answer with another device: switched below.
      await this.request(source);
      if (!this.#tracks[source] || this.deviceIdOf(source) === deviceId) return;
    }
    let track: MediaStreamTrack;
    try {
      track = await this.#open(source, deviceId, 'exact');
    } catch (error) {
      throw new Error(describeDeviceError(source, error));
    }
    this.#setTrack(source, track);
    this.#setStatus(source, { state: 'live', message: null });
  }

  /** Enables or disables a device's track (a disabled track sends silence / black frames). */
  setEnabled(source: DeviceSource, enabled: boolean): void {
    this.#enabled[source] = enabled;
    const track = this.#tracks[source];
    if (track) track.enabled = enabled;
  }

  /** Lists the devices now (labels only once a permission was given). */
  async refreshDevices(): Promise<DeviceInfo[]> {
    if (!this.#devices) return [];
    try {
      const listed = await this.#devices.enumerateDevices();
      this.#deviceList = listed.map(({ deviceId, kind, label }) => ({ deviceId, kind, label }));
    } catch (error) {
      console.warn('[media] could not list the devices', error);
    }
    this.emit('devices', this.devices);
    return this.devices;
  }

  /**
   * Asks the browser to share a screen, window or tab. Resolves with the track, or null when the
   * person cancelled the browser's picker. A share already running is returned as it is.
   */
  async startScreenShare(): Promise<MediaStreamTrack | null> {
    if (this.#tracks.screen) return this.#tracks.screen;
    if (!this.#devices?.getDisplayMedia) throw new UserFacingError('This browser cannot share a screen.');
    let stream: MediaStream;
    try {
      stream = await this.#devices.getDisplayMedia({ video: SCREEN_CONSTRAINTS, audio: false });
    } catch (error) {
      if (error instanceof Error && error.name === 'NotAllowedError') return null;
      throw new UserFacingError('Your screen could not be shared. Choose Share screen to try again.', { cause: error });
    }
    const track = stream.getVideoTracks()[0];
    if (!track) throw new UserFacingError('The browser shared no picture of the screen. Choose Share screen to try again.');
    // Text and lines matter more than motion: keep the resolution, drop frames if needed.
    if ('contentHint' in track) track.contentHint = 'detail';
    // The browser's own "Stop sharing" ends the track without the page asking.
    track.addEventListener('ended', () => {
      if (this.#tracks.screen === track) this.stopScreenShare();
    });
    const previous = this.#tracks.screen;
    this.#tracks.screen = track;
    this.emit('track', { source: 'screen', track, previous });
    return track;
  }

  /** Stops the screen share (idempotent). */
  stopScreenShare(): void {
    const track = this.#tracks.screen;
    if (!track) return;
    this.#tracks.screen = null;
    track.stop();
    this.emit('track', { source: 'screen', track: null, previous: track });
  }

  /** Releases every device (camera light off). Idempotent. */
  stop(): void {
    this.stopScreenShare();
    for (const source of ['mic', 'camera'] as const) {
      const track = this.#tracks[source];
      if (!track) continue;
      this.#tracks[source] = null;
      track.stop();
      this.emit('track', { source, track: null, previous: track });
      if (this.#status[source].state === 'live') this.#setStatus(source, { state: 'idle', message: null });
    }
    this.#stream = null;
  }

  /**
   * The device chosen last time, exactly: as an `ideal` deviceId it only weighs against the other
   * constraints (size, rate), and a browser may well pick another camera that fits them better. When
   * that device is gone (or none was chosen), whichever the browser offers.
   */
  async #openPreferred(source: DeviceSource): Promise<MediaStreamTrack> {
    const preferred = this.#preferences.get(source);
    if (preferred) {
      try {
        return await this.#open(source, preferred, 'exact');
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (name !== 'OverconstrainedError' && name !== 'NotFoundError') throw error;
      }
    }
    return this.#open(source, null, 'ideal');
  }

  #open(source: DeviceSource, deviceId: string | null, how: 'ideal' | 'exact'): Promise<MediaStreamTrack> {
    const devices = this.#devices!;
    this.#setStatus(source, { state: 'requesting', message: null });
    const choice: MediaTrackConstraints = deviceId ? { deviceId: { [how]: deviceId } } : {};
    const constraints: MediaStreamConstraints =
      source === 'mic' ? { audio: deviceId ? choice : true } : { video: { ...VIDEO_CONSTRAINTS, ...choice } };
    return devices.getUserMedia(constraints).then((stream) => {
      const track = source === 'mic' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
      if (!track) throw Object.assign(new Error(`the browser gave no ${NAME_OF[source]} track`), { name: 'NotFoundError' });
      return track;
    });
  }

  /** Puts `track` in use for `source`, tells the senders, stops the one it replaces. */
  #setTrack(source: DeviceSource, track: MediaStreamTrack | null): void {
    const previous = this.#tracks[source];
    if (previous === track) return;
    this.#tracks[source] = track;
    if (track) {
      track.enabled = this.#enabled[source];
      track.addEventListener('ended', () => void this.#onEnded(source, track));
    }
    this.#stream ??= typeof MediaStream === 'function' ? new MediaStream() : null;
    if (previous) this.#stream?.removeTrack(previous);
    if (track) this.#stream?.addTrack(track);
    this.emit('track', { source, track, previous });
    previous?.stop();
  }

  /**
   * A device's track ended without the page asking (unplugged, taken by the system): another device
   * of that kind is taken instead if there is one; otherwise the source is off, with a sentence.
   */
  async #onEnded(source: DeviceSource, track: MediaStreamTrack): Promise<void> {
    if (this.#tracks[source] !== track) return;
    const lostId = track.getSettings().deviceId;
    const lostLabel = track.label;
    const kind = KIND_OF[source];
    const candidates = (await this.refreshDevices()).filter(
      (device) => device.kind === kind && device.deviceId !== lostId && device.deviceId !== '',
    );
    // "default" follows the system's choice, which moves to another device after an unplug: try the
    // real devices first, then it.
    candidates.sort((a, b) => Number(a.deviceId === 'default') - Number(b.deviceId === 'default'));
    for (const candidate of candidates) {
      if (this.#tracks[source] !== track) return;
      try {
        const replacement = await this.#open(source, candidate.deviceId, 'exact');
        if (this.#tracks[source] !== track) {
          replacement.stop();
          return;
        }
        this.#setTrack(source, replacement);
        const name = NAME_OF[source];
        this.#setStatus(source, {
          state: 'live',
          message: `Your ${name}${lostLabel ? ` (${lostLabel})` : ''} stopped working; now using ${candidate.label ? `“${candidate.label}”` : `another ${name}`}.`,
        });
        return;
      } catch (error) {
        console.warn(`[media] could not switch the ${NAME_OF[source]} to ${candidate.label || candidate.deviceId}`, error);
      }
    }
    if (this.#tracks[source] !== track) return;
    this.#setTrack(source, null);
    this.#setStatus(source, {
      state: 'disconnected',
      message: `Your ${NAME_OF[source]} was disconnected and there is no other one, so it is off. Connect one, then choose Try again.`,
    });
  }

  #setStatus(source: DeviceSource, status: DeviceStatus): void {
    this.#status[source] = status;
    this.emit('status', source, { ...status });
  }
}

function stateOf(error: unknown): DeviceState {
  switch (error instanceof Error ? error.name : '') {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    default:
      return 'failed';
  }
}

/** Turns a getUserMedia failure for one device into a sentence a person can act on. */
export function describeDeviceError(source: DeviceSource, error: unknown): string {
  const name = NAME_OF[source];
  const consequence = source === 'mic' ? 'the others cannot hear you' : 'the others cannot see you';
  switch (stateOf(error)) {
    case 'denied':
      return `The browser did not allow the ${name}, so ${consequence}. Allow it in the site settings (the icon next to the address), then choose Try again.`;
    case 'missing':
      return `No ${name} was found, so ${consequence}. Connect one, then choose Try again.`;
    case 'busy':
      return `Your ${name} is in use by another application or could not start, so ${consequence}. Close that application, then choose Try again.`;
    default:
      // The browser's own wording is in the console (logged where the request failed).
      return `Your ${name} could not be started, so ${consequence}. Choose Try again.`;
  }
}
