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
  /** SIGNALING_PGLITE_DIR — PGlite data directory when DATABASE_URL is empty. Default `.lab/pglite` under the cwd. */
  pgliteDir: z.string().min(1),
  /** REDIS_URL — shared room state for several instances. Empty: in-process state (one instance). */
  redisUrl: z.string(),
  /** SIGNALING_STATIC_DIR — built client served at `/` when the directory exists. Default <repo>/client/dist. */
  staticDir: z.string().min(1),
  /** SIGNALING_INSTANCE_ID — this instance's name, recorded with every session. Default hostname:pid. */
  instanceId: z.string().min(1).max(128),
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
  /** SIGNALING_LOG_LEVEL — pino level. Default info. */
  logLevel,
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Field → environment variable. */
const ENV_NAMES = {
  host: 'SIGNALING_HOST',
  port: 'SIGNALING_PORT',
  sfuAddress: 'SIGNALING_SFU_ADDRESS',
  sfuDeadlineMs: 'SIGNALING_SFU_DEADLINE_MS',
  databaseUrl: 'DATABASE_URL',
  pgliteDir: 'SIGNALING_PGLITE_DIR',
  redisUrl: 'REDIS_URL',
  staticDir: 'SIGNALING_STATIC_DIR',
  instanceId: 'SIGNALING_INSTANCE_ID',
  maxPeersPerRoom: 'SIGNALING_MAX_PEERS_PER_ROOM',
  idleTimeoutSeconds: 'SIGNALING_IDLE_TIMEOUT_SECONDS',
  logLevel: 'SIGNALING_LOG_LEVEL',
} as const satisfies Record<keyof z.infer<typeof ConfigSchema>, string>;

function defaults(cwd: string): Record<keyof typeof ENV_NAMES, string | number> {
  return {
    host: '0.0.0.0',
    port: 8080,
    sfuAddress: '127.0.0.1:50051',
    sfuDeadlineMs: 5000,
    databaseUrl: '',
    pgliteDir: path.resolve(cwd, '.lab/pglite'),
    redisUrl: '',
    staticDir: path.join(REPO_ROOT, 'client/dist'),
    instanceId: `${os.hostname()}:${process.pid}`,
    maxPeersPerRoom: 16,
    idleTimeoutSeconds: 32,
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
