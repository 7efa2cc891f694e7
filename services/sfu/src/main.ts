/**
 * SFU process entry: wiring only. Config first — mediasoup reads MEDIASOUP_WORKER_BIN when it is
 * imported, so it is imported (dynamically) only after the config check proved the binary exists.
 * SIGTERM / SIGINT: health NOT_SERVING, end event streams, drain gRPC, close rooms and workers, exit 0.
 */
import { ConfigError, loadConfig, type SfuConfig } from './config.ts';
import { EventFeed } from './EventFeed.ts';
import { startGrpcServer } from './GrpcServer.ts';
import { logger, moduleLogger } from './logger.ts';
import { SfuMetrics, startMetricsServer } from './metrics.ts';
import { RoomRegistry } from './RoomRegistry.ts';
import { createSfuHandlers } from './SfuService.ts';
import { SignalingLeases } from './SignalingLeases.ts';
import { buildInfo } from './telemetry/buildInfo.ts';
import { StatsCollector } from './telemetry/StatsCollector.ts';
import { installTracing } from './tracing.ts';
import { sumLoads, WorkerPool } from './WorkerPool.ts';

// First, so every gRPC call below is traced when OTEL_EXPORTER_OTLP_ENDPOINT is set (tracing.ts).
installTracing();
const log = moduleLogger('main');

/** Running calls get this long to finish at shutdown before they are cancelled. */
const SHUTDOWN_GRACE_MS = 5000;

function exit(code: number): never {
  logger.flush();
  process.exit(code);
}

let config: SfuConfig;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  log.fatal(error.message);
  exit(1);
}

process.env.MEDIASOUP_WORKER_BIN = config.workerBin;
const mediasoup = await import('mediasoup');
const mediasoupLog = moduleLogger('mediasoup');
let stopping = false;
// mediasoup's own warnings and errors (worker stderr, channel problems) into the service log. While
// stopping, a closing worker prints "channel remotely closed" on stderr, which mediasoup reports as
// an error: expected then, so logged at info level to keep error lines meaningful.
mediasoup.setLogEventListeners({
  onwarn: (namespace, message) => mediasoupLog.warn({ namespace }, message),
  onerror: (namespace, message, error) =>
    (stopping ? mediasoupLog.info : mediasoupLog.error).call(mediasoupLog, { namespace, err: error }, message),
});

const metrics = new SfuMetrics({ perStream: config.metrics.perStream, maxStreams: config.metrics.maxStreams });
metrics.buildInfo(buildInfo(mediasoup.version, config.workerBin));
const feed = new EventFeed({ log: moduleLogger('EventFeed'), metrics });
const pool = new WorkerPool({
  size: config.workers,
  createWorker: (settings) => mediasoup.createWorker(settings),
  log: moduleLogger('WorkerPool'),
});
pool.on('workerdied', () => metrics.workerDied());
const registry = new RoomRegistry({
  pool,
  transportSettings: config.rtc,
  peerLimits: config.limits,
  publish: (event) => feed.publish(event),
  log: moduleLogger('Room'),
});
const leases = new SignalingLeases({
  graceMs: config.signalingLeaseSeconds * 1000,
  closePeer: (roomId, peerId, reason) => registry.find(roomId)?.leave(peerId, reason),
  onExpired: (_instance, peers) => metrics.leaseExpired(peers),
  log: moduleLogger('SignalingLeases'),
});
metrics.watchLoad(() => {
  const perWorker = pool.loads();
  return { workers: pool.size, rooms: registry.size, ...sumLoads(perWorker), perWorker, eventSubscribers: feed.subscriberCount };
});
const statsCollector = new StatsCollector({
  rooms: () => registry.rooms(),
  pool,
  metrics,
  intervalSeconds: config.metrics.statsIntervalSeconds,
  log: moduleLogger('StatsCollector'),
});

let grpcServer: Awaited<ReturnType<typeof startGrpcServer>>;
let metricsServer: Awaited<ReturnType<typeof startMetricsServer>>;
try {
  grpcServer = await startGrpcServer({
    host: config.grpc.host,
    port: config.grpc.port,
    handlers: createSfuHandlers({ registry, pool, feed, leases, metrics, nodeId: config.nodeId, log: moduleLogger('SfuService') }),
    log: moduleLogger('GrpcServer'),
  });
  metricsServer = await startMetricsServer(metrics, config.metrics, moduleLogger('metrics'));
  await pool.start();
} catch (error) {
  log.fatal({ err: error }, 'SFU failed to start');
  await pool.close();
  exit(1);
}
grpcServer.setServing(true);
statsCollector.start();
log.info(
  {
    nodeId: config.nodeId,
    grpcHost: config.grpc.host,
    grpcPort: grpcServer.port,
    metricsHost: config.metrics.host,
    metricsPort: metricsServer.port,
    workers: pool.size,
    rtc: config.rtc,
  },
  'sfu ready',
);

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  grpcServer.setServing(false);
  // WatchEvents streams never end by themselves: end them, or the drain below waits the whole grace.
  feed.close();
  await grpcServer.shutdown(SHUTDOWN_GRACE_MS);
  await statsCollector.stop();
  leases.close();
  registry.closeAll('shutdown');
  await pool.close();
  await metricsServer.close();
  log.info('stopped');
  exit(0);
}
process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));
