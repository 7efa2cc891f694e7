/**
 * A stand-in SFU for unit tests: a real gRPC server (any free port, or a given one to come back on)
 * serving lab.sfu.v1.Sfu with the test's handlers, grpc.health.v1, and WatchEvents streams the test
 * can write to.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { loadSfuProto, type SfuEvent, type SfuHandlers } from '@lab/proto/sfu';

export interface FakeSfu {
  port: number;
  /** Active WatchEvents streams. */
  streams: Set<grpc.ServerWritableStream<unknown, SfuEvent>>;
  health: HealthImplementation;
  stop(): Promise<void>;
}

export async function startFakeSfu(handlers: Partial<SfuHandlers>, port = 0): Promise<FakeSfu> {
  const server = new grpc.Server();
  const streams = new Set<grpc.ServerWritableStream<unknown, SfuEvent>>();
  server.addService(loadSfuProto().Sfu.service, {
    WatchEvents: (call: grpc.ServerWritableStream<unknown, SfuEvent>) => {
      streams.add(call);
      call.on('cancelled', () => streams.delete(call));
      call.sendMetadata(new grpc.Metadata());
    },
    ...handlers,
  } as grpc.UntypedServiceImplementation);
  const health = new HealthImplementation({ '': 'SERVING', 'lab.sfu.v1.Sfu': 'SERVING' });
  health.addToServer(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, actual) => (error ? reject(error) : resolve(actual))),
  );
  return {
    port: bound,
    streams,
    health,
    stop: () =>
      new Promise<void>((resolve) => {
        // Like an SFU restart: open streams end with UNAVAILABLE, then the port closes.
        for (const call of streams) call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'SFU shutting down' });
        server.tryShutdown(() => resolve());
      }),
  };
}

