/**
 * OpenTelemetry tracing of signaling. Each handled request is a span of its own trace (`signaling
 * join`, …; the page sends no trace context), each SFU call made while handling it a client span
 * under it (`lab.sfu.v1.Sfu/GetRouterRtpCapabilities`, …) whose W3C trace context travels to the
 * SFU in the call's gRPC metadata (`traceparent`), where the SFU's server span continues it: one join
 * is one trace across both services.
 *
 * Spans go out over OTLP/HTTP (JSON) when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is
 * set; otherwise nothing is installed and every span here is the API's free no-op.
 */
import * as grpc from '@grpc/grpc-js';
import { DiagLogLevel, SpanKind, SpanStatusCode, context, diag, propagation, trace, type TextMapSetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator, getNumberFromEnv } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@opentelemetry/semantic-conventions';
import { ErrorCode } from '@lab/proto/signaling';
import { ConfigError } from '../config.ts';
import { moduleLogger } from '../logger.ts';

const tracer = trace.getTracer('@lab/signaling');

export interface Tracing {
  /** Exports what is still batched and stops the exporter; call last at shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Installs the SDK when an OTLP endpoint is configured: service.name `signaling`, W3C trace-context
 * propagation, AsyncLocalStorage context (a request's span stays active across its awaits, so the
 * SFU calls and log lines inside it belong to it), batched OTLP/HTTP export. Throws ConfigError for
 * an endpoint that is not an http(s) URL (the exporter would quietly send to localhost instead).
 */
export function installTracing(): Tracing {
  // The standard variables, from the environment as the exporter reads them.
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return { shutdown: async () => {} };
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new ConfigError(`invalid tracing configuration: OTLP endpoint ${JSON.stringify(endpoint)} is not an http(s) URL`);
  }
  const log = moduleLogger('tracing');
  // The SDK reports its own trouble (a collector that cannot be reached) through diag: into our log.
  diag.setLogger({ error: (message) => log.error(message), warn: (message) => log.warn(message), info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
  // The exporter reads the endpoint (…/v1/traces appended), headers and timeout from the environment;
  // the 3.x SDK no longer reads OTEL_BSP_*, so the standard delay variable is honoured here.
  const exporter = new OTLPTraceExporter();
  const processor = new BatchSpanProcessor({ exporter, scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY') });
  const provider = new TracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'signaling' }), spanProcessors: [processor] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  log.info({ endpoint }, 'exporting traces over OTLP/HTTP');
  return { shutdown: () => provider.shutdown() };
}

/** A span around one piece of a session's work (a request, a release). */
export interface SessionSpan {
  /** Runs `work` with the span active. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Ends the span with what the work came to (idempotent); room and peer once known. */
  end(result: 'ok' | ErrorCode, ids?: { roomId?: string; peerId?: string }): void;
}

/**
 * Starts `signaling <operation>`: a SERVER span for a request (`join`, `consume`, …), always the root
 * of a new trace whatever context happens to be active (every request is its own story); an INTERNAL
 * one for a step of the session's own (`release`: under the `leave` span, or a trace of its own after
 * the socket closed).
 */
export function startSessionSpan(operation: string, kind: 'request' | 'internal' = 'request'): SessionSpan {
  const span = tracer.startSpan(`signaling ${operation}`, {
    root: kind === 'request',
    kind: kind === 'request' ? SpanKind.SERVER : SpanKind.INTERNAL,
    attributes: { 'signaling.operation': operation },
  });
  let ended = false;
  return {
    run: (work) => context.with(trace.setSpan(context.active(), span), work),
    end(result, ids = {}) {
      if (ended) return;
      ended = true;
      if (ids.roomId) span.setAttribute('signaling.room_id', ids.roomId);
      if (ids.peerId) span.setAttribute('signaling.peer_id', ids.peerId);
      span.setAttribute('signaling.result', result);
      if (result !== 'ok') span.setAttribute(ATTR_ERROR_TYPE, result);
      // The client's mistakes (invalid_message, not_found, …) are answered correctly: not a failure
      // of this service, as a 4xx is not one of an HTTP server's spans.
      if (result === ErrorCode.Internal || result === ErrorCode.Unavailable) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

/** The client span of one SFU call, and the metadata that carries its trace context to the SFU. */
export interface SfuCallSpan {
  readonly metadata: grpc.Metadata;
  end(code: grpc.status, details?: string): void;
}

/** Starts the client span of a call of `path` ('/lab.sfu.v1.Sfu/Consume') to the SFU at `address` (host:port). */
export function startSfuCallSpan(path: string, address: string): SfuCallSpan {
  const method = path.replace(/^\//, '');
  const separator = address.lastIndexOf(':');
  const span = tracer.startSpan(method, {
    kind: SpanKind.CLIENT,
    attributes: {
      [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
      [ATTR_RPC_METHOD]: method,
      [ATTR_SERVER_ADDRESS]: address.slice(0, separator),
      [ATTR_SERVER_PORT]: Number(address.slice(separator + 1)),
    },
  });
  const metadata = new grpc.Metadata();
  propagation.inject(trace.setSpan(context.active(), span), metadata, metadataSetter);
  return {
    metadata,
    end(code, details) {
      const name = grpc.status[code] ?? String(code);
      span.setAttribute(ATTR_RPC_STATUS_CODE, name);
      // Seen from the caller, every status but OK is a failed call (OpenTelemetry's gRPC conventions).
      if (code !== grpc.status.OK) {
        span.setAttribute(ATTR_ERROR_TYPE, name);
        span.setStatus({ code: SpanStatusCode.ERROR, message: details });
      }
      span.end();
    },
  };
}
