/**
 * LocalMedia against a scripted navigator.mediaDevices: which device is refused, which ids exist,
 * which track ends. What the browser really does with them is covered by e2e/tests/devices.spec.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { DevicePreferences } from '../DevicePreferences.ts';
import { INSECURE_ORIGIN_MESSAGE, LocalMedia, type DeviceInfo, type LocalTrackChange, type MediaDevicesLike } from '../LocalMedia.ts';
import { choicesOf } from '../deviceChoices.ts';

class FakeTrack extends EventTarget {
  enabled = true;
  readyState: 'live' | 'ended' = 'live';
  contentHint = '';
  constructor(
    readonly kind: 'audio' | 'video',
    readonly deviceId: string,
    readonly label = deviceId,
  ) {
    super();
  }
  stop(): void {
    this.readyState = 'ended';
  }
  getSettings(): MediaTrackSettings {
    return { deviceId: this.deviceId };
  }
  /** What the browser does when the device goes away (track.stop() fires nothing). */
  unplug(): void {
    this.stop();
    this.dispatchEvent(new Event('ended'));
  }
}

const streamOf = (track: FakeTrack) =>
  ({
    getAudioTracks: () => (track.kind === 'audio' ? [track] : []),
    getVideoTracks: () => (track.kind === 'video' ? [track] : []),
  }) as unknown as MediaStream;

const domError = (name: string) => Object.assign(new Error(`${name} from the browser`), { name });

/** Scripted devices: `devices` listed; `refuse` by source; every getUserMedia recorded. */
function fakeDevices(options: { devices?: DeviceInfo[]; refuse?: { audio?: string; video?: string } } = {}) {
  const devices: DeviceInfo[] = options.devices ?? [
    { deviceId: 'mic-1', kind: 'audioinput', label: 'Desk mic' },
    { deviceId: 'cam-1', kind: 'videoinput', label: 'Front camera' },
    { deviceId: 'cam-2', kind: 'videoinput', label: 'USB camera' },
    { deviceId: 'out-1', kind: 'audiooutput', label: 'Headphones' },
  ];
  const calls: MediaStreamConstraints[] = [];
  const tracks: FakeTrack[] = [];
  const listeners: (() => void)[] = [];
  const refuse = { ...options.refuse };
  const pick = (kind: MediaDeviceKind, constraint: boolean | MediaTrackConstraints | undefined): DeviceInfo | undefined => {
    const wanted = typeof constraint === 'object' ? (constraint.deviceId as { exact?: string; ideal?: string } | undefined) : undefined;
    const ofKind = devices.filter((device) => device.kind === kind);
    if (wanted?.exact) return ofKind.find((device) => device.deviceId === wanted.exact);
    return ofKind.find((device) => device.deviceId === wanted?.ideal) ?? ofKind[0];
  };
  const mediaDevices: MediaDevicesLike = {
    async getUserMedia(constraints) {
      calls.push(constraints!);
      const kind = constraints!.audio ? 'audio' : 'video';
      const refusal = refuse[kind];
      if (refusal) throw domError(refusal);
      const device = pick(kind === 'audio' ? 'audioinput' : 'videoinput', constraints![kind]);
      if (!device) throw domError(typeof constraints![kind] === 'object' ? 'OverconstrainedError' : 'NotFoundError');
      const track = new FakeTrack(kind, device.deviceId, device.label);
      tracks.push(track);
      return streamOf(track);
    },
    async enumerateDevices() {
      return devices.map((device) => ({ ...device, groupId: '', toJSON: () => device })) as MediaDeviceInfo[];
    },
    addEventListener: ((type: string, listener: () => void) => {
      if (type === 'devicechange') listeners.push(listener);
    }) as MediaDevices['addEventListener'],
  };
  return { mediaDevices, calls, tracks, devices, refuse, changeDevices: () => listeners.forEach((listener) => listener()) };
}

function memoryPreferences() {
  const values = new Map<string, string>();
  return new DevicePreferences({
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  });
}

function record(media: LocalMedia): LocalTrackChange[] {
  const changes: LocalTrackChange[] = [];
  media.on('track', (change) => changes.push(change));
  return changes;
}

/** Lets the fallback after an 'ended' (enumerate, then getUserMedia) play out. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('LocalMedia', () => {
  it('asks for the microphone and the camera separately: the camera refused, the microphone still works', async () => {
    const fake = fakeDevices({ refuse: { video: 'NotAllowedError' } });
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences: memoryPreferences() });
    await media.acquire();

    expect(fake.calls.map((c) => Object.keys(c))).toEqual([['audio'], ['video']]);
    expect(media.track('mic')).not.toBeNull();
    expect(media.track('camera')).toBeNull();
    expect(media.status('mic')).toEqual({ state: 'live', message: null });
    expect(media.status('camera')).toEqual({
      state: 'denied',
      message:
        'The browser did not allow the camera, so the others cannot see you. Allow it in the site settings (the icon next to the address), then choose Try again.',
    });
  });

  it('names each problem in words for the device concerned: missing, in use, refused', async () => {
    const fake = fakeDevices({ refuse: { audio: 'NotFoundError', video: 'NotReadableError' } });
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences: memoryPreferences() });
    await media.acquire();
    expect(media.status('mic')).toEqual({ state: 'missing', message: 'No microphone was found, so the others cannot hear you. Connect one, then choose Try again.' });
    expect(media.status('camera').state).toBe('busy');
    expect(media.status('camera').message).toMatch(/^Your camera is in use by another application/);
  });

  it('asks again on "try again" and, once allowed, hands the new track on', async () => {
    const fake = fakeDevices({ refuse: { video: 'NotAllowedError' } });
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences: memoryPreferences() });
    const changes = record(media);
    await media.acquire();
    expect(changes.map((c) => c.source)).toEqual(['mic']);

    delete fake.refuse.video;
    await expect(media.request('camera')).resolves.toBe(true);
    expect(media.status('camera')).toEqual({ state: 'live', message: null });
    expect(changes.at(-1)).toMatchObject({ source: 'camera', previous: null });
    expect(changes.at(-1)!.track).toBe(media.track('camera'));
  });

  it('on a non-secure page (no navigator.mediaDevices) says https or localhost is needed, and asks for nothing', async () => {
    const media = new LocalMedia({ mediaDevices: null, preferences: memoryPreferences() });
    await media.acquire();
    await expect(media.request('camera')).resolves.toBe(false);
    expect(media.supported).toBe(false);
    expect(media.screenShareSupported).toBe(false);
    expect(media.status('camera')).toEqual({ state: 'unsupported', message: INSECURE_ORIGIN_MESSAGE });
    expect(INSECURE_ORIGIN_MESSAGE).toMatch(/https:\/\/.*localhost/);
  });

  it('a device chosen while the first one is still being asked for (the preview starting) is the one in use afterwards', async () => {
    const fake = fakeDevices();
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences: memoryPreferences() });
    const starting = media.acquire();
    await media.select('camera', 'cam-2');
    await starting;
    expect(media.deviceIdOf('camera')).toBe('cam-2');
    expect((fake.tracks.filter((track) => track.kind === 'video' && track.readyState === 'live')).map((track) => track.deviceId)).toEqual(['cam-2']);
  });

  it('switches to a chosen device: the new track replaces the old (stopped afterwards), and the choice is kept for next time', async () => {
    const fake = fakeDevices();
    const preferences = memoryPreferences();
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences });
    await media.acquire();
    const first = media.track('camera') as unknown as FakeTrack;
    const changes = record(media);

    await media.select('camera', 'cam-2');
    expect(fake.calls.at(-1)).toMatchObject({ video: { deviceId: { exact: 'cam-2' } } });
    expect(changes).toEqual([{ source: 'camera', track: media.track('camera'), previous: first }]);
    expect(first.readyState).toBe('ended');
    expect(media.deviceIdOf('camera')).toBe('cam-2');
    expect(preferences.get('camera')).toBe('cam-2');

    // The next visit asks for exactly that one (an ideal deviceId may lose to the size and rate wanted).
    const next = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences });
    await next.acquire();
    expect(fake.calls.at(-1)).toMatchObject({ video: { deviceId: { exact: 'cam-2' } } });
    expect(next.deviceIdOf('camera')).toBe('cam-2');

    // Gone by the visit after: whichever camera the browser offers.
    fake.devices.splice(fake.devices.findIndex((device) => device.deviceId === 'cam-2'), 1);
    const later = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences });
    await later.acquire();
    expect(later.track('camera')).not.toBeNull();
    expect(later.deviceIdOf('camera')).not.toBe('cam-2');
  });

  it('keeps the old device when the chosen one cannot be opened, and says why', async () => {
    const fake = fakeDevices();
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences: memoryPreferences() });
    await media.acquire();
    const before = media.track('camera');
    await expect(media.select('camera', 'cam-gone')).rejects.toThrow(/No camera was found/);
    expect(media.track('camera')).toBe(before);
  });

  it('a device unplugged mid-call is replaced by another of its kind, with a sentence', async () => {
    const fake = fakeDevices();
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences: memoryPreferences() });
    await media.acquire();
    const lost = media.track('camera') as unknown as FakeTrack;
    const changes = record(media);

    fake.devices.splice(fake.devices.findIndex((device) => device.deviceId === 'cam-1'), 1);
    lost.unplug();
    await settle();
    expect(media.deviceIdOf('camera')).toBe('cam-2');
    expect(changes).toEqual([{ source: 'camera', track: media.track('camera'), previous: lost }]);
    expect(media.status('camera')).toEqual({ state: 'live', message: 'Your camera (Front camera) stopped working; now using “USB camera”.' });
  });

  it('with no other device of its kind, an unplugged one leaves the source off and says so', async () => {
    const fake = fakeDevices();
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences: memoryPreferences() });
    await media.acquire();
    const lost = media.track('mic') as unknown as FakeTrack;
    const changes = record(media);
    lost.unplug();
    await settle();
    expect(media.track('mic')).toBeNull();
    expect(changes).toEqual([{ source: 'mic', track: null, previous: lost }]);
    expect(media.status('mic')).toEqual({
      state: 'disconnected',
      message: 'Your microphone was disconnected and there is no other one, so it is off. Connect one, then choose Try again.',
    });
  });

  it('lists the devices again when the browser says they changed', async () => {
    const fake = fakeDevices();
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences: memoryPreferences() });
    const lists: DeviceInfo[][] = [];
    media.on('devices', (list) => lists.push(list));
    fake.devices.push({ deviceId: 'cam-3', kind: 'videoinput', label: 'Dock camera' });
    fake.changeDevices();
    await settle();
    expect(lists.at(-1)?.map((device) => device.deviceId)).toContain('cam-3');
  });

  it('a screen share ends when the browser ends its track ("Stop sharing"), and a cancelled picker is no error', async () => {
    const fake = fakeDevices();
    const screen = new FakeTrack('video', 'screen:0', 'screen:0');
    const getDisplayMedia = vi.fn<NonNullable<MediaDevicesLike['getDisplayMedia']>>().mockResolvedValueOnce(streamOf(screen)).mockRejectedValueOnce(domError('NotAllowedError'));
    const media = new LocalMedia({ mediaDevices: { ...fake.mediaDevices, getDisplayMedia }, preferences: memoryPreferences() });
    const changes = record(media);

    await expect(media.startScreenShare()).resolves.toBe(screen);
    expect(getDisplayMedia).toHaveBeenCalledWith({ video: { frameRate: { ideal: 15, max: 15 } }, audio: false });
    expect(screen.contentHint).toBe('detail');
    screen.unplug();
    expect(media.track('screen')).toBeNull();
    expect(changes).toEqual([
      { source: 'screen', track: screen, previous: null },
      { source: 'screen', track: null, previous: screen },
    ]);

    await expect(media.startScreenShare()).resolves.toBeNull();
    expect(changes).toHaveLength(2);
  });

  it('stop() releases every device and says so once', async () => {
    const fake = fakeDevices();
    const media = new LocalMedia({ mediaDevices: fake.mediaDevices, preferences: memoryPreferences() });
    await media.acquire();
    const changes = record(media);
    media.stop();
    media.stop();
    expect(fake.tracks.every((track) => track.readyState === 'ended')).toBe(true);
    expect(changes.map((c) => [c.source, c.track])).toEqual([
      ['mic', null],
      ['camera', null],
    ]);
  });
});

describe('choicesOf', () => {
  it('names devices whose labels the browser hides, drops entries without an id and repeats', () => {
    const choices = choicesOf([
      { deviceId: '', kind: 'videoinput', label: '' },
      { deviceId: 'a', kind: 'videoinput', label: '' },
      { deviceId: 'b', kind: 'videoinput', label: 'USB camera' },
      { deviceId: 'b', kind: 'videoinput', label: 'USB camera' },
      { deviceId: 'default', kind: 'audiooutput', label: 'Default' },
    ]);
    expect(choices).toEqual({
      cameras: [
        { deviceId: 'a', label: 'Camera 1' },
        { deviceId: 'b', label: 'USB camera' },
      ],
      microphones: [],
      speakers: [{ deviceId: 'default', label: 'Default' }],
    });
  });
});
