/**
 * The device pickers' entries, from enumerateDevices(): by kind, each with a name a person can read.
 * Browsers hide labels (and sometimes ids) until a permission is given: those devices are numbered
 * ("Camera 2") instead of shown blank, and entries without an id (nothing to choose) are left out.
 */
import type { DeviceInfo } from './LocalMedia.ts';

export interface DeviceChoice {
  deviceId: string;
  label: string;
}

const NAMES: Record<MediaDeviceKind, string> = { videoinput: 'Camera', audioinput: 'Microphone', audiooutput: 'Speaker' };

export function choicesOf(list: readonly DeviceInfo[]): { cameras: DeviceChoice[]; microphones: DeviceChoice[]; speakers: DeviceChoice[] } {
  const of = (kind: MediaDeviceKind): DeviceChoice[] => {
    const seen = new Set<string>();
    return list
      .filter((device) => device.kind === kind && device.deviceId !== '' && !seen.has(device.deviceId) && seen.add(device.deviceId))
      .map((device, index) => ({ deviceId: device.deviceId, label: device.label || `${NAMES[kind]} ${index + 1}` }));
  };
  return { cameras: of('videoinput'), microphones: of('audioinput'), speakers: of('audiooutput') };
}
