/**
 * Starts the real SFU (`node --import tsx src/main.ts`) as a child process for integration tests.
 * Ports are 0 (the OS picks free ones, so parallel suites never collide); the bound ports are read
 * from the "sfu ready" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
// The one place that knows where the worker binary is: MEDIASOUP_WORKER_BIN, else the exact cached
// build for this mediasoup version and recipe.
import { mediasoupWorkerBin } from '../../../scripts/lab.mjs';

export const SFU_DIR = fileURLToPath(new URL('..', import.meta.url));

export type LogLine = { level: number; msg: string; module?: string; [key: string]: unknown };

export type SfuProcess = {
  grpcAddress: string;
  metricsUrl: string;
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: LogLine[];
  /** The first log line (already logged or future) matching `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | string>;
};

/** Spawns the SFU with `env` on top of the defaults and waits for "sfu ready". */
export function startSfu(env: Record<string, string> = {}): Promise<SfuProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SFU_DIR,
    env: {
      ...process.env,
      MEDIASOUP_WORKER_BIN: mediasoupWorkerBin(),
      SFU_GRPC_HOST: '127.0.0.1',
      SFU_GRPC_PORT: '0',
      SFU_METRICS_HOST: '127.0.0.1',
      SFU_METRICS_PORT: '0',
      SFU_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const logWaiters = new Set<(line: LogLine) => void>();
  const stderr: string[] = [];
  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 15_000) => {
    const seen = logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = (line: LogLine) => {
        if (!predicate(line)) return;
        clearTimeout(timer);
        logWaiters.delete(waiter);
        resolve(line);
      };
      const timer = setTimeout(() => {
        logWaiters.delete(waiter);
        reject(new Error(`no matching SFU log line within ${timeoutMs} ms`));
      }, timeoutMs);
      logWaiters.add(waiter);
    });
  };
  const exited = new Promise<number | string>((resolve) => {
    // 'close', not 'exit': by then stdout is fully read, so the last log lines are in `logs`.
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));

  return new Promise<SfuProcess>((resolve, reject) => {
    const describe = () =>
      [...logs.slice(-20).map((line) => JSON.stringify(line)), ...stderr.slice(-20)].join('\n');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`SFU not ready after 45 s; last output:\n${describe()}`));
    }, 45_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`SFU exited (${code}) before it was ready; last output:\n${describe()}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        stderr.push(line);
        return;
      }
      logs.push(parsed);
      for (const waiter of [...logWaiters]) waiter(parsed);
      if (parsed.msg !== 'sfu ready') return;
      clearTimeout(timer);
      resolve({
        grpcAddress: `127.0.0.1:${String(parsed.grpcPort)}`,
        metricsUrl: `http://127.0.0.1:${String(parsed.metricsPort)}/metrics`,
        child,
        logs,
        waitForLog,
        exited,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            const code = await exited;
            clearTimeout(killer);
            return code;
          }
          return exited;
        },
      });
    });
  });
}
