/**
 * Starts the lab (SFU + signaling as real child processes) through scripts/lab.mjs, which also finds
 * the mediasoup worker binary (MEDIASOUP_WORKER_BIN, else the exact cached build).
 */
import { startLab as startLabProcesses } from '../../scripts/lab.mjs';
import { DEFAULT_DATABASE_URL, type LabInfo } from './labInfo.ts';

export interface RunningLab extends LabInfo {
  stop(): Promise<void>;
}

export async function startLab(options: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<RunningLab> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const lab = await startLabProcesses({ env: { DATABASE_URL: databaseUrl, ...options.env } });
  return {
    httpUrl: lab.httpUrl,
    wsUrl: lab.wsUrl,
    sfuAddress: lab.sfuAddress,
    sfuMetricsUrl: lab.sfuMetricsUrl,
    databaseUrl,
    logFiles: lab.logFiles,
    stop: lab.stop,
  };
}
