/**
 * Starts the real SFU and signaling processes through the lead's scripts/lab.mjs (free ports, health
 * waits, logs in .lab/logs), typed for the tests. The module is loaded by path at run time because it
 * is plain JavaScript outside this package.
 */
import { fileURLToPath } from 'node:url';

export interface Lab {
  httpUrl: string;
  wsUrl: string;
  sfuAddress: string;
  sfuMetricsUrl: string;
  logFiles: Record<string, string>;
  stop(): Promise<void>;
}

export interface LabOptions {
  services?: Array<'sfu' | 'signaling'>;
  env?: Record<string, string>;
  signalingPort?: number;
  sfuGrpcPort?: number;
}

interface LabModule {
  startLab(options?: LabOptions): Promise<Lab>;
  freePort(host?: string): Promise<number>;
  repoRoot: string;
}

const LAB_MODULE = fileURLToPath(new URL('../../../../scripts/lab.mjs', import.meta.url));

async function labModule(): Promise<LabModule> {
  return (await import(LAB_MODULE)) as LabModule;
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  return (await labModule()).startLab(options);
}

export async function freePort(): Promise<number> {
  return (await labModule()).freePort();
}
