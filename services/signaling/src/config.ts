/**
 * Signaling configuration: defaults → environment → validation (zod) → frozen object.
 * Each field's environment variable is its name in SCREAMING_SNAKE_CASE with the `SIGNALING_` prefix,
 * except DATABASE_URL and REDIS_URL, whose names are the usual ones. A bad value stops the process at
 * start with a message naming the variable.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const port = z.coerce
  .number({ error: 'must be a port number 0..65535' })
  .int('must be a port number 0..65535')
  .min(0, 'must be a port number 0..65535')
  .max(65_535, 'must be a port number 0..65535');
const positiveInt = z.coerce
  .number({ error: 'must be a positive integer' })
  .int('must be a positive integer')
  .positive('must be a positive integer');
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const ConfigSchema = z.object({
  /** SIGNALING_HOST — address the HTTP/WebSocket server binds to. Default 0.0.0.0. */
  host: z.string().min(1),
  /** SIGNALING_PORT — HTTP + WebSocket (/ws) port; 0 picks a free port (logged at start). Default 8080. */
  port,
  /** SIGNALING_SFU_ADDRESS — host:port of the SFU's gRPC server. Default 127.0.0.1:50051. */
  sfuAddress: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port'),
  /** SIGNALING_SFU_DEADLINE_MS — deadline of every SFU call. Default 5000. */
  sfuDeadlineMs: positiveInt,
  /**
   * DATABASE_URL — PostgreSQL connection string. Empty: embedded PGlite stored in `pgliteDir`;
   * `memory://`: in-memory PGlite (lost on exit; tests and demos).
   */
  databaseUrl: z.string(),
  /**
   * SIGNALING_DB_QUERY_TIMEOUT_MS — bound of every PostgreSQL statement and of the wait for a pooled
   * connection; past it the operation fails as `unavailable` (a stalled database must not hold joins).
   * Not applied to PGlite (in-process). Default 2000.
   */
  dbQueryTimeoutMs: positiveInt,
  /** SIGNALING_PGLITE_DIR — PGlite data directory when DATABASE_URL is empty. Default `.lab/pglite` under the cwd. */
  pgliteDir: z.string().min(1),
  /** REDIS_URL — shared room state for several instances. Empty: in-process state (one instance). */
  redisUrl: z.string(),
  /** SIGNALING_STATIC_DIR — built client served at `/` when the directory exists. Default <repo>/client/dist. */
  staticDir: z.string().min(1),
  /** SIGNALING_INSTANCE_ID — this instance's name, recorded with every session. Default hostname:pid. */
  instanceId: z.string().min(1).max(128),
  /**
   * SIGNALING_INSTANCE_HEARTBEAT_SECONDS — how often this instance records that it is alive
   * (signaling_instances) and sweeps the sessions of instances that stopped doing so. Default 5.
   */
  instanceHeartbeatSeconds: positiveInt,
  /**
   * SIGNALING_INSTANCE_GRACE_SECONDS — an instance silent this long is considered dead: its open
   * sessions are closed as 'instance_lost'. Must exceed two heartbeats. Default 15.
   */
  instanceGraceSeconds: positiveInt,
  /** SIGNALING_MAX_PEERS_PER_ROOM — a join beyond this answers invalid_state. Default 16. */
  maxPeersPerRoom: positiveInt,
  /**
   * SIGNALING_IDLE_TIMEOUT_SECONDS — a socket silent for this long (the server pings it meanwhile) is
   * closed and its peer released as 'disconnected'. uWebSockets.js counts in 4 s ticks and accepts
   * 8..960. Default 32, so a reloaded or vanished tab is released within about half a minute.
   */
  idleTimeoutSeconds: z.coerce
    .number({ error: 'must be 8..960 seconds' })
    .int()
    .min(8, 'must be 8..960 seconds')
    .max(960, 'must be 8..960 seconds')
    .refine((seconds) => seconds % 4 === 0, 'must be a multiple of 4 (uWebSockets.js timer resolution)'),
  /**
   * SIGNALING_RESUME_GRACE_SECONDS — how long a joined session whose socket was lost waits for its
   * page to come back (`resume`) before the peer is released as 'disconnected'; 0 turns resuming off.
   * Default 15: longer than a page's reconnection backoff, short enough that a closed tab's tile goes soon.
   */
  resumeGraceSeconds: z.coerce.number({ error: 'must be 0..300 seconds' }).min(0, 'must be 0..300 seconds').max(300, 'must be 0..300 seconds'),
  /**
   * SIGNALING_MAX_JSON_DEPTH — deepest nesting of objects/arrays in an inbound message (the message
   * itself is level 1); deeper → invalid_message. Chromium's RTP parameters reach about 6. Default 32.
   */
  maxJsonDepth: positiveInt.min(8, 'must be at least 8 (requests themselves nest up to about 6 levels)'),
  /** SIGNALING_MAX_JSON_ARRAY_LENGTH — most items in any array of an inbound message; more → invalid_message. Default 256. */
  maxJsonArrayLength: positiveInt.min(64, 'must be at least 64 (reportStats carries up to 64 streams)'),
  /** SIGNALING_REQUESTS_PER_SECOND — requests one socket may send per second, sustained; more → rate_limited. Default 20. */
  requestsPerSecond: positiveInt,
  /**
   * SIGNALING_REQUEST_BURST — requests one socket may send at once (token bucket size). A page joining
   * a full room (16 peers: join, 2 transports, 30 consumes and resumes) sends about 70. Default 100.
   */
  requestBurst: positiveInt,
  /**
   * SIGNALING_RATE_LIMIT_CLOSE_AFTER — refused (rate_limited) requests a socket may accumulate, net of
   * the sustained rate, before it is closed with 1008. Default 500: about 3 s of ten times the rate.
   */
  rateLimitCloseAfter: positiveInt,
  /** SIGNALING_MAX_CONNECTIONS_PER_ADDRESS — concurrent WebSockets per client IP; more → HTTP 429 at upgrade. Default 50. */
  maxConnectionsPerAddress: positiveInt,
  /** SIGNALING_ROOM_CREATIONS_PER_MINUTE — rooms one client IP may create per minute (joins of an empty room); more → rate_limited. Default 30. */
  roomCreationsPerMinute: positiveInt,
  /** SIGNALING_MAX_TRANSPORTS_PER_PEER — WebRTC transports per peer (a page uses 2); more → limit_exceeded. Default 4. */
  maxTransportsPerPeer: positiveInt,
  /** SIGNALING_MAX_PRODUCERS_PER_PEER — producers per peer (one per source: mic, camera, screen); more → limit_exceeded. Default 3. */
  maxProducersPerPeer: positiveInt,
  /** SIGNALING_MAX_CONSUMERS_PER_PEER — consumers per peer (a full room needs 2 × 15); more → limit_exceeded. Default 64. */
  maxConsumersPerPeer: positiveInt,
  /** SIGNALING_LOG_LEVEL — pino level. Default info. */
  logLevel,
}).refine((config) => config.instanceGraceSeconds > 2 * config.instanceHeartbeatSeconds, {
  // One late heartbeat (a slow query, a busy event loop) must not get a live instance's sessions closed.
  message: 'must be more than twice SIGNALING_INSTANCE_HEARTBEAT_SECONDS',
  path: ['instanceGraceSeconds'],
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Field → environment variable. */
const ENV_NAMES = {
  host: 'SIGNALING_HOST',
  port: 'SIGNALING_PORT',
  sfuAddress: 'SIGNALING_SFU_ADDRESS',
  sfuDeadlineMs: 'SIGNALING_SFU_DEADLINE_MS',
  databaseUrl: 'DATABASE_URL',
  dbQueryTimeoutMs: 'SIGNALING_DB_QUERY_TIMEOUT_MS',
  pgliteDir: 'SIGNALING_PGLITE_DIR',
  redisUrl: 'REDIS_URL',
  staticDir: 'SIGNALING_STATIC_DIR',
  instanceId: 'SIGNALING_INSTANCE_ID',
  instanceHeartbeatSeconds: 'SIGNALING_INSTANCE_HEARTBEAT_SECONDS',
  instanceGraceSeconds: 'SIGNALING_INSTANCE_GRACE_SECONDS',
  maxPeersPerRoom: 'SIGNALING_MAX_PEERS_PER_ROOM',
  idleTimeoutSeconds: 'SIGNALING_IDLE_TIMEOUT_SECONDS',
  resumeGraceSeconds: 'SIGNALING_RESUME_GRACE_SECONDS',
  maxJsonDepth: 'SIGNALING_MAX_JSON_DEPTH',
  maxJsonArrayLength: 'SIGNALING_MAX_JSON_ARRAY_LENGTH',
  requestsPerSecond: 'SIGNALING_REQUESTS_PER_SECOND',
  requestBurst: 'SIGNALING_REQUEST_BURST',
  rateLimitCloseAfter: 'SIGNALING_RATE_LIMIT_CLOSE_AFTER',
  maxConnectionsPerAddress: 'SIGNALING_MAX_CONNECTIONS_PER_ADDRESS',
  roomCreationsPerMinute: 'SIGNALING_ROOM_CREATIONS_PER_MINUTE',
  maxTransportsPerPeer: 'SIGNALING_MAX_TRANSPORTS_PER_PEER',
  maxProducersPerPeer: 'SIGNALING_MAX_PRODUCERS_PER_PEER',
  maxConsumersPerPeer: 'SIGNALING_MAX_CONSUMERS_PER_PEER',
  logLevel: 'SIGNALING_LOG_LEVEL',
} as const satisfies Record<keyof z.infer<typeof ConfigSchema>, string>;

/** The abuse limits' defaults (docs/signaling-protocol.md, "Limits"). */
export const DEFAULT_LIMITS = {
  maxJsonDepth: 32,
  maxJsonArrayLength: 256,
  requestsPerSecond: 20,
  requestBurst: 100,
  rateLimitCloseAfter: 500,
  maxConnectionsPerAddress: 50,
  roomCreationsPerMinute: 30,
  maxTransportsPerPeer: 4,
  maxProducersPerPeer: 3,
  maxConsumersPerPeer: 64,
} as const satisfies Partial<Record<keyof typeof ENV_NAMES, number>>;

function defaults(cwd: string): Record<keyof typeof ENV_NAMES, string | number> {
  return {
    host: '0.0.0.0',
    port: 8080,
    sfuAddress: '127.0.0.1:50051',
    sfuDeadlineMs: 5000,
    databaseUrl: '',
    dbQueryTimeoutMs: 2000,
    pgliteDir: path.resolve(cwd, '.lab/pglite'),
    redisUrl: '',
    staticDir: path.join(REPO_ROOT, 'client/dist'),
    instanceId: `${os.hostname()}:${process.pid}`,
    instanceHeartbeatSeconds: 5,
    instanceGraceSeconds: 15,
    maxPeersPerRoom: 16,
    idleTimeoutSeconds: 32,
    resumeGraceSeconds: 15,
    ...DEFAULT_LIMITS,
    logLevel: 'info',
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the configuration from `env` (process.env by default); throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const merged: Record<string, unknown> = { ...defaults(cwd) };
  for (const [field, envName] of Object.entries(ENV_NAMES)) {
    const value = env[envName];
    // An empty variable means "default", except for the two URLs where empty is itself meaningful.
    if (value !== undefined && (value !== '' || field === 'databaseUrl' || field === 'redisUrl')) {
      merged[field] = value;
    }
  }
  if (typeof merged.pgliteDir === 'string') merged.pgliteDir = path.resolve(cwd, merged.pgliteDir);
  if (typeof merged.staticDir === 'string') merged.staticDir = path.resolve(cwd, merged.staticDir);

  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path[0] as keyof typeof ENV_NAMES;
      return `${ENV_NAMES[field] ?? String(field)}=${JSON.stringify(env[ENV_NAMES[field]] ?? '')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid signaling configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}
