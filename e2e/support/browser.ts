/**
 * How every browser of the suite and the bench is started: Debian's Chromium (Playwright cannot
 * download its own here) with fake camera + microphone and no permission prompts.
 */
import type { LaunchOptions } from '@playwright/test';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  // The SFU speaks WebRTC over UDP; QUIC probing to the page origin only adds noise.
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Fake devices: a moving test pattern and a beep, granted without a prompt.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

export const launchOptions: LaunchOptions = {
  executablePath: CHROMIUM_PATH,
  args: CHROMIUM_ARGS,
};

export interface FakeDeviceOptions {
  /**
   * Camera and microphone are not granted without asking: the page gets only what the test grants
   * (BrowserContext.grantPermissions), and a request for anything else is refused (NotAllowedError),
   * as when a person clicks "Block". Screen sharing needs the automatic accept, so it fails then.
   */
  askForPermission?: boolean;
  /**
   * Fake cameras the browser offers (Chromium's fake capture factory; default 1). Each has its own
   * pixel format: fake_device_0 I420, fake_device_1 Y16 (a depth camera: its frames show in a
   * <video> but WebRTC sends none of them, 0 frames over 3 s), fake_device_2 MJPEG. A test that
   * sends from a second camera uses fake_device_2.
   */
  cameras?: number;
}

/** Chromium's flags for a browser with these fake devices. */
export function chromiumArgsFor(options: FakeDeviceOptions): string[] {
  return CHROMIUM_ARGS.flatMap((arg) => {
    if (arg === '--use-fake-ui-for-media-stream') return options.askForPermission ? [] : [arg];
    if (arg === '--use-fake-device-for-media-stream' && options.cameras !== undefined) return [`${arg}=device-count=${options.cameras}`];
    return [arg];
  });
}

/**
 * A browser inside a network namespace (support/impairment), loading pages from `origin`, an address
 * on the namespace's link: getUserMedia needs a secure context, and plain http is one only on
 * localhost unless the browser is told otherwise.
 */
export function launchOptionsIn(namespace: { chromiumExecutable(): string }, origin: string): LaunchOptions {
  return {
    executablePath: namespace.chromiumExecutable(),
    args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${origin}`],
  };
}

/** The files the fake devices play instead of Chromium's own pattern and beep (looped). */
export interface FakeMediaFiles {
  /** WAV (support/media/fakeAudio.ts, fakeMedia.ts). */
  audio?: string;
  /** y4m (support/media/fakeMedia.ts). */
  video?: string;
}

/** The same options, with the fake microphone and camera playing `files`; unchanged without files. */
export function withFakeMedia(options: LaunchOptions, files: FakeMediaFiles = {}): LaunchOptions {
  const args = [
    ...(files.audio ? [`--use-file-for-fake-audio-capture=${files.audio}`] : []),
    ...(files.video ? [`--use-file-for-fake-video-capture=${files.video}`] : []),
  ];
  return args.length ? { ...options, args: [...(options.args ?? []), ...args] } : options;
}
