/**
 * Keeps this instance's heartbeat fresh in signaling_instances and, on the same beat, closes the open
 * sessions of instances whose heartbeat went stale (they crashed or lost their host: nobody else would
 * ever end those sessions). At start it first closes what a previous run under the same instance id left open.
 */
import { moduleLogger } from '../logger.ts';
import { noopMetrics, type SignalingMetrics } from '../metrics.ts';
import type { InstanceRepository } from './InstanceRepository.ts';

const log = moduleLogger('InstanceHeartbeat');

export interface InstanceHeartbeatOptions {
  repository: Pick<InstanceRepository, 'heartbeat' | 'closeSessionsOfPreviousRun' | 'sweepLostInstances'>;
  instanceId: string;
  /** SIGNALING_INSTANCE_HEARTBEAT_SECONDS */
  heartbeatSeconds: number;
  /** SIGNALING_INSTANCE_GRACE_SECONDS */
  graceSeconds: number;
  metrics?: Pick<SignalingMetrics, 'lostInstanceSessionsClosed'>;
}

export class InstanceHeartbeat {
  readonly #options: InstanceHeartbeatOptions;
  readonly #metrics: Pick<SignalingMetrics, 'lostInstanceSessionsClosed'>;
  #timer?: NodeJS.Timeout;
  #beating?: Promise<void>;
  #stopped = false;

  constructor(options: InstanceHeartbeatOptions) {
    this.#options = options;
    this.#metrics = options.metrics ?? noopMetrics;
  }

  /** Closes the previous run's sessions, registers this run, then beats every heartbeatSeconds. */
  async start(): Promise<void> {
    const { repository, instanceId } = this.#options;
    const closed = await repository.closeSessionsOfPreviousRun(instanceId);
    if (closed > 0) {
      this.#metrics.lostInstanceSessionsClosed(closed);
      log.warn({ instanceId, sessions: closed }, 'closed sessions a previous run of this instance left open (instance_lost)');
    }
    this.#timer = setInterval(() => void this.beat(), this.#options.heartbeatSeconds * 1000);
    this.#timer.unref();
  }

  /** One heartbeat and sweep; a beat still running (a slow database) is not doubled. Never rejects. */
  beat(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#beating ??= this.#beatOnce().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  /** No more beats; resolves when the one in progress (if any) is over, so the database can be closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#beating;
  }

  async #beatOnce(): Promise<void> {
    const { repository, instanceId, graceSeconds } = this.#options;
    try {
      await repository.heartbeat(instanceId);
    } catch (error) {
      // Others close our sessions only after graceSeconds without one; the next beat may succeed.
      log.warn({ err: error }, 'could not write the instance heartbeat');
    }
    if (this.#stopped) return;
    try {
      for (const swept of await repository.sweepLostInstances(instanceId, graceSeconds)) {
        this.#metrics.lostInstanceSessionsClosed(swept.sessions);
        log.warn(swept, 'closed the sessions of a signaling instance that stopped heartbeating (instance_lost)');
      }
    } catch (error) {
      log.warn({ err: error }, 'could not sweep the sessions of lost instances');
    }
  }
}
