/**
 * One real SFU process for a suite (a `describe` or a whole file): started with `env` on top of the
 * defaults before its tests, a client to it, the call helpers, every peer a test joined made to
 * leave after it, and everything stopped afterwards.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createSfuClient, type SfuClient } from './sfuClient.ts';
import { sfuCalls } from './sfuCalls.ts';
import { startSfu, type SfuProcess } from './sfuProcess.ts';

export type SfuUnderTest = {
  /** The process (its logs, its metrics URL); set once the suite's beforeAll ran. */
  readonly sfu: SfuProcess;
  readonly client: SfuClient;
  readonly calls: ReturnType<typeof sfuCalls>;
};

export function useSfu(env: Record<string, string> = {}): SfuUnderTest {
  let sfu: SfuProcess | undefined;
  let client: SfuClient | undefined;
  const calls = sfuCalls(() => client!);
  beforeAll(async () => {
    sfu = await startSfu(env);
    client = createSfuClient(sfu.grpcAddress);
  });
  afterEach(() => calls.leaveAll());
  afterAll(async () => {
    client?.close();
    await sfu?.stop();
  });
  return {
    get sfu() {
      return sfu!;
    },
    get client() {
      return client!;
    },
    calls,
  };
}
