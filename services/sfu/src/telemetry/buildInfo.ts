/**
 * What this SFU runs, for sfu_build_info: the lab's version, mediasoup's, Node's, and the worker
 * build recipe (the cache directory the recipe names after mediasoup's version and its own hash,
 * `<version>-<recipe hash>`), so a dashboard can tell which patched worker a node runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildInfo } from '../metrics.ts';

const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

/** `workerBin`'s recipe key, or "custom" for a binary that does not come from the recipe's cache. */
export function workerRecipeOf(workerBin: string): string {
  const key = path.basename(path.dirname(workerBin));
  return /^\d+\.\d+\.\d+-[0-9a-f]{12}$/.test(key) ? key : 'custom';
}

export function buildInfo(mediasoupVersion: string, workerBin: string): BuildInfo {
  const { version } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string };
  return { version, mediasoup: mediasoupVersion, node: process.version, workerRecipe: workerRecipeOf(workerBin) };
}
