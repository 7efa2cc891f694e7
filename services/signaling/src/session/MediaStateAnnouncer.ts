/**
 * Tells the room a peer's mute state (peerMediaChanged) when it changed, at most once per window:
 * the first change is announced at once; changes inside the window are folded into one
 * announcement at its end carrying the state then. So a client toggling setMuted as fast as it can
 * costs the others a bounded number of pushes, and the last push always carries the final state.
 */
export interface MediaState {
  audioMuted: boolean;
  videoMuted: boolean;
}

export interface MediaStateAnnouncerOptions {
  /** Shortest time between two announcements, in ms. */
  windowMs: number;
  /** The peer's state now. */
  current(): MediaState;
  /** Publishes the state to the room (a failure is the publisher's to log). */
  publish(state: MediaState): Promise<void>;
  /** False once the peer is leaving: a pending announcement is then dropped. */
  active(): boolean;
}

/** What peerJoined told the room: a peer starts with nothing produced, so muted both ways. */
const JOINED_STATE: MediaState = { audioMuted: true, videoMuted: true };

export class MediaStateAnnouncer {
  readonly #options: MediaStateAnnouncerOptions;
  #announced: MediaState = JOINED_STATE;
  #lastAt = -Infinity;
  #timer?: NodeJS.Timeout;

  constructor(options: MediaStateAnnouncerOptions) {
    this.#options = options;
  }

  /** The state may have changed: announce it now, or at the end of the current window. */
  async changed(): Promise<void> {
    if (this.#timer) return;
    const wait = this.#lastAt + this.#options.windowMs - performance.now();
    if (wait <= 0) {
      await this.#announceIfChanged();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#options.active()) void this.#announceIfChanged();
    }, wait);
  }

  /** The state was told to the room another way (with newProducer / producerClosed). */
  async announceNow(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#announceIfChanged();
  }

  /** The peer left: nothing more to announce. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #announceIfChanged(): Promise<void> {
    const now = this.#options.current();
    if (now.audioMuted === this.#announced.audioMuted && now.videoMuted === this.#announced.videoMuted) return;
    this.#announced = now;
    this.#lastAt = performance.now();
    await this.#options.publish(now);
  }
}
