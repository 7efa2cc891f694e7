import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import type { types as ms } from 'mediasoup';
import { ActiveSpeaker } from '../ActiveSpeaker.ts';
import type { SfuEventInit } from '../EventFeed.ts';

/** The parts of mediasoup's observer and producers ActiveSpeaker uses, driven by the test. */
class FakeObserver extends EventEmitter {
  closed = false;
  added: string[] = [];
  async addProducer({ producerId }: { producerId: string }): Promise<void> {
    this.added.push(producerId);
  }
  dominant(producer: FakeProducer): void {
    this.emit('dominantspeaker', { producer });
  }
}

class FakeProducer {
  readonly observer = new EventEmitter();
  paused = false;
  closed = false;
  readonly appData: { peerId: string };
  constructor(
    readonly id: string,
    peerId: string,
    readonly kind: 'audio' | 'video' = 'audio',
  ) {
    this.appData = { peerId };
  }
  pause(): void {
    this.paused = true;
    this.observer.emit('pause');
  }
  resume(): void {
    this.paused = false;
    this.observer.emit('resume');
  }
  close(): void {
    this.closed = true;
    this.observer.emit('close');
  }
}

function setup() {
  const observer = new FakeObserver();
  const published: SfuEventInit[] = [];
  const speaker = new ActiveSpeaker({
    roomId: 'room',
    observer: observer as unknown as ms.ActiveSpeakerObserver,
    publish: (event) => published.push(event),
    log: pino({ level: 'silent' }),
  });
  const add = async (producer: FakeProducer) => speaker.add(producer as unknown as ms.Producer<{ peerId: string }>);
  const speakers = () => published.map((event) => event.peerId);
  return { observer, speaker, add, published, speakers };
}

describe('ActiveSpeaker', () => {
  test('observes audio producers only and publishes each change of dominant speaker once', async () => {
    const { observer, add, published, speakers } = setup();
    const alice = new FakeProducer('a-mic', 'alice');
    const bob = new FakeProducer('b-mic', 'bob');
    await add(alice);
    await add(bob);
    await add(new FakeProducer('a-cam', 'alice', 'video'));
    expect(observer.added).toEqual(['a-mic', 'b-mic']);
    observer.dominant(alice);
    observer.dominant(alice);
    observer.dominant(bob);
    expect(speakers()).toEqual(['alice', 'bob']);
    expect(published[0]).toEqual({ roomId: 'room', peerId: 'alice', activeSpeakerChanged: { producerId: 'a-mic' } });
  });

  test('a paused (muted) producer is never published as speaking; it is again when it resumes while still dominant', async () => {
    const { observer, add, speakers, speaker } = setup();
    const alice = new FakeProducer('a-mic', 'alice');
    const bob = new FakeProducer('b-mic', 'bob');
    await add(alice);
    await add(bob);
    // The observer picks a paused producer when nobody is dominant yet: nobody is published.
    bob.pause();
    observer.dominant(bob);
    expect(speakers()).toEqual([]);
    observer.dominant(alice);
    alice.pause();
    expect(speakers()).toEqual(['alice', '']);
    expect(speaker.speakerPeerId).toBe('');
    // Bob's pause and resume say nothing: he is not the dominant speaker.
    bob.resume();
    expect(speakers()).toEqual(['alice', '']);
    alice.resume();
    expect(speakers()).toEqual(['alice', '', 'alice']);
  });

  test('the dominant speaker leaving publishes nobody until the observer names someone else', async () => {
    const { observer, add, speakers } = setup();
    const alice = new FakeProducer('a-mic', 'alice');
    const bob = new FakeProducer('b-mic', 'bob');
    await add(alice);
    await add(bob);
    observer.dominant(alice);
    bob.close();
    alice.close();
    observer.dominant(bob);
    expect(speakers()).toEqual(['alice', '']);
  });
});
