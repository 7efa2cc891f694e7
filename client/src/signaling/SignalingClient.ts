/**
 * The page's only connection to the signaling service: one WebSocket speaking protocol v1
 * (`@lab/proto/signaling`). Every response and push is validated against the protocol's schemas
 * before anyone sees it — the page does not trust the server blindly — and every failure reaches
 * the caller (a rejected request, or a `protocolError` / `close` event), never a silent drop.
 */
import {
  MAX_MESSAGE_BYTES,
  PushEnvelope,
  ResponseEnvelope,
  SIGNALING_SUBPROTOCOL,
  describeZodError,
  pushes,
  requests,
  responses,
  type Method,
  type PushData,
  type PushEvent,
  type RequestInput,
  type ResponseData,
} from '@lab/proto/signaling';
import { Emitter } from '../lib/Emitter.ts';
import { SignalingError } from './SignalingError.ts';

/** The subset of the browser's WebSocket this client uses (so unit tests can hand it a fake). */
export interface SocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string, protocol: string) => SocketLike;

export interface SignalingClientOptions {
  /** ws(s)://host/ws — see {@link signalingUrlFor}. */
  url: string;
  /** How long a request may wait for its response. Default 10 s: longer than any SFU deadline. */
  requestTimeoutMs?: number;
  /** Default: the browser's WebSocket. */
  createSocket?: SocketFactory;
}

export type SignalingEvents = { [E in PushEvent]: [PushData<E>] } & {
  /** The socket closed (by either side). Pending requests have been rejected with `closed`. */
  close: [{ code: number; reason: string }];
  /** The server sent something this client cannot use (bad JSON, unknown id, schema mismatch). */
  protocolError: [Error];
};

const OPEN = 1;
const DEFAULT_TIMEOUT_MS = 10_000;

interface Pending {
  method: Method;
  resolve: (data: unknown) => void;
  reject: (error: SignalingError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The signaling endpoint on the page's own origin: the service (or Vite's proxy) serves both. */
export function signalingUrlFor(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

export class SignalingClient extends Emitter<SignalingEvents> {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #createSocket: SocketFactory;
  readonly #pending = new Map<number, Pending>();
  #socket: SocketLike | undefined;
  #opening: Promise<void> | undefined;
  #nextId = 1;
  #closed = false;

  constructor(options: SignalingClientOptions) {
    super();
    this.#url = options.url;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#createSocket =
      options.createSocket ?? ((url, protocol) => new WebSocket(url, protocol) as unknown as SocketLike);
  }

  get connected(): boolean {
    return this.#socket?.readyState === OPEN;
  }

  /** True while the socket is opening or open: a client made ahead of time can still be used. */
  get usable(): boolean {
    return this.#socket === undefined || this.#socket.readyState <= OPEN;
  }

  /**
   * Opens the socket; rejects if it closes (or the server refuses the subprotocol) before opening.
   * Calling it again returns the same promise, so a page can open the socket ahead of time.
   */
  connect(): Promise<void> {
    this.#opening ??= this.#open();
    return this.#opening;
  }

  #open(): Promise<void> {
    const socket = this.#createSocket(this.#url, SIGNALING_SUBPROTOCOL);
    this.#socket = socket;
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      socket.onopen = () => {
        opened = true;
        if (socket.protocol !== SIGNALING_SUBPROTOCOL) {
          // A server that ignores the subprotocol speaks something else; talking on would only
          // produce confusing schema errors later.
          socket.close(1002, 'subprotocol required');
          reject(new SignalingError('closed', `the server did not accept protocol ${SIGNALING_SUBPROTOCOL}`));
          return;
        }
        resolve();
      };
      // The browser fires `error` then `close` and never says why; `close` carries the code.
      socket.onerror = () => {};
      socket.onclose = (event) => {
        this.#handleClose(event.code, event.reason);
        if (!opened) {
          reject(new SignalingError('closed', `cannot reach the signaling service at ${this.#url} (code ${event.code})`));
        }
      };
      socket.onmessage = (event) => this.#handleMessage(event.data);
    });
  }

  /**
   * Sends one request and resolves with its validated response data. Rejects with a
   * {@link SignalingError} carrying the server's code and message, or a client-side code.
   */
  request<M extends Method>(method: M, data: RequestInput<M>): Promise<ResponseData<M>> {
    const parsed = requests[method].safeParse(data);
    if (!parsed.success) {
      return Promise.reject(new SignalingError('invalid_request', describeZodError(parsed.error), method));
    }
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) {
      return Promise.reject(new SignalingError('closed', `cannot send ${method}: not connected`, method));
    }
    const id = this.#nextId++;
    const frame = JSON.stringify({ id, method, data: parsed.data });
    if (new TextEncoder().encode(frame).byteLength > MAX_MESSAGE_BYTES) {
      return Promise.reject(
        new SignalingError('invalid_request', `${method} is larger than ${MAX_MESSAGE_BYTES} bytes`, method),
      );
    }
    return new Promise<ResponseData<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalingError('timeout', `${method}: no response within ${this.#timeoutMs / 1000} s`, method));
      }, this.#timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (data: unknown) => void, reject, timer });
      socket.send(frame);
    });
  }

  /** Closes the socket; pending requests fail with `closed`. Idempotent. */
  close(code = 1000, reason = 'bye'): void {
    if (this.#closed) return;
    const socket = this.#socket;
    if (socket && socket.readyState <= OPEN) socket.close(code, reason);
    this.#handleClose(code, reason);
  }

  #handleClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const why = `connection closed (code ${code}${reason ? `: ${reason}` : ''})`;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(new SignalingError('closed', `${pending.method}: ${why}`, pending.method));
    }
    this.emit('close', { code, reason });
  }

  #handleMessage(raw: unknown): void {
    if (typeof raw !== 'string') {
      this.emit('protocolError', new Error('signaling: received a binary frame; protocol v1 is text only'));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      this.emit('protocolError', new Error(`signaling: received a frame that is not JSON: ${raw.slice(0, 80)}`));
      return;
    }
    if (typeof message === 'object' && message !== null && 'event' in message) {
      this.#handlePush(message);
    } else {
      this.#handleResponse(message);
    }
  }

  #handlePush(message: object): void {
    const envelope = PushEnvelope.safeParse(message);
    if (!envelope.success) {
      this.emit('protocolError', new Error(`signaling: malformed push: ${describeZodError(envelope.error)}`));
      return;
    }
    const { event, data } = envelope.data;
    if (!Object.hasOwn(pushes, event)) {
      this.emit('protocolError', new Error(`signaling: unknown push event "${event}"`));
      return;
    }
    const name = event as PushEvent;
    const parsed = pushes[name].safeParse(data);
    if (!parsed.success) {
      this.emit('protocolError', new Error(`signaling: invalid ${name} push: ${describeZodError(parsed.error)}`));
      return;
    }
    // The cast is safe: `parsed` came from the schema of this very event name.
    (this.emit as (event: PushEvent, data: unknown) => void)(name, parsed.data);
  }

  #handleResponse(message: unknown): void {
    const envelope = ResponseEnvelope.safeParse(message);
    if (!envelope.success) {
      this.emit('protocolError', new Error(`signaling: malformed response: ${describeZodError(envelope.error)}`));
      return;
    }
    const response = envelope.data;
    if (!response.ok && response.id === null) {
      // The server could not read one of our frames far enough to know its id.
      this.emit(
        'protocolError',
        new SignalingError(response.error.code, `signaling: the server refused a frame: ${response.error.message}`),
      );
      return;
    }
    const id = response.id ?? -1;
    const pending = this.#pending.get(id);
    if (!pending) {
      this.emit('protocolError', new Error(`signaling: response to unknown request id ${response.id}`));
      return;
    }
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (!response.ok) {
      pending.reject(new SignalingError(response.error.code, response.error.message, pending.method));
      return;
    }
    const data = responses[pending.method].safeParse(response.data);
    if (!data.success) {
      pending.reject(
        new SignalingError(
          'bad_response',
          `${pending.method}: the server's response does not match the protocol: ${describeZodError(data.error)}`,
          pending.method,
        ),
      );
      return;
    }
    pending.resolve(data.data);
  }
}
