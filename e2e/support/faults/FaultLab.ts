/**
 * A lab of its own for fault-recovery tests: the SFU and signaling as separate real processes on
 * fixed ports, so either can be killed (SIGKILL: a crash, not a shutdown) and started again where
 * the pages expect it, and a mediasoup worker can be killed under a live room.
 */
import { freePort, startLab, type Lab } from '../../../scripts/lab.mjs';
import { DEFAULT_DATABASE_URL } from '../labInfo.ts';
import { getRoom } from '../sfu.ts';

export interface FaultLabOptions {
  /** Extra environment of both processes (e.g. SFU_SIGNALING_LEASE_SECONDS). */
  env?: Record<string, string>;
}

type Ports = { sfuGrpcPort: number; sfuMetricsPort: number; signalingPort: number };

export class FaultLab {
  readonly databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  readonly #ports: Ports;
  readonly #env: Record<string, string>;
  #sfu?: Lab;
  #signaling?: Lab;

  private constructor(ports: Ports, env: Record<string, string>) {
    this.#ports = ports;
    this.#env = { DATABASE_URL: this.databaseUrl, ...env };
  }

  static async start(options: FaultLabOptions = {}): Promise<FaultLab> {
    const ports = { sfuGrpcPort: await freePort(), sfuMetricsPort: await freePort(), signalingPort: await freePort() };
    const lab = new FaultLab(ports, options.env ?? {});
    await lab.startSfu();
    await lab.startSignaling();
    return lab;
  }

  get httpUrl(): string {
    return `http://localhost:${this.#ports.signalingPort}`;
  }
  get signalingPort(): number {
    return this.#ports.signalingPort;
  }
  get sfuAddress(): string {
    return `127.0.0.1:${this.#ports.sfuGrpcPort}`;
  }

  async startSfu(): Promise<void> {
    this.#sfu = await startLab({ services: ['sfu'], ...this.#ports, env: this.#env });
  }

  async startSignaling(): Promise<void> {
    this.#signaling = await startLab({ services: ['signaling'], ...this.#ports, env: this.#env });
  }

  /** SIGKILL of the SFU process (its workers die with it). */
  async killSfu(): Promise<void> {
    await this.#sfu?.kill('sfu');
  }

  async killSignaling(): Promise<void> {
    await this.#signaling?.kill('signaling');
  }

  /** SIGKILL of the mediasoup worker process hosting `roomId`; returns its pid. */
  async killWorkerOf(roomId: string): Promise<number> {
    const room = await getRoom(this.sfuAddress, roomId);
    if (!room.exists || !room.workerPid) throw new Error(`the SFU hosts no room ${roomId}`);
    process.kill(room.workerPid, 'SIGKILL');
    return room.workerPid;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.#signaling?.stop(), this.#sfu?.stop()]);
  }
}
