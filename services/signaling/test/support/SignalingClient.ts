/**
 * A protocol v1 test client over a real WebSocket (`ws`). Every response it receives is checked
 * against the protocol's schemas (ResponseEnvelope, and responses[method] when ok) and every push
 * against pushes[event], so a test that uses it also proves the server's messages are well-formed.
 */
import { WebSocket } from 'ws';
import {
  ResponseEnvelope,
  SIGNALING_SUBPROTOCOL,
  pushes,
  responses,
  type ErrorBody,
  type Method,
  type Push,
  type PushData,
  type PushEvent,
  type RequestInput,
  type ResponseData,
} from '@lab/proto/signaling';

export type Response<M extends Method> = { id: number; ok: true; data: ResponseData<M> } | { id: number | null; ok: false; error: ErrorBody };

interface Waiter {
  match(message: unknown): boolean;
  resolve(message: unknown): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class SignalingClient {
  readonly ws: WebSocket;
  /** Every push received, in order. */
  readonly pushes: Push[] = [];
  /** Responses with `id: null` (unparseable requests), in order. */
  readonly anonymousErrors: ErrorBody[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #nextId = 1;
  readonly #pending = new Map<number, { method: string; resolve: (response: unknown) => void }>();
  #waiters: Waiter[] = [];
  #schemaErrors: string[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (raw, isBinary) => this.#onMessage(isBinary ? '<binary>' : raw.toString()));
  }

  /**
   * Opens a socket offering the protocol's subprotocol (or `protocols` when given), from
   * `localAddress` when given (any 127.x.y.z: tests of per-address limits play several hosts).
   */
  static async connect(wsUrl: string, protocols: string[] = [SIGNALING_SUBPROTOCOL], options: { localAddress?: string } = {}): Promise<SignalingClient> {
    const ws = new WebSocket(wsUrl, protocols, options.localAddress ? { localAddress: options.localAddress } : {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => reject(new UpgradeRefusedError(response.statusCode ?? 0, body)));
      });
    });
    return new SignalingClient(ws);
  }

  /** Sends a request and resolves with its (schema-checked) response. */
  request<M extends Method>(method: M, data: RequestInput<M>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Response<M>> {
    const id = this.#nextId++;
    return this.#await<Response<M>>(id, method, JSON.stringify({ id, method, data }), timeoutMs);
  }

  /** Like request(), but throws unless the response is ok; returns its data. */
  async call<M extends Method>(method: M, data: RequestInput<M>, timeoutMs?: number): Promise<ResponseData<M>> {
    const response = await this.request(method, data, timeoutMs);
    if (!response.ok) throw new Error(`${method} failed: ${response.error.code}: ${response.error.message}`);
    return response.data;
  }

  /** Sends an arbitrary text frame; for a frame carrying `id`, resolves with the response to it. */
  sendRawExpectingId(frame: string, id: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Response<Method>> {
    return this.#await<Response<Method>>(id, '<raw>', frame, timeoutMs);
  }

  /** Sends an arbitrary frame and resolves with the next `id: null` error response. */
  async sendRawExpectingAnonymousError(frame: string | Buffer, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ErrorBody> {
    const before = this.anonymousErrors.length;
    this.ws.send(frame);
    await waitUntil(() => this.anonymousErrors.length > before, timeoutMs, 'an id:null error response');
    return this.anonymousErrors[before]!;
  }

  /** Resolves with the first push of `event` (received from now on, or already received when `fromStart`) matching `where`. */
  nextPush<E extends PushEvent>(
    event: E,
    where: (data: PushData<E>) => boolean = () => true,
    options: { timeoutMs?: number; fromStart?: boolean } = {},
  ): Promise<PushData<E>> {
    const matches = (message: unknown): message is { event: E; data: PushData<E> } =>
      typeof message === 'object' && message !== null && (message as Push).event === event && where((message as Push).data as PushData<E>);
    if (options.fromStart) {
      const seen = this.pushes.find(matches);
      if (seen) return Promise.resolve(seen.data as PushData<E>);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== entry);
        reject(new Error(`no ${event} push within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms; got: ${this.pushes.map((push) => push.event).join(', ')}`));
      }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      const entry: Waiter = {
        match: matches,
        resolve: (message) => {
          clearTimeout(timer);
          resolve((message as { data: PushData<E> }).data);
        },
      };
      this.#waiters.push(entry);
    });
  }

  pushesOf<E extends PushEvent>(event: E): PushData<E>[] {
    return this.pushes.filter((push) => push.event === event).map((push) => push.data as PushData<E>);
  }

  /** Messages from the server that did not match the protocol's schemas (should stay empty). */
  get schemaErrors(): readonly string[] {
    return this.#schemaErrors;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    await this.closed;
  }

  #await<T>(id: number, method: string, frame: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no response to ${method} #${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        method,
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response as T);
        },
      });
      this.ws.send(frame);
    });
  }

  #onMessage(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.#schemaErrors.push(`not JSON: ${text.slice(0, 200)}`);
      return;
    }
    if (typeof message === 'object' && message !== null && 'event' in message) {
      const push = message as Push;
      const schema = pushes[push.event as PushEvent];
      const checked = schema?.safeParse(push.data);
      if (!checked?.success) this.#schemaErrors.push(`bad push ${text.slice(0, 300)}`);
      this.pushes.push(push);
      for (const waiter of [...this.#waiters]) {
        if (waiter.match(push)) {
          this.#waiters = this.#waiters.filter((candidate) => candidate !== waiter);
          waiter.resolve(push);
        }
      }
      return;
    }
    const envelope = ResponseEnvelope.safeParse(message);
    if (!envelope.success) {
      this.#schemaErrors.push(`bad response envelope ${text.slice(0, 300)}`);
      return;
    }
    const response = envelope.data;
    if (response.id === null) {
      if (!response.ok) this.anonymousErrors.push(response.error);
      return;
    }
    const pending = this.#pending.get(response.id);
    if (!pending) {
      this.#schemaErrors.push(`response to unknown or already answered id ${response.id}`);
      return;
    }
    this.#pending.delete(response.id);
    if (response.ok && pending.method in responses) {
      const checked = responses[pending.method as Method].safeParse(response.data);
      if (!checked.success) this.#schemaErrors.push(`bad ${pending.method} response ${text.slice(0, 300)}`);
    }
    pending.resolve(response);
  }
}

export class UpgradeRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`WebSocket upgrade refused: HTTP ${status}: ${body}`);
  }
}

/** Polls `condition` every 25 ms until true; rejects after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
