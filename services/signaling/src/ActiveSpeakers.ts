/**
 * Who speaks in each room, as this instance last heard it from the SFU's event stream. Two moments
 * need it besides the `activeSpeaker` pushes themselves:
 * - a join: the SFU's answer names the speaker when it was asked, but a change whose event this
 *   instance sees before the newcomer is registered for pushes would be lost to it. An event seen
 *   after the question was asked is at least as new as the answer, so it wins (`forJoin`); a change
 *   seen after the registration reaches the newcomer as a push.
 * - a resume: pushes sent into the lost socket before the server noticed were lost with it, so the
 *   resume answer carries the current speaker (`current`).
 * Every instance watches every room's events, so a room without local peers is remembered too (for
 * the join race); such entries are forgotten once older than RACE_MEMORY_MS, checked as entries are
 * added, so memory follows the rooms this instance serves.
 */

/** Long enough for any join's SFU round trip; an older entry of a room with no local peer is dropped. */
const RACE_MEMORY_MS = 30_000;

interface Heard {
  peerId: string | null;
  /** performance.now() when the event was seen. */
  at: number;
}

export class ActiveSpeakers {
  readonly #rooms = new Map<string, Heard>();
  readonly #hasLocalPeers: (roomId: string) => boolean;
  readonly #now: () => number;
  /** Size above which the next change sweeps stale entries of rooms without local peers. */
  #sweepAbove = 64;

  constructor(hasLocalPeers: (roomId: string) => boolean, now: () => number = () => performance.now()) {
    this.#hasLocalPeers = hasLocalPeers;
    this.#now = now;
  }

  /** The SFU's event: `peerId` speaks in `roomId` now (null: nobody). */
  changed(roomId: string, peerId: string | null): void {
    this.#rooms.set(roomId, { peerId, at: this.#now() });
    if (this.#rooms.size > this.#sweepAbove) this.#sweep();
  }

  /** The room's media is gone (its router closed) or its last local peer left. */
  forget(roomId: string): void {
    this.#rooms.delete(roomId);
  }

  /**
   * The speaker to give a newcomer whose SFU question was sent at `askedAt` (performance.now()) and
   * answered `answer`: the last event seen since the question, else the answer. The answer is
   * remembered as the room's speaker when no newer event was seen (for later resumes).
   */
  forJoin(roomId: string, askedAt: number, answer: string | null): string | null {
    const heard = this.#rooms.get(roomId);
    if (heard && heard.at >= askedAt) return heard.peerId;
    this.#rooms.set(roomId, { peerId: answer, at: askedAt });
    return answer;
  }

  /** The room's speaker as last heard; null when nobody speaks or nothing was heard. */
  current(roomId: string): string | null {
    return this.#rooms.get(roomId)?.peerId ?? null;
  }

  get size(): number {
    return this.#rooms.size;
  }

  #sweep(): void {
    const oldest = this.#now() - RACE_MEMORY_MS;
    for (const [roomId, heard] of this.#rooms) {
      if (heard.at < oldest && !this.#hasLocalPeers(roomId)) this.#rooms.delete(roomId);
    }
    this.#sweepAbove = Math.max(64, this.#rooms.size * 2);
  }
}
