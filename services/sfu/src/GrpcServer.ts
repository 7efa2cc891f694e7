/**
 * The gRPC server: lab.sfu.v1.Sfu plus grpc.health.v1 (grpc-health-check). Health starts
 * NOT_SERVING for both "" and "lab.sfu.v1.Sfu"; main.ts flips it to SERVING once the mediasoup
 * workers are up, and back to NOT_SERVING when shutdown begins.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';
import { loadSfuProto, type SfuHandlers } from '@lab/proto/sfu';

/** The service name health checks ask about (besides "", the whole server). */
export const SFU_SERVICE_NAME = 'lab.sfu.v1.Sfu';

export type GrpcServer = {
  /** The bound port (useful when configured as 0). */
  readonly port: number;
  setServing(serving: boolean): void;
  /** Waits up to `graceMs` for running calls to finish, then cancels the rest. */
  shutdown(graceMs: number): Promise<void>;
};

export async function startGrpcServer(options: {
  host: string;
  port: number;
  handlers: SfuHandlers;
  log: Logger;
}): Promise<GrpcServer> {
  const server = new grpc.Server();
  server.addService(loadSfuProto().Sfu.service, options.handlers);

  const health = new HealthImplementation({ '': 'NOT_SERVING', [SFU_SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(server);
  const setHealth = (status: ServingStatus) => {
    health.setStatus('', status);
    health.setStatus(SFU_SERVICE_NAME, status);
  };

  const address = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(new Error(`cannot listen for gRPC on ${address}: ${error.message}`, { cause: error }));
      else resolve(bound);
    });
  });

  return {
    port,
    setServing(serving) {
      setHealth(serving ? 'SERVING' : 'NOT_SERVING');
      options.log.info({ serving }, 'health status changed');
    },
    shutdown(graceMs) {
      setHealth('NOT_SERVING');
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          options.log.warn({ graceMs }, 'gRPC calls still running after the grace period; cancelling them');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
