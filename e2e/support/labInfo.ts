/**
 * Where the running lab is, as written by globalSetup (one lab for the whole run) and read by the
 * tests' fixtures, which run in worker processes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LabInfo {
  /** The call page and signaling HTTP (http://localhost:PORT: a secure context for getUserMedia). */
  httpUrl: string;
  wsUrl: string;
  /** host:port of the SFU's gRPC API. */
  sfuAddress: string;
  sfuMetricsUrl: string;
  /** The PostgreSQL database signaling writes sessions to. */
  databaseUrl: string;
  logFiles: Record<string, string>;
}

export const E2E_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = path.resolve(E2E_DIR, '..');
const LAB_INFO_FILE = path.join(E2E_DIR, '.lab', 'lab.json');

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function writeLabInfo(info: LabInfo): void {
  mkdirSync(path.dirname(LAB_INFO_FILE), { recursive: true });
  writeFileSync(LAB_INFO_FILE, JSON.stringify(info, null, 2));
}

export function readLabInfo(): LabInfo {
  try {
    return JSON.parse(readFileSync(LAB_INFO_FILE, 'utf8')) as LabInfo;
  } catch (error) {
    throw new Error(`no running lab (${LAB_INFO_FILE}): run the suite through playwright.config.ts (globalSetup starts it)`, {
      cause: error,
    });
  }
}
