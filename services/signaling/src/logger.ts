/**
 * The service's one pino logger (JSON lines on stdout) and its per-file children: every line carries
 * `module`, so `jq 'select(.module=="PeerSession")'` follows one part of the service. A line written
 * while a span is active (handling a request, see telemetry/tracing.ts) also carries its `trace_id`
 * and `span_id`, so `jq 'select(.trace_id=="…")'` finds a join's lines in both services' logs.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
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
  mixin: traceIds,
});

/** The active span's ids, in the field names of OpenTelemetry's log data model; {} outside a span. */
function traceIds(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}

/** A child logger for one source file: `const log = moduleLogger('PeerSession')`. */
export function moduleLogger(module: string): Logger {
  return logger.child({ module });
}
