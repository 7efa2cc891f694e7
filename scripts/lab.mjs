// Starts the lab's processes (SFU, signaling) on free ports and waits until each reports ready.
// Used by `npm start` (scripts/start-lab.mjs), the integration and e2e suites and the benchmarks, so
// every one of them runs the services exactly as production wiring does: separate processes talking
// gRPC, configured only through environment variables.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** A TCP port nobody listens on right now (the OS picks it). */
export async function freePort(host = '127.0.0.1') {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Path of the mediasoup worker binary: $MEDIASOUP_WORKER_BIN, else the one the build recipe cached
 * (the recipe prints the cached path at once; on a machine without it, it builds for ~10 minutes).
 */
export function mediasoupWorkerBin() {
  if (process.env.MEDIASOUP_WORKER_BIN) return process.env.MEDIASOUP_WORKER_BIN;
  const out = execFileSync('bash', [path.join(repoRoot, 'scripts/mediasoup-worker/build.sh')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  return out.trim().split('\n').at(-1);
}

/**
 * @typedef {object} LabOptions
 * @property {('sfu'|'signaling')[]} [services] which processes to start (default both)
 * @property {Record<string,string>} [env] extra environment for every process (e.g. DATABASE_URL)
 * @property {'file'|'inherit'} [logs] 'file' (default): .lab/logs/<name>-<port>.log; 'inherit': prefixed on this console
 * @property {number} [signalingPort] default: a free port
 * @property {number} [sfuGrpcPort] default: a free port
 * @property {number} [sfuMetricsPort] default: a free port
 */

/**
 * @typedef {object} Lab
 * @property {string} httpUrl signaling HTTP base, e.g. http://localhost:8080 (serves the call page)
 * @property {string} wsUrl signaling WebSocket URL
 * @property {string} sfuAddress host:port of the SFU gRPC server
 * @property {string} sfuMetricsUrl the SFU's Prometheus endpoint
 * @property {Record<string,string>} logFiles process name → log file (logs: 'file')
 * @property {Promise<{ name: string, code: number|string|null }>} exited settles when any process exits
 *   on its own (not through stop()): the lab is then broken
 * @property {() => Promise<void>} stop SIGTERM every process and wait for it to exit
 * @property {(name: 'sfu'|'signaling', signal?: NodeJS.Signals) => Promise<void>} kill sends `signal`
 *   (default SIGKILL) to one process and waits for it to exit: a crash, for fault-recovery tests
 */

/** @param {LabOptions} [options] @returns {Promise<Lab>} */
export async function startLab(options = {}) {
  const services = options.services ?? ['sfu', 'signaling'];
  const logs = options.logs ?? 'file';
  const sfuGrpcPort = options.sfuGrpcPort ?? (await freePort());
  const sfuMetricsPort = options.sfuMetricsPort ?? (await freePort());
  const signalingPort = options.signalingPort ?? (await freePort());
  const sfuAddress = `127.0.0.1:${sfuGrpcPort}`;
  const baseEnv = {
    ...process.env,
    MEDIASOUP_WORKER_BIN: mediasoupWorkerBin(),
    SFU_GRPC_PORT: String(sfuGrpcPort),
    SFU_METRICS_PORT: String(sfuMetricsPort),
    SIGNALING_PORT: String(signalingPort),
    SIGNALING_SFU_ADDRESS: sfuAddress,
    ...options.env,
  };

  /** @type {{ name: string, child: import('node:child_process').ChildProcess, exited: Promise<number|null> }[]} */
  const running = [];
  /** @type {Record<string,string>} */
  const logFiles = {};
  let stopping = false;
  // A caller that exits without stop() (an uncaught error, process.exit() in a test runner) must not
  // leave the services running and holding their ports. 'exit' listeners cannot wait, so this only
  // sends SIGTERM; the services shut down by themselves.
  const terminateOnExit = () => {
    for (const { child } of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', terminateOnExit);
  const stop = async () => {
    stopping = true;
    await Promise.all(running.map(({ child, exited }) => stopProcess(child, exited)));
    process.off('exit', terminateOnExit);
  };
  const kill = async (name, signal = 'SIGKILL') => {
    const proc = running.find((entry) => entry.name === name);
    if (!proc) throw new Error(`this lab runs no ${name}`);
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
    await proc.exited;
  };

  try {
    if (services.includes('sfu')) {
      const proc = spawnService('sfu', 'services/sfu/src/main.ts', baseEnv, logs, sfuGrpcPort, logFiles);
      running.push(proc);
      await waitFor('sfu', proc, () => grpcServing(sfuAddress), logFiles.sfu);
    }
    if (services.includes('signaling')) {
      const proc = spawnService('signaling', 'services/signaling/src/main.ts', baseEnv, logs, signalingPort, logFiles);
      running.push(proc);
      // Readiness, not liveness: signaling is usable once its database and the SFU answer it.
      await waitFor('signaling', proc, () => httpOk(`http://127.0.0.1:${signalingPort}/readyz`), logFiles.signaling);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const exited = Promise.race(
    running.map(({ name, exited: processExited }) => processExited.then((code) => ({ name, code }))),
  ).then((first) => (stopping ? new Promise(() => {}) : first));

  return {
    exited,
    httpUrl: `http://localhost:${signalingPort}`,
    wsUrl: `ws://localhost:${signalingPort}/ws`,
    sfuAddress,
    sfuMetricsUrl: `http://127.0.0.1:${sfuMetricsPort}/metrics`,
    logFiles,
    stop,
    kill,
  };
}

function spawnService(name, entry, env, logs, port, logFiles) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (logs === 'inherit') {
    for (const stream of [child.stdout, child.stderr]) prefixLines(stream, `[${name}] `);
  } else {
    const dir = path.join(repoRoot, '.lab/logs');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}-${port}.log`);
    const out = createWriteStream(file, { flags: 'a' });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    logFiles[name] = file;
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return { name, child, exited };
}

function prefixLines(stream, prefix) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) process.stdout.write(prefix + line + '\n');
  });
}

async function waitFor(name, { child, exited }, probe, logFile) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let exitCode;
  exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${name} exited with ${exitCode} while starting${logTail(logFile)}`);
    }
    if (await probe().catch(() => false)) return;
    await delay(200);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} not healthy after ${STARTUP_TIMEOUT_MS / 1000} s${logTail(logFile)}`);
}

function logTail(file) {
  if (!file || !existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20);
  return `; last log lines (${file}):\n${lines.join('\n')}`;
}

async function stopProcess(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** True when the gRPC health service reports SERVING for the whole server. */
export function grpcServing(address, timeoutMs = 1000) {
  const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Health(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.check({ service: '' }, { deadline: Date.now() + timeoutMs }, (error, response) => {
      client.close();
      resolve(!error && response?.status === 'SERVING');
    });
  });
}

async function httpOk(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return response.ok;
}
