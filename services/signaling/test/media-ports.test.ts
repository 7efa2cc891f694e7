/**
 * An SFU whose media port range is used up, seen through signaling: createTransport is answered
 * `unavailable` naming the range (never `internal`, no error logged by signaling), for everyone while
 * the ports are taken, and served again once the peer holding them leaves. The SFU here has two
 * ports: one transport takes a UDP and a TCP port of the range, so two transports fill it.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { useSignalingLab } from './support/signalingLab.ts';

const PORTS = { min: 38_600, max: 38_601 };

const { lab, connect, newRoom } = useSignalingLab({
  roomPrefix: 'ports',
  env: { SFU_WORKERS: '1', SFU_RTC_MIN_PORT: String(PORTS.min), SFU_RTC_MAX_PORT: String(PORTS.max) },
});

test('no free media port → unavailable for everyone until ports are given back', async () => {
  const hog = await connect();
  await hog.call('join', { roomId: newRoom(), displayName: 'Hog' });
  let created = 0;
  let refusal;
  for (let attempt = 0; attempt < 4 && !refusal; attempt++) {
    const response = await hog.request('createTransport', { direction: 'recv' });
    if (response.ok) created += 1;
    else refusal = response.error;
  }
  expect(created).toBeGreaterThanOrEqual(1);
  expect(created).toBeLessThanOrEqual(2);
  expect(refusal).toMatchObject({ code: 'unavailable', message: expect.stringContaining(`no media port free in ${PORTS.min}..${PORTS.max}`) });

  const guest = await connect();
  await guest.call('join', { roomId: newRoom(), displayName: 'Guest' });
  expect(await guest.request('createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });

  await hog.call('leave', {});
  const transport = await guest.call('createTransport', { direction: 'send' });
  expect(transport.iceCandidates.length).toBeGreaterThan(0);

  const log = readFileSync(lab().logFiles.signaling!, 'utf8');
  expect(log.split('\n').filter((line) => line.includes('"level":50'))).toEqual([]);
});
