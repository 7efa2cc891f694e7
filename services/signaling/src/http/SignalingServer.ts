/**
 * The uWebSockets.js server: WebSocket signaling at /ws, GET /healthz (liveness), GET /readyz
 * (readiness), GET /metrics and the built client at /. uWS rules followed here: an HTTP response
 * answered after an await has an onAborted handler and is written inside cork(); a WebSocket is never
 * used after its close event (the `closed` flag in its user data guards every send); per-socket state
 * lives in getUserData().
 */
import uWS from 'uWebSockets.js';
import type { HttpResponse, TemplatedApp, WebSocket, us_listen_socket } from 'uWebSockets.js';
import { MAX_MESSAGE_BYTES, SIGNALING_SUBPROTOCOL, type Push, type ResponseEnvelope } from '@lab/proto/signaling';
import type { LeaveReason } from '../db/SessionRepository.ts';
import type { AddressLimits } from '../limits/AddressLimits.ts';
import { moduleLogger } from '../logger.ts';
import type { SignalingMetrics } from '../metrics.ts';
import type { PeerSession, SocketSink } from '../session/PeerSession.ts';
import type { ReadinessReport } from './readiness.ts';
import type { StaticFiles } from './staticFiles.ts';

const log = moduleLogger('SignalingServer');

/** Close codes used by the server (RFC 6455 §7.4.1). */
export const CloseCode = {
  GoingAway: 1001,
  /** The client kept sending far beyond its request rate (SIGNALING_RATE_LIMIT_CLOSE_AFTER). */
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  TryAgainLater: 1013,
} as const;

/**
 * uWebSockets.js (20.30) answers a frame above its maxPayloadLength by dropping the TCP connection
 * without a close frame (the client sees 1006), not with 1009. So uWS's limit is set above the
 * protocol's: frames up to HARD_MAX_FRAME_BYTES are received whole and refused with a proper 1009
 * close; only absurd frames beyond it are cut off the hard way.
 */
const HARD_MAX_FRAME_BYTES = 4 * MAX_MESSAGE_BYTES;

/**
 * Bytes a socket may have queued before the server gives up on it. Signaling messages are small
 * (≤ 64 KiB); 1 MiB queued means the client stopped reading, and dropping a response would break the
 * one-response-per-request rule, so such a socket is closed instead.
 */
const MAX_BACKPRESSURE_BYTES = 1024 * 1024;

export interface SignalingServerOptions {
  host: string;
  /** 0 picks a free port (see SignalingServer.port). */
  port: number;
  idleTimeoutSeconds: number;
  metrics: SignalingMetrics;
  /** Concurrent connections per client address: beyond the maximum the upgrade is refused with HTTP 429. */
  addressLimits: Pick<AddressLimits, 'mayConnect' | 'connected' | 'disconnected'>;
  maxConnectionsPerAddress: number;
  /** A new PeerSession for a new socket. */
  createSession(sink: SocketSink, context: { remoteAddress: string }): PeerSession;
  /** For GET /readyz; must answer within its own bound (see readiness.ts). */
  readiness(): Promise<ReadinessReport>;
  renderMetrics(): Promise<{ contentType: string; body: string }>;
  staticFiles?: StaticFiles;
}

export interface SignalingServer {
  readonly port: number;
  /** Stops accepting, closes every socket with 1001 and waits until their peers are released. */
  close(): Promise<void>;
}

interface SocketData {
  remoteAddress: string;
  /** Set in the close handler; after it the uWS socket object must not be touched. */
  closed: boolean;
  session?: PeerSession;
}

export function startSignalingServer(options: SignalingServerOptions): Promise<SignalingServer> {
  const sockets = new Set<WebSocket<SocketData>>();
  const releasing = new Set<Promise<void>>();
  let shuttingDown = false;

  const app: TemplatedApp = uWS.App();

  app.ws<SocketData>('/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: HARD_MAX_FRAME_BYTES,
    idleTimeout: options.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    maxBackpressure: MAX_BACKPRESSURE_BYTES,

    upgrade(res, req, context) {
      // All headers are read synchronously: the request object is only valid during this call.
      const offered = req
        .getHeader('sec-websocket-protocol')
        .split(',')
        .map((protocol) => protocol.trim());
      const key = req.getHeader('sec-websocket-key');
      const extensions = req.getHeader('sec-websocket-extensions');
      const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();
      if (shuttingDown) {
        writeText(res, '503 Service Unavailable', 'signaling server is shutting down');
        return;
      }
      if (!offered.includes(SIGNALING_SUBPROTOCOL)) {
        log.debug({ remoteAddress, offered }, 'refused WebSocket without the protocol subprotocol');
        writeText(
          res,
          '400 Bad Request',
          `WebSocket subprotocol "${SIGNALING_SUBPROTOCOL}" required: offer it in Sec-WebSocket-Protocol`,
        );
        return;
      }
      if (!options.addressLimits.mayConnect(remoteAddress)) {
        options.metrics.limitHit('connections_per_address');
        log.debug({ remoteAddress }, 'refused WebSocket: too many connections from this address');
        writeText(
          res,
          '429 Too Many Requests',
          `too many connections from ${remoteAddress} (at most ${options.maxConnectionsPerAddress} at once); close some first`,
        );
        return;
      }
      res.upgrade<SocketData>({ remoteAddress, closed: false }, key, SIGNALING_SUBPROTOCOL, extensions, context);
    },

    // An exception escaping a uWS callback would take the whole process (every socket) down: each
    // callback contains its own failures.
    open: guarded('open', (ws) => {
      const data = ws.getUserData();
      sockets.add(ws);
      options.addressLimits.connected(data.remoteAddress);
      options.metrics.socketOpened();
      data.session = options.createSession(socketSink(ws, options.metrics), { remoteAddress: data.remoteAddress });
    }),

    message: guarded('message', (ws, message: ArrayBuffer, isBinary: boolean) => {
      const { session } = ws.getUserData();
      if (!session) return;
      if (message.byteLength > MAX_MESSAGE_BYTES) {
        ws.end(CloseCode.MessageTooBig, `message larger than ${MAX_MESSAGE_BYTES} bytes`);
        return;
      }
      if (isBinary) {
        session.onBinaryMessage();
        return;
      }
      // Decoded now: uWS neuters `message` when this handler returns.
      session.onMessage(Buffer.from(message).toString('utf8'));
    }),

    close: guarded('close', (ws, code: number) => {
      const data = ws.getUserData();
      data.closed = true;
      sockets.delete(ws);
      options.addressLimits.disconnected(data.remoteAddress);
      options.metrics.socketClosed();
      const reason: LeaveReason = shuttingDown ? 'shutdown' : 'disconnected';
      log.debug({ remoteAddress: data.remoteAddress, code, peerId: data.session?.peerId }, 'socket closed');
      // 1000 / 1001 come from a page that closed its socket on purpose (leave, reload, tab closed);
      // anything else (1006: no close frame) means the connection was lost, and the page may resume.
      const lost = !shuttingDown && code !== 1000 && code !== 1001;
      const release = data.session?.socketClosed(reason, { lost });
      if (release) {
        releasing.add(release);
        void release.finally(() => releasing.delete(release));
      }
    }),
  });

  // Liveness: the process and its event loop answer. No dependency is checked, so a database or SFU
  // outage never gets the process restarted (which would drop every call it holds).
  app.get('/healthz', (res) => {
    writeJson(res, '200 OK', { status: 'ok' });
  });

  // Readiness: may a load balancer send new calls here? Not while a dependency a join needs is down,
  // nor once shutdown has begun.
  app.get('/readyz', (res) => {
    if (shuttingDown) {
      writeJson(res, '503 Service Unavailable', { status: 'not ready', reasons: ['shutting down'] });
      return;
    }
    const request = track(res);
    const notReady = (reasons: string[]) =>
      request.respond('503 Service Unavailable', { 'content-type': 'application/json' }, JSON.stringify({ status: 'not ready', reasons }));
    options
      .readiness()
      .then((report) => {
        if (report.ready) request.respond('200 OK', { 'content-type': 'application/json' }, JSON.stringify({ status: 'ready' }));
        else notReady(report.reasons);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'readiness check failed');
        notReady([`readiness check failed: ${error instanceof Error ? error.message : String(error)}`]);
      });
  });

  app.get('/metrics', (res) => {
    const request = track(res);
    options
      .renderMetrics()
      .then(({ contentType, body }) => request.respond('200 OK', { 'content-type': contentType }, body))
      .catch((error: unknown) => {
        log.error({ err: error }, 'rendering metrics failed');
        request.respond('500 Internal Server Error', { 'content-type': 'text/plain' }, 'metrics unavailable');
      });
  });

  app.any('/*', (res, req) => {
    const method = req.getMethod();
    const url = req.getUrl();
    if (method !== 'get' && method !== 'head') {
      res.writeStatus('405 Method Not Allowed').writeHeader('allow', 'GET, HEAD');
      writeText(res, undefined, `${method.toUpperCase()} is not allowed here`);
      return;
    }
    if (!options.staticFiles) {
      writeText(res, '404 Not Found', 'client not built (no SIGNALING_STATIC_DIR); the signaling WebSocket is at /ws');
      return;
    }
    const request = track(res);
    options.staticFiles
      .get(url)
      .then((file) => request.respond(STATUS_LINES[file.status], file.headers, method === 'head' ? undefined : file.body))
      .catch((error: unknown) => {
        log.error({ err: error, url }, 'serving a static file failed');
        request.respond('500 Internal Server Error', { 'content-type': 'text/plain' }, 'internal error');
      });
  });

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (listenSocket: us_listen_socket | false) => {
      if (!listenSocket) {
        reject(new Error(`cannot listen on ${options.host}:${options.port} (address in use or not available)`));
        return;
      }
      const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);
      log.info({ host: options.host, port }, 'signaling server listening');
      let closing: Promise<void> | undefined;
      resolve({
        port,
        close() {
          closing ??= (async () => {
            shuttingDown = true;
            uWS.us_listen_socket_close(listenSocket);
            for (const ws of [...sockets]) {
              if (!ws.getUserData().closed) ws.end(CloseCode.GoingAway, 'server shutting down');
            }
            await Promise.allSettled([...releasing]);
          })();
          return closing;
        },
      });
    });
  });
}

const STATUS_LINES = { 200: '200 OK', 400: '400 Bad Request', 404: '404 Not Found' } as const;

/** Wraps a WebSocket callback so that a bug in it is logged and closes only that socket. */
function guarded<Args extends unknown[]>(
  name: string,
  callback: (ws: WebSocket<SocketData>, ...args: Args) => void,
): (ws: WebSocket<SocketData>, ...args: Args) => void {
  return (ws, ...args) => {
    try {
      callback(ws, ...args);
    } catch (error) {
      const data = ws.getUserData();
      log.error({ err: error, callback: name, remoteAddress: data.remoteAddress }, 'WebSocket callback failed');
      if (!data.closed && name !== 'close') ws.end(CloseCode.InternalError, 'internal error');
    }
  };
}

/** The socket as PeerSession sees it: JSON out, backpressure-aware, counted once sent, inert once closed. */
function socketSink(ws: WebSocket<SocketData>, metrics: SignalingMetrics): SocketSink {
  return {
    send(message: ResponseEnvelope | Push) {
      const data = ws.getUserData();
      if (data.closed) return;
      const text = JSON.stringify(message);
      let status = 1;
      ws.cork(() => {
        status = ws.send(text, false);
      });
      // 2 = dropped (more than maxBackpressure queued): the client stopped reading. Close rather than
      // silently lose a response or push.
      if (status === 2) {
        if (!data.closed) {
          log.warn({ remoteAddress: data.remoteAddress, buffered: ws.getBufferedAmount() }, 'socket not reading; closing it');
          ws.end(CloseCode.TryAgainLater, 'too much unread data');
        }
        return;
      }
      metrics.messageSent(message);
    },
    closeForPolicyViolation(reason: string) {
      if (!ws.getUserData().closed) ws.end(CloseCode.PolicyViolation, reason);
    },
  };
}

/** An HTTP response answered asynchronously: aborted-aware and corked, as uWS requires. */
function track(res: HttpResponse): {
  respond(status: string, headers: Record<string, string>, body?: string | Buffer): void;
} {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  return {
    respond(status, headers, body) {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(status);
        for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
        if (body === undefined) res.endWithoutBody();
        else res.end(body);
      });
    },
  };
}

/** A synchronous JSON answer (inside the route handler, so already corked). */
function writeJson(res: HttpResponse, status: string, body: unknown): void {
  res.writeStatus(status).writeHeader('content-type', 'application/json').end(JSON.stringify(body));
}

/** A synchronous plain-text answer (inside the route handler, so already corked). */
function writeText(res: HttpResponse, status: string | undefined, message: string): void {
  if (status) res.writeStatus(status);
  res.writeHeader('content-type', 'text/plain; charset=utf-8').end(message);
}
