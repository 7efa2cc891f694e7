/**
 * The order of one socket's work. Requests are handled one at a time in arrival order, so a peer's
 * own operations never race each other (produce vs. leave, join vs. socket close), and the session's
 * other work (SFU events, the release after the socket closed) queues behind them the same way;
 * other sockets are unaffected by this one's slowness or failures. Every request gets exactly one
 * response (unless the socket closed meanwhile), counted and timed in metrics from its arrival to
 * its response, and traced as the span `signaling <method>`.
 *
 * Every inbound frame takes a token from the socket's request bucket (SIGNALING_REQUESTS_PER_SECOND,
 * SIGNALING_REQUEST_BURST); without one it is answered rate_limited and not handled. Refusals take
 * from a second bucket of SIGNALING_RATE_LIMIT_CLOSE_AFTER tokens refilled at the same rate: a
 * client that empties it keeps sending far beyond the limit and gets its socket closed with 1008.
 */
import { performance } from 'node:perf_hooks';
import { ErrorCode, type Method, type ResponseEnvelope } from '@lab/proto/signaling';
import { BadJsonError, RateLimitedError, UnavailableError, toErrorBody } from '../errors.ts';
import { TokenBucket } from '../limits/TokenBucket.ts';
import { parseRequest, type ParsedRequest } from '../protocol/parseRequest.ts';
import { startSessionSpan } from '../telemetry/tracing.ts';
import type { SessionContext } from './SessionContext.ts';

/** Requests queued behind the one in progress; beyond this a client is flooding, not signaling. */
export const MAX_PENDING_REQUESTS = 64;

export interface RequestQueueOptions {
  /** Handles one valid request; what it resolves with is the response's data. */
  handle(request: ParsedRequest): Promise<unknown>;
  /** The room and peer once joined, for logs and spans. */
  ids(): { roomId?: string; peerId?: string };
  /** Called right after a request's response was sent. */
  answered(method: Method, ok: boolean): void;
}

export class RequestQueue {
  readonly #context: SessionContext;
  readonly #options: RequestQueueOptions;
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  /** Work to do once the current request's response is sent. */
  #afterResponse: Array<() => Promise<void>> = [];
  readonly #requests: TokenBucket;
  readonly #refusalsBeforeClose: TokenBucket;

  constructor(context: SessionContext, options: RequestQueueOptions) {
    this.#context = context;
    this.#options = options;
    const { requestsPerSecond, requestBurst, rateLimitCloseAfter } = context.deps.limits;
    this.#requests = new TokenBucket({ capacity: requestBurst, refillPerSecond: requestsPerSecond });
    this.#refusalsBeforeClose = new TokenBucket({ capacity: rateLimitCloseAfter, refillPerSecond: requestsPerSecond });
  }

  /** One inbound text frame: refused at once when over the rate, malformed or when too many wait, else queued. */
  onFrame(frame: string): void {
    const received = performance.now();
    const admitted = this.#requests.take();
    const { maxJsonDepth, maxJsonArrayLength } = this.#context.deps.limits;
    // Parsed even when refused, to answer with the request's id (the frame is at most 64 KiB).
    const request = parseRequest(frame, { maxDepth: maxJsonDepth, maxArrayLength: maxJsonArrayLength });
    if (!admitted) {
      this.#refuseOverRate(request.method ?? 'unknown', request.id, received);
      return;
    }
    if (!request.ok) {
      if (request.limit) this.#context.deps.metrics.limitHit(request.limit);
      // The message only: a refused frame is the client's problem, not a stack trace worth logging.
      this.#context.log.debug({ reason: request.error.message, id: request.id }, 'rejected message');
      this.#respond(request.method ?? 'unknown', { id: request.id, ok: false, error: toErrorBody(request.error) }, received);
      return;
    }
    if (this.#pending >= MAX_PENDING_REQUESTS) {
      const error = new UnavailableError(`too many requests in flight (${MAX_PENDING_REQUESTS}); wait for responses`);
      this.#respond(request.method, { id: request.id, ok: false, error: toErrorBody(error) }, received);
      return;
    }
    this.#pending += 1;
    void this.enqueue(async () => {
      this.#pending -= 1;
      // The socket closed while this request waited: nobody to answer, and the release is queued
      // next. Only a `leave` is still honoured, so its reason ('left') is what gets recorded.
      if (!this.#context.isOpen() && request.method !== 'leave') return;
      await this.#dispatch(request, received);
    });
  }

  /** One inbound binary frame: the protocol is JSON text only. */
  onBinaryFrame(): void {
    if (!this.#requests.take()) {
      this.#refuseOverRate('unknown', null, performance.now());
      return;
    }
    const error = new BadJsonError('binary frames are not part of the protocol; send JSON text frames');
    this.#respond('unknown', { id: null, ok: false, error: toErrorBody(error) }, performance.now());
  }

  /** Queues work to run right after the current request's response is sent; dropped if it fails. */
  afterResponse(work: () => Promise<void>): void {
    this.#afterResponse.push(work);
  }

  /** Runs `task` after everything queued before it. Resolves when it has run. */
  enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(task).catch((error: unknown) => {
      // Handlers catch their own errors; reaching this is a bug, and it must not stop later tasks.
      this.#context.log.error({ err: error }, 'peer session task failed');
    });
    this.#tail = run;
    return run;
  }

  async #dispatch(request: ParsedRequest, received: number): Promise<void> {
    const span = startSessionSpan(request.method);
    let response: ResponseEnvelope;
    try {
      response = { id: request.id, ok: true, data: await span.run(() => this.#options.handle(request)) };
    } catch (error) {
      const body = toErrorBody(error);
      const fields = { err: error, method: request.method, ...this.#options.ids() };
      if (body.code === ErrorCode.Internal) this.#context.log.error(fields, 'request failed');
      else this.#context.log.debug({ ...fields, code: body.code }, 'request refused');
      response = { id: request.id, ok: false, error: body };
      this.#afterResponse = [];
    }
    this.#respond(request.method, response, received);
    span.end(response.ok ? 'ok' : response.error.code, this.#options.ids());
    this.#options.answered(request.method, response.ok);
    const after = this.#afterResponse;
    this.#afterResponse = [];
    for (const work of after) await work();
  }

  /** Answers a frame beyond the socket's request rate; closes the socket when it keeps at it. */
  #refuseOverRate(type: string, id: number | null, received: number): void {
    const { limits, metrics } = this.#context.deps;
    metrics.limitHit('requests_per_second');
    const error = new RateLimitedError(
      `more than ${limits.requestsPerSecond} requests per second (bursts of ${limits.requestBurst}) on this socket; slow down`,
    );
    this.#respond(type, { id, ok: false, error: toErrorBody(error) }, received);
    if (!this.#refusalsBeforeClose.take()) {
      metrics.limitHit('socket_rate_limit_close');
      this.#context.log.warn({ refused: limits.rateLimitCloseAfter }, 'socket kept sending far beyond the request rate; closing it (1008)');
      this.#context.closeForPolicyViolation('request rate limit exceeded repeatedly');
    }
  }

  /** Sends the response to a request of `type` ('unknown' when unparseable) that arrived at `received`. */
  #respond(type: string, response: ResponseEnvelope, received: number): void {
    this.#context.send(response);
    this.#context.deps.metrics.requestAnswered(type, response.ok ? 'ok' : response.error.code, (performance.now() - received) / 1000);
  }
}
