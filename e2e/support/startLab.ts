/**
 * Starts the lab (SFU + signaling as real child processes) through the lead's scripts/lab.mjs, with
 * the mediasoup worker binary from the build cache.
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLab as startLabProcesses } from '../../scripts/lab.mjs';
import { DEFAULT_DATABASE_URL, type LabInfo } from './labInfo.ts';

const WORKER_CACHE = path.join(os.homedir(), '.cache/webrtc-lab/mediasoup-worker');

/**
 * MEDIASOUP_WORKER_BIN, else the cached build. Without either, fail with instructions rather than
 * letting lab.mjs start a 10-minute build inside a test run.
 */
function workerBinary(): string {
  if (process.env.MEDIASOUP_WORKER_BIN) return process.env.MEDIASOUP_WORKER_BIN;
  const cached = existsSync(WORKER_CACHE)
    ? readdirSync(WORKER_CACHE)
        .map((dir) => path.join(WORKER_CACHE, dir, 'mediasoup-worker'))
        .find((file) => existsSync(file))
    : undefined;
  if (!cached) {
    throw new Error(
      'mediasoup worker not built: run `bash scripts/mediasoup-worker/build.sh` (or set MEDIASOUP_WORKER_BIN)',
    );
  }
  return cached;
}

export interface RunningLab extends LabInfo {
  stop(): Promise<void>;
}

export async function startLab(options: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<RunningLab> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  process.env.MEDIASOUP_WORKER_BIN = workerBinary();
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
