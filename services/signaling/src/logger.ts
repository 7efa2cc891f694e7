/**
 * The service's one pino logger (JSON lines on stdout) and its per-file children: every line carries
 * `module`, so `jq 'select(.module=="PeerSession")'` follows one part of the service.
 */
import { pino, type Logger } from 'pino';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
// Read directly from the environment (not from config.ts) because module-level children are created
// at import time, before main.ts loads the config; config.ts still validates the same variable and
// stops the process on a bad value.
const requested = process.env.SIGNALING_LOG_LEVEL ?? 'info';

export const logger: Logger = pino({
  name: 'signaling',
  level: LEVELS.has(requested) ? requested : 'info',
  base: { service: 'signaling', pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
});

/** A child logger for one source file: `const log = moduleLogger('PeerSession')`. */
export function moduleLogger(module: string): Logger {
  return logger.child({ module });
}
