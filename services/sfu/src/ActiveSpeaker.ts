/**
 * Who speaks in a room: mediasoup's ActiveSpeakerObserver (dominant speaker identification, Volfin &
 * Cohen, as in Jitsi) over every audio producer of the room, published as ActiveSpeakerChanged.
 *
 * The observer alone is not what people should see, so its answer is gated here:
 * - it may name a producer that is paused (muted): 3.15.8 only skips paused producers as
 *   *challengers*; when nobody is dominant yet it takes the first producer it holds, paused or not,
 *   and a dominant speaker who mutes stays dominant until someone else speaks. A paused dominant
 *   speaker is therefore published as "nobody" (empty peer id), and published again when it resumes
 *   (the observer, with nobody louder meanwhile, still holds it dominant and would not say so again);
 * - it says nothing when the dominant producer closes and nobody replaces it: "nobody" then too.
 * Only changes are published.
 */
import type { types as ms } from 'mediasoup';
import type { Logger } from 'pino';
import type { PublishEvent } from './Peer.ts';

/**
 * How often the observer re-evaluates, in ms. mediasoup's default is 300; the algorithm's shortest
 * window is ~1 s of 20 ms audio levels, so a speaker change shows within 1-2 s either way.
 */
export const ACTIVE_SPEAKER_INTERVAL_MS = 300;

type AudioProducer = ms.Producer<{ peerId: string }>;

export class ActiveSpeaker {
  readonly #roomId: string;
  readonly #observer: ms.ActiveSpeakerObserver;
  readonly #publish: PublishEvent;
  readonly #log: Logger;
  /** The observer's latest dominant speaker (may be paused: see above). */
  #dominant: AudioProducer | undefined;
  /** The peer last published ('' = nobody). */
  #published = '';

  constructor(options: { roomId: string; observer: ms.ActiveSpeakerObserver; publish: PublishEvent; log: Logger }) {
    this.#roomId = options.roomId;
    this.#observer = options.observer;
    this.#publish = options.publish;
    this.#log = options.log;
    this.#observer.on('dominantspeaker', ({ producer }) => {
      this.#log.debug({ producerId: producer.id, paused: producer.paused }, 'dominant speaker (observer)');
      this.#dominant = producer as AudioProducer;
      this.#announce();
    });
  }

  /** The peer published as speaking now ('' = nobody). */
  get speakerPeerId(): string {
    return this.#published;
  }

  /** Observes an audio producer of the room (other kinds are ignored) until it closes. */
  async add(producer: AudioProducer): Promise<void> {
    if (producer.kind !== 'audio' || this.#observer.closed) return;
    const changed = () => {
      if (producer === this.#dominant) this.#announce();
    };
    producer.observer.on('pause', changed);
    producer.observer.on('resume', changed);
    producer.observer.once('close', () => {
      if (producer !== this.#dominant) return;
      // The observer drops a closed producer itself and may name a successor right after.
      this.#dominant = undefined;
      this.#announce();
    });
    try {
      await this.#observer.addProducer({ producerId: producer.id });
      this.#log.debug({ producerId: producer.id }, 'observing an audio producer for the active speaker');
    } catch (error) {
      // The producer or the router closed meanwhile: nothing to observe. Anything else is worth a line.
      if (!producer.closed && !this.#observer.closed) this.#log.warn({ err: error, producerId: producer.id }, 'could not observe an audio producer');
    }
  }

  #announce(): void {
    const dominant = this.#dominant;
    const speaker = dominant && !dominant.closed && !dominant.paused ? dominant.appData.peerId : '';
    if (speaker === this.#published) return;
    this.#published = speaker;
    this.#log.debug({ speakerPeerId: speaker || null }, 'active speaker');
    this.#publish({
      roomId: this.#roomId,
      peerId: speaker,
      activeSpeakerChanged: { producerId: speaker ? dominant!.id : '' },
    });
  }
}
