/**
 * OpenTelemetry tracing of the SFU: a server span per gRPC call (`lab.sfu.v1.Sfu/Consume`, …), the
 * child of the caller's span when the call's metadata carries W3C trace context (`traceparent`;
 * signaling's SfuGateway puts it there), so one join is one trace across both services.
 *
 * Spans go out over OTLP/HTTP (JSON) when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is
 * set; otherwise nothing is installed and every span below is the API's free no-op.
 */
import * as grpc from '@grpc/grpc-js';
import { DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, context, diag, propagation, trace, type TextMapGetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator, getNumberFromEnv } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVICE_NAME,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@opentelemetry/semantic-conventions';
import { logger, moduleLogger } from './logger.ts';
import { statusName } from './errors.ts';

const SFU_SERVICE = 'lab.sfu.v1.Sfu';
const tracer = trace.getTracer('@lab/sfu');

/**
 * The statuses that mean the server failed, per OpenTelemetry's gRPC conventions; the others
 * (NOT_FOUND, INVALID_ARGUMENT, CANCELLED, …) are the caller's business and leave the span unset.
 */
const SERVER_ERROR_CODES: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.INTERNAL,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key).map(String);
    return values.length > 0 ? values : undefined;
  },
};

/** A call's server span. */
export interface ServerSpan {
  /** Runs `work` with the span active: spans and log lines (trace_id) inside it belong to the call. */
  run<T>(work: () => T): T;
  /** Ends the span with the call's final status (idempotent). */
  end(code: grpc.status, details?: string): void;
}

/** Starts the server span of one call of `method` (e.g. 'Consume'), under the caller's trace if it sent one. */
export function startServerSpan(method: string, metadata: grpc.Metadata): ServerSpan {
  const parent = propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
  const name = `${SFU_SERVICE}/${method}`;
  const span = tracer.startSpan(
    name,
    { kind: SpanKind.SERVER, attributes: { [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC, [ATTR_RPC_METHOD]: name } },
    parent,
  );
  const active = trace.setSpan(parent, span);
  let ended = false;
  return {
    run: (work) => context.with(active, work),
    end(code, details) {
      if (ended) return;
      ended = true;
      span.setAttribute(ATTR_RPC_STATUS_CODE, statusName(code));
      if (SERVER_ERROR_CODES.has(code)) {
        span.setAttribute(ATTR_ERROR_TYPE, statusName(code));
        span.setStatus({ code: SpanStatusCode.ERROR, message: details });
      }
      span.end();
    },
  };
}

/**
 * Batches spans; once shutdown has begun, exports each span as it ends. main.ts ends the process with
 * process.exit() as soon as its own shutdown steps are done, which no exporter can wait for: spans of
 * calls still finishing during the gRPC drain are therefore sent at once instead of a batch delay later.
 */
class DrainingSpanProcessor implements SpanProcessor {
  #draining = false;
  constructor(readonly batch: BatchSpanProcessor) {}
  onStart(...args: Parameters<SpanProcessor['onStart']>): void {
    this.batch.onStart(...args);
  }
  onEnd(span: ReadableSpan): void {
    this.batch.onEnd(span);
    if (this.#draining) void this.batch.forceFlush();
  }
  drain(): Promise<void> {
    this.#draining = true;
    return this.batch.forceFlush();
  }
  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}

/**
 * Installs the SDK when an OTLP endpoint is configured: service.name `sfu`, W3C trace-context
 * propagation, AsyncLocalStorage context (so a call's span is active across its awaits), batched
 * OTLP/HTTP export. On SIGTERM / SIGINT it flushes what is batched and exports the rest as it ends.
 * An endpoint that is not an http(s) URL stops the process, as a bad SFU_* variable does (the
 * exporter would quietly send to localhost instead).
 */
export function installTracing(): void {
  // The standard variables, from the environment as the exporter reads them.
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return;
  const log = moduleLogger('tracing');
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    log.fatal(`invalid tracing configuration: OTLP endpoint ${JSON.stringify(endpoint)} is not an http(s) URL`);
    logger.flush();
    process.exit(1);
  }
  // The SDK reports its own trouble (a collector that cannot be reached) through diag: into our log.
  diag.setLogger({ error: (message) => log.error(message), warn: (message) => log.warn(message), info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
  // The 3.x SDK no longer reads OTEL_BSP_*: the standard delay variable is honoured here.
  const processor = new DrainingSpanProcessor(
    new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY') }),
  );
  const provider = new TracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'sfu' }), spanProcessors: [processor] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const drain = () => void processor.drain().catch((error: unknown) => log.warn({ err: error }, 'could not export spans'));
  process.once('SIGTERM', drain);
  process.once('SIGINT', drain);
  log.info({ endpoint }, 'exporting traces over OTLP/HTTP');
}
