/**
 * The devices a person chose (camera, microphone, speaker), kept in localStorage so the next visit
 * starts with them. Device ids are per origin and stable across visits (until the site's data is
 * cleared). Storage that is unavailable (private modes, quotas) only means the choice is not kept.
 */
export type PreferredDevice = 'mic' | 'camera' | 'speaker';

const KEY_PREFIX = 'webrtc-lab.device.';

export class DevicePreferences {
  readonly #storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;

  constructor(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null = defaultStorage()) {
    this.#storage = storage;
  }

  get(device: PreferredDevice): string | null {
    try {
      return this.#storage?.getItem(KEY_PREFIX + device) || null;
    } catch {
      return null;
    }
  }

  set(device: PreferredDevice, deviceId: string | null): void {
    try {
      if (deviceId) this.#storage?.setItem(KEY_PREFIX + device, deviceId);
      else this.#storage?.removeItem(KEY_PREFIX + device);
    } catch (error) {
      console.warn('[media] could not remember the chosen device', error);
    }
  }
}

function defaultStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Reading localStorage itself throws where the browser blocks site data.
    return null;
  }
}
