/** The heartbeat loop over a scripted repository: start-up clean-up, failures contained, no overlapping beats, a clean stop. */
import { describe, expect, test, vi } from 'vitest';
import { UnavailableError } from '../../errors.ts';
import { InstanceHeartbeat } from '../InstanceHeartbeat.ts';

function repository() {
  return {
    closeSessionsOfPreviousRun: vi.fn(async () => 2),
    heartbeat: vi.fn(async () => {}),
    sweepLostInstances: vi.fn(async () => [{ instanceId: 'dead:1', sessions: 3 }]),
  };
}

describe('InstanceHeartbeat', () => {
  test('start closes the previous run’s sessions; each beat heartbeats, then sweeps others; closed sessions are counted', async () => {
    const repo = repository();
    const closed: number[] = [];
    const heartbeat = new InstanceHeartbeat({
      repository: repo,
      instanceId: 'me:1',
      heartbeatSeconds: 3600,
      graceSeconds: 10_000,
      metrics: { lostInstanceSessionsClosed: (count) => closed.push(count) },
    });
    await heartbeat.start();
    expect(repo.closeSessionsOfPreviousRun).toHaveBeenCalledWith('me:1');
    await heartbeat.beat();
    expect(repo.heartbeat).toHaveBeenCalledWith('me:1');
    expect(repo.sweepLostInstances).toHaveBeenCalledWith('me:1', 10_000);
    expect(closed).toEqual([2, 3]);
    await heartbeat.stop();
  });

  test('a database failure in a beat is contained (the next beat tries again), and beats never overlap', async () => {
    const repo = repository();
    let release!: () => void;
    repo.heartbeat.mockImplementationOnce(() => new Promise<void>((resolve) => (release = resolve)));
    repo.sweepLostInstances.mockRejectedValueOnce(new UnavailableError('database unavailable'));
    const heartbeat = new InstanceHeartbeat({ repository: repo, instanceId: 'me:1', heartbeatSeconds: 3600, graceSeconds: 10_000 });
    const first = heartbeat.beat();
    const second = heartbeat.beat();
    expect(second).toBe(first);
    release();
    await expect(first).resolves.toBeUndefined();
    expect(repo.heartbeat).toHaveBeenCalledTimes(1);
    await heartbeat.beat();
    expect(repo.sweepLostInstances).toHaveBeenCalledTimes(2);
  });

  test('stop waits for the beat in progress and skips its sweep, so the database can be closed after it', async () => {
    const repo = repository();
    let release!: () => void;
    repo.heartbeat.mockImplementationOnce(() => new Promise<void>((resolve) => (release = resolve)));
    const heartbeat = new InstanceHeartbeat({ repository: repo, instanceId: 'me:1', heartbeatSeconds: 3600, graceSeconds: 10_000 });
    void heartbeat.beat();
    let stopped = false;
    const stopping = heartbeat.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(repo.sweepLostInstances).not.toHaveBeenCalled();
    await heartbeat.beat();
    expect(repo.heartbeat).toHaveBeenCalledTimes(1);
  });
});
