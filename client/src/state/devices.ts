/**
 * What the page shows of the local devices — each one's status and sentence, the lists for the
 * pickers, the chosen speaker, the screen share — mirrored from LocalMedia into a store, and the
 * actions the device controls take. CallStore owns the LocalMedia and hands the tracks to the call.
 */
import { createStore } from 'solid-js/store';
import type { MediaSource } from '@lab/proto/signaling';
import type { DeviceInfo, DeviceSource, DeviceStatus, LocalMedia } from '../media/LocalMedia.ts';
import { choicesOf, type DeviceChoice } from '../media/deviceChoices.ts';

export interface DevicesState {
  /** False on a non-secure origin (no devices at all). */
  supported: boolean;
  screenShareSupported: boolean;
  /** The browser can route sound to a chosen output (HTMLMediaElement.setSinkId). */
  speakerSelectable: boolean;
  mic: DeviceStatus;
  camera: DeviceStatus;
  cameras: DeviceChoice[];
  microphones: DeviceChoice[];
  speakers: DeviceChoice[];
  /** The device each source's track comes from now (null: none in use). */
  selected: { mic: string | null; camera: string | null };
  /** The chosen sound output ('' = the system's default). */
  speaker: string;
  /** The tracks in use now (the preview, the local screen tile). */
  tracks: Record<MediaSource, MediaStreamTrack | null>;
  /** A screen share is being asked for (the browser's picker is open). */
  screenStarting: boolean;
}

export interface DeviceActions {
  /** Asks for a device again (after a refusal, or when none was found). Resolves true once it is live. */
  retry(source: DeviceSource): Promise<boolean>;
  /** Switches to another camera / microphone. */
  select(source: DeviceSource, deviceId: string): Promise<void>;
  selectSpeaker(deviceId: string): void;
  /** Hides the sentence shown after a device was replaced by another. */
  dismissNotice(source: DeviceSource): void;
  toggleScreenShare(): Promise<void>;
}

export interface DevicesValue {
  devices: DevicesState;
  deviceActions: DeviceActions;
}

export function speakerSelectionSupported(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

export function createDevices(localMedia: LocalMedia, options: { onError(error: unknown): void }): DevicesValue {
  const [devices, setDevices] = createStore<DevicesState>({
    supported: localMedia.supported,
    screenShareSupported: localMedia.screenShareSupported,
    speakerSelectable: speakerSelectionSupported(),
    mic: localMedia.status('mic'),
    camera: localMedia.status('camera'),
    cameras: [],
    microphones: [],
    speakers: [],
    selected: { mic: null, camera: null },
    speaker: localMedia.preferences.get('speaker') ?? '',
    tracks: { mic: null, camera: null, screen: null },
    screenStarting: false,
  });

  const showList = (list: DeviceInfo[]) => {
    const choices = choicesOf(list);
    setDevices({ cameras: choices.cameras, microphones: choices.microphones, speakers: choices.speakers });
    // A chosen speaker that is gone: back to the default output.
    if (devices.speaker && list.length > 0 && !choices.speakers.some((speaker) => speaker.deviceId === devices.speaker)) {
      setDevices('speaker', '');
    }
  };

  localMedia.on('status', (source, status) => setDevices(source, status));
  // An event handler (LocalMedia's device list changed), which the Solid rule cannot tell from a
  // function passed somewhere it would not be tracked.
  // eslint-disable-next-line solid/reactivity
  localMedia.on('devices', showList);
  localMedia.on('track', ({ source, track }) => {
    setDevices('tracks', source, track);
    if (source !== 'screen') setDevices('selected', source, localMedia.deviceIdOf(source));
  });

  const deviceActions: DeviceActions = {
    retry: (source) => localMedia.request(source),
    async select(source, deviceId) {
      try {
        await localMedia.select(source, deviceId);
      } catch (error) {
        options.onError(error);
      }
    },
    selectSpeaker(deviceId) {
      localMedia.preferences.set('speaker', deviceId);
      setDevices('speaker', deviceId);
    },
    dismissNotice(source) {
      if (devices[source].state === 'live') setDevices(source, 'message', null);
    },
    async toggleScreenShare() {
      if (localMedia.track('screen')) {
        localMedia.stopScreenShare();
        return;
      }
      if (devices.screenStarting) return;
      setDevices('screenStarting', true);
      try {
        await localMedia.startScreenShare();
      } catch (error) {
        options.onError(error);
      } finally {
        setDevices('screenStarting', false);
      }
    },
  };

  return { devices, deviceActions };
}
