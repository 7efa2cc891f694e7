/**
 * Starts one lab for the whole run and stops it afterwards (Playwright runs the returned function
 * as the global teardown). The client must be built already (`npm run build -w client`): the
 * signaling service serves client/dist.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, writeLabInfo } from './labInfo.ts';
import { startLab } from './startLab.ts';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const page = path.join(REPO_ROOT, 'client/dist/index.html');
  if (!existsSync(page)) throw new Error(`${page} is missing: run \`npm run build -w client\` first`);

  const lab = await startLab();
  const { stop, ...info } = lab;
  writeLabInfo(info);
  process.env.LAB_HTTP_URL = info.httpUrl;
  process.env.LAB_SFU_ADDRESS = info.sfuAddress;
  console.log(`[e2e] lab up: page ${info.httpUrl}, SFU gRPC ${info.sfuAddress}, logs ${Object.values(info.logFiles).join(', ')}`);
  return stop;
}
