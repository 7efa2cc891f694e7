/**
 * SFU configuration: defaults → environment → validate → freeze. Every field is read from one
 * environment variable (named after its path: `rtc.minPort` ← SFU_RTC_MIN_PORT); a wrong value stops
 * the process at start with a message naming the variable.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Ports may be 0 (the OS picks a free one; the bound port is logged) so tests never collide. */
const port = z.coerce.number().int('must be an integer').min(0, 'must be 0..65535').max(65535, 'must be 0..65535');
const rtcPort = z.coerce.number().int('must be an integer').min(1024, 'must be 1024..65535').max(65535, 'must be 1024..65535');

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const configSchema = z
  .object({
    /** MEDIASOUP_WORKER_BIN (required): the mediasoup worker binary built by scripts/mediasoup-worker/build.sh. */
    workerBin: z
      .string({ error: 'is required (path to the built mediasoup-worker binary; see scripts/mediasoup-worker/build.sh)' })
      .min(1, 'is required (path to the built mediasoup-worker binary; see scripts/mediasoup-worker/build.sh)')
      .refine(isExecutableFile, { error: (issue) => `${String(issue.input)} is not an executable file` }),
    grpc: z.object({
      /** SFU_GRPC_HOST, default 127.0.0.1 */
      host: z.string().min(1, 'must not be empty'),
      /** SFU_GRPC_PORT, default 50051 */
      port,
    }),
    /** SFU_NODE_ID, default hostname:pid; reported by GetStatus to tell SFU processes apart. */
    nodeId: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
    /** SFU_WORKERS, default os.availableParallelism(): one mediasoup worker (one CPU core) each. */
    workers: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(64, 'must be at most 64'),
    rtc: z.object({
      /** SFU_RTC_LISTEN_IP, default 127.0.0.1: where WebRTC transports listen (UDP and TCP). */
      listenIp: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }),
      /** SFU_RTC_ANNOUNCED_ADDRESS, default none: IP or hostname given to browsers instead of listenIp (NAT). */
      announcedAddress: z.string().max(255, 'must be at most 255 characters').optional(),
      /** SFU_RTC_MIN_PORT, default 40000 */
      minPort: rtcPort,
      /** SFU_RTC_MAX_PORT, default 49999 */
      maxPort: rtcPort,
    }),
    metrics: z.object({
      /** SFU_METRICS_HOST, default 127.0.0.1 */
      host: z.string().min(1, 'must not be empty'),
      /** SFU_METRICS_PORT, default 9464: GET /metrics (Prometheus text format). */
      port,
      /** SFU_METRICS_PER_STREAM, default true: per-consumer/producer/transport series; false = fleet figures only. */
      perStream: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((value) => value === 'true'),
      /** SFU_METRICS_MAX_STREAMS, default 2000: streams with per-stream series at once; more are counted as dropped. */
      maxStreams: z.coerce.number().int('must be an integer').min(0, 'must be 0..100000').max(100_000, 'must be 0..100000'),
      /** SFU_STATS_INTERVAL_SECONDS, default 5: how often every stream's stats are read. */
      statsIntervalSeconds: z.coerce.number().min(0.1, 'must be 0.1..300').max(300, 'must be 0.1..300'),
    }),
    /**
     * SFU_SIGNALING_LEASE_SECONDS, default 10: how long a signaling instance may keep no event stream
     * open before the peers it registered are closed (src/SignalingLeases.ts).
     */
    signalingLeaseSeconds: z.coerce.number().min(0.1, 'must be 0.1..3600').max(3600, 'must be 0.1..3600'),
    /**
     * What one peer may hold at most; more → RESOURCE_EXHAUSTED. Signaling keeps peers under lower caps
     * of its own: these stop a caller that does not (or a bug) from taking every media port.
     */
    limits: z.object({
      /** SFU_MAX_TRANSPORTS_PER_PEER, default 8 (a page uses 2; each holds a UDP and a TCP port) */
      maxTransportsPerPeer: z.coerce.number().int('must be an integer').min(1, 'must be 1..1000').max(1000, 'must be 1..1000'),
      /** SFU_MAX_PRODUCERS_PER_PEER, default 4 (a page sends mic, camera and a screen share) */
      maxProducersPerPeer: z.coerce.number().int('must be an integer').min(1, 'must be 1..1000').max(1000, 'must be 1..1000'),
      /** SFU_MAX_CONSUMERS_PER_PEER, default 128 (a full room of 16 needs 30) */
      maxConsumersPerPeer: z.coerce.number().int('must be an integer').min(1, 'must be 1..10000').max(10_000, 'must be 1..10000'),
    }),
    /** SFU_LOG_LEVEL, default info */
    logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  })
  .refine((config) => config.rtc.minPort <= config.rtc.maxPort, {
    path: ['rtc', 'maxPort'],
    error: 'must be greater than or equal to SFU_RTC_MIN_PORT',
  });

export type SfuConfig = Readonly<z.infer<typeof configSchema>>;

/** Config path → the environment variable it is read from (used for error messages too). */
const ENV_NAMES: Record<string, string> = {
  workerBin: 'MEDIASOUP_WORKER_BIN',
  'grpc.host': 'SFU_GRPC_HOST',
  'grpc.port': 'SFU_GRPC_PORT',
  nodeId: 'SFU_NODE_ID',
  workers: 'SFU_WORKERS',
  'rtc.listenIp': 'SFU_RTC_LISTEN_IP',
  'rtc.announcedAddress': 'SFU_RTC_ANNOUNCED_ADDRESS',
  'rtc.minPort': 'SFU_RTC_MIN_PORT',
  'rtc.maxPort': 'SFU_RTC_MAX_PORT',
  'metrics.host': 'SFU_METRICS_HOST',
  'metrics.port': 'SFU_METRICS_PORT',
  'metrics.perStream': 'SFU_METRICS_PER_STREAM',
  'metrics.maxStreams': 'SFU_METRICS_MAX_STREAMS',
  'metrics.statsIntervalSeconds': 'SFU_STATS_INTERVAL_SECONDS',
  signalingLeaseSeconds: 'SFU_SIGNALING_LEASE_SECONDS',
  'limits.maxTransportsPerPeer': 'SFU_MAX_TRANSPORTS_PER_PEER',
  'limits.maxProducersPerPeer': 'SFU_MAX_PRODUCERS_PER_PEER',
  'limits.maxConsumersPerPeer': 'SFU_MAX_CONSUMERS_PER_PEER',
  logLevel: 'SFU_LOG_LEVEL',
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Empty strings count as unset, so `SFU_RTC_ANNOUNCED_ADDRESS=` means "none" and `SFU_WORKERS=` the default. */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Builds the frozen config from `env`; throws ConfigError listing every wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SfuConfig {
  const input = {
    workerBin: read(env, 'MEDIASOUP_WORKER_BIN'),
    grpc: {
      host: read(env, 'SFU_GRPC_HOST') ?? '127.0.0.1',
      port: read(env, 'SFU_GRPC_PORT') ?? 50051,
    },
    nodeId: read(env, 'SFU_NODE_ID') ?? `${os.hostname()}:${process.pid}`,
    workers: read(env, 'SFU_WORKERS') ?? os.availableParallelism(),
    rtc: {
      listenIp: read(env, 'SFU_RTC_LISTEN_IP') ?? '127.0.0.1',
      announcedAddress: read(env, 'SFU_RTC_ANNOUNCED_ADDRESS'),
      minPort: read(env, 'SFU_RTC_MIN_PORT') ?? 40000,
      maxPort: read(env, 'SFU_RTC_MAX_PORT') ?? 49999,
    },
    metrics: {
      host: read(env, 'SFU_METRICS_HOST') ?? '127.0.0.1',
      port: read(env, 'SFU_METRICS_PORT') ?? 9464,
      perStream: read(env, 'SFU_METRICS_PER_STREAM') ?? 'true',
      maxStreams: read(env, 'SFU_METRICS_MAX_STREAMS') ?? 2000,
      statsIntervalSeconds: read(env, 'SFU_STATS_INTERVAL_SECONDS') ?? 5,
    },
    signalingLeaseSeconds: read(env, 'SFU_SIGNALING_LEASE_SECONDS') ?? 10,
    limits: {
      maxTransportsPerPeer: read(env, 'SFU_MAX_TRANSPORTS_PER_PEER') ?? 8,
      maxProducersPerPeer: read(env, 'SFU_MAX_PRODUCERS_PER_PEER') ?? 4,
      maxConsumersPerPeer: read(env, 'SFU_MAX_CONSUMERS_PER_PEER') ?? 128,
    },
    logLevel: read(env, 'SFU_LOG_LEVEL') ?? 'info',
  };
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      return `${ENV_NAMES[path] ?? path}: ${issue.message}`;
    });
    throw new ConfigError(`invalid SFU configuration: ${problems.join('; ')}`);
  }
  return deepFreeze(result.data);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
