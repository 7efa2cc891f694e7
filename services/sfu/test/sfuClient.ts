/**
 * Test-side gRPC helpers: the typed lab.sfu.v1 client with promises and deadlines, a WatchEvents
 * reader, a health client, a raw HTTP/2 caller (to send a grpc-timeout the grpc-js client never
 * sends), and RTP parameters built the way mediasoup's own tests build them.
 */
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { loadSfuProto, type SfuClient, type SfuEvent__Output } from '@lab/proto/sfu';

export type { SfuClient };

/** Default deadline of test calls: generous, the machine is shared. */
const DEFAULT_DEADLINE_MS = 15_000;

export function createSfuClient(address: string): SfuClient {
  const { Sfu } = loadSfuProto();
  return new Sfu(address, grpc.credentials.createInsecure());
}

/** Runs one unary call with a deadline: `await call<ProduceResponse__Output>((o, cb) => client.Produce(req, o, cb))`. */
export function call<Response>(
  invoke: (options: grpc.CallOptions, callback: grpc.requestCallback<Response>) => unknown,
  deadline: grpc.Deadline = Date.now() + DEFAULT_DEADLINE_MS,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    invoke({ deadline }, (error, response) => {
      if (error) reject(error);
      else resolve(response as Response);
    });
  });
}

/** The gRPC status error of a call that must fail. */
export async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('the call succeeded but was expected to fail');
}

export type EventWatcher = {
  events: SfuEvent__Output[];
  /** The first event (already received or future) matching `predicate`. */
  next(predicate: (event: SfuEvent__Output) => boolean, timeoutMs?: number): Promise<SfuEvent__Output>;
  /** Resolves with the stream's final status. */
  status: Promise<grpc.StatusObject>;
  cancel(): void;
};

/** Subscribes and resolves once the SFU has sent the response headers, i.e. once it is subscribed. */
export function watchEvents(client: SfuClient, roomIds: string[], signalingInstance = ''): Promise<EventWatcher> {
  const stream = client.WatchEvents({ roomIds, signalingInstance });
  const events: SfuEvent__Output[] = [];
  const waiters = new Set<{ predicate: (event: SfuEvent__Output) => boolean; resolve: (event: SfuEvent__Output) => void }>();
  stream.on('data', (event: SfuEvent__Output) => {
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  stream.on('error', () => {}); // the final status is read from 'status'
  const status = new Promise<grpc.StatusObject>((resolve) => stream.once('status', resolve));
  const watcher: EventWatcher = {
    events,
    next(predicate, timeoutMs = 15_000) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (event: SfuEvent__Output) => {
            clearTimeout(timer);
            resolve(event);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching event within ${timeoutMs} ms; got: ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    status,
    cancel: () => stream.cancel(),
  };
  return new Promise((resolve, reject) => {
    stream.once('metadata', () => resolve(watcher));
    void status.then((final) => reject(new Error(`WatchEvents ended before subscribing: ${final.code} ${final.details}`)));
  });
}

/** grpc.health.v1 Check. */
export function checkHealth(address: string, serviceName: string): Promise<string> {
  const Health = grpc.makeGenericClientConstructor(healthService as grpc.ServiceDefinition, 'Health');
  const client = new Health(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (value: { service: string }) => Buffer.from(healthService.Check!.requestSerialize(value)),
      (bytes: Buffer) => healthService.Check!.responseDeserialize(bytes) as { status: string },
      { service: serviceName },
      { deadline: Date.now() + 10_000 },
      (error, response) => {
        client.close();
        if (error) reject(error);
        else resolve(response!.status);
      },
    );
  });
}

/**
 * Sends one unary lab.sfu.v1 request over plain HTTP/2 with a hand-written `grpc-timeout` header
 * (e.g. "1n": the deadline has passed when the SFU reads the request). grpc-js clients never send an
 * expired deadline — they fail locally — so this is the way to test the SFU's own check.
 */
export async function rawUnary(
  address: string,
  method: string,
  request: object,
  grpcTimeout: string,
): Promise<{ code: number; message: string }> {
  const definition = loadSfuProto().Sfu.service[method as keyof ReturnType<typeof loadSfuProto>['Sfu']['service']];
  if (!definition) throw new Error(`unknown method ${method}`);
  const body = Buffer.from(definition.requestSerialize(request as never));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);

  const session = http2.connect(`http://${address}`);
  try {
    return await new Promise((resolve, reject) => {
      session.once('error', reject);
      const stream = session.request({
        ':method': 'POST',
        ':path': definition.path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': grpcTimeout,
      });
      let headers: http2.IncomingHttpHeaders = {};
      stream.on('response', (received) => (headers = received));
      stream.on('trailers', (trailers) => (headers = { ...headers, ...trailers }));
      stream.on('data', () => {});
      stream.once('error', reject);
      stream.once('close', () => {
        resolve({
          code: Number(headers['grpc-status'] ?? -1),
          message: decodeURIComponent(String(headers['grpc-message'] ?? '')),
        });
      });
      stream.end(frame);
    });
  } finally {
    session.close();
  }
}

/** RTP capabilities as the router announces them (mediasoup JSON). */
export type RouterCapabilities = {
  codecs: Array<{ kind: string; mimeType: string; preferredPayloadType: number; clockRate: number; channels?: number }>;
  headerExtensions: unknown[];
};

/**
 * RTP parameters of a browser-less producer, as mediasoup's tests build them: the router's payload
 * type for the codec and a fixed SSRC.
 */
export function producerRtpParameters(capabilities: RouterCapabilities, kind: 'audio' | 'video', ssrc: number): string {
  const mimeType = kind === 'audio' ? 'audio/opus' : 'video/VP8';
  const codec = capabilities.codecs.find((candidate) => candidate.mimeType === mimeType);
  if (!codec) throw new Error(`router offers no ${mimeType}`);
  return JSON.stringify({
    mid: kind === 'audio' ? 'AUDIO' : 'VIDEO',
    codecs: [
      {
        mimeType,
        payloadType: codec.preferredPayloadType,
        clockRate: codec.clockRate,
        ...(kind === 'audio' ? { channels: 2, parameters: { useinbandfec: 1 } } : {}),
        rtcpFeedback: [],
      },
    ],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: `cname-${ssrc}` },
  });
}

/** A receiver that supports only PCMU: it can consume nothing the router forwards. */
export const PCMU_ONLY_CAPABILITIES = JSON.stringify({
  codecs: [{ kind: 'audio', mimeType: 'audio/PCMU', preferredPayloadType: 0, clockRate: 8000 }],
  headerExtensions: [],
});

/** A DTLS fingerprint in the right format (the transport accepts it; DTLS itself never starts here). */
export const FAKE_DTLS_PARAMETERS = {
  role: 'client',
  fingerprints: [
    {
      algorithm: 'sha-256',
      value: 'E5:F5:CA:A7:2D:93:E6:16:AC:21:09:9F:23:51:62:8C:D0:66:E9:0C:22:54:2B:82:0C:DF:E0:C5:2C:7E:CD:53',
    },
  ],
};
