/**
 * Signaling service entry point: wiring only. Config → database (migrated) → SFU gateway and event
 * feed → room state → HTTP/WebSocket server; SIGTERM/SIGINT close sockets with 1001, release every
 * peer, then close the SFU channel, the state and the database.
 */
import { loadConfig, ConfigError, type Config } from './config.ts';
import { describeDatabase, openDatabase } from './db/openDatabase.ts';
import { migrate } from './db/migrate.ts';
import { SessionRepository } from './db/SessionRepository.ts';
import { StaticFiles } from './http/staticFiles.ts';
import { startSignalingServer, type HealthReport } from './http/SignalingServer.ts';
import { LocalPeerRegistry } from './LocalPeerRegistry.ts';
import { logger, moduleLogger } from './logger.ts';
import { PrometheusSignalingMetrics } from './metrics.ts';
import { PeerSession } from './PeerSession.ts';
import { SfuGateway } from './sfu/SfuGateway.ts';
import { SingleNodeSfuDirectory } from './sfu/SfuDirectory.ts';
import { InMemoryRoomStateStore } from './state/InMemoryRoomStateStore.ts';
import { InProcessRoomBus } from './state/InProcessRoomBus.ts';

const log = moduleLogger('main');

/** How long shutdown may take before the process exits anyway (peers' SFU/DB releases included). */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(config: Config): Promise<void> {
  log.info(
    { sfu: config.sfuAddress, database: describeDatabase(config), instanceId: config.instanceId },
    'starting signaling',
  );

  const db = await openDatabase(config);
  await migrate(db);
  const sessions = new SessionRepository(db);

  if (config.redisUrl) {
    // Shared state through Redis is a later issue; running on in-process state is only correct for a
    // single instance, so say it loudly.
    log.warn('REDIS_URL is set but the Redis room state is not implemented yet: using in-process state (single instance only)');
  }
  const state = new InMemoryRoomStateStore();
  const bus = new InProcessRoomBus();

  const metrics = new PrometheusSignalingMetrics();
  const localPeers = new LocalPeerRegistry(metrics);

  const sfu = new SfuGateway({ address: config.sfuAddress, deadlineMs: config.sfuDeadlineMs });
  const sfuDirectory = new SingleNodeSfuDirectory(sfu);
  const eventWatches = sfuDirectory.gateways().map((gateway) =>
    gateway.watchEvents((event) => localPeers.routeSfuEvent(event)),
  );

  const health = async (): Promise<HealthReport> => {
    const [database, sfuServing] = await Promise.all([
      db.query('SELECT 1').then(
        () => 'ok',
        (error: unknown) => `unreachable: ${(error as Error).message}`,
      ),
      // Short timeout: a load balancer's probe should not hang for the full call deadline.
      Promise.all(sfuDirectory.gateways().map((gateway) => gateway.isServing(1000))).then((serving) =>
        serving.every(Boolean) ? 'ok' : 'not serving',
      ),
    ]);
    // Without the event feed, consumer closures and scores would silently not reach the browsers.
    const sfuEvents = eventWatches.every((watch) => watch.connected) ? 'ok' : 'event stream not connected';
    return {
      ok: database === 'ok' && sfuServing === 'ok' && sfuEvents === 'ok',
      checks: { database, sfu: sfuServing, sfuEvents },
    };
  };

  const server = await startSignalingServer({
    host: config.host,
    port: config.port,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    metrics,
    createSession: (sink, context) =>
      new PeerSession(
        {
          instanceId: config.instanceId,
          maxPeersPerRoom: config.maxPeersPerRoom,
          sfuDirectory,
          sessions,
          state,
          bus,
          localPeers,
          metrics,
        },
        sink,
        context,
      ),
    health,
    renderMetrics: () => metrics.render(),
    staticFiles: await StaticFiles.open(config.staticDir),
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, peers: localPeers.size }, 'shutting down');
    const forced = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    void (async () => {
      await server.close();
      for (const watch of eventWatches) watch.close();
      for (const gateway of sfuDirectory.gateways()) gateway.close();
      await Promise.allSettled([state.close(), bus.close()]);
      await db.close();
      log.info('stopped');
      // uWS keeps idle HTTP keep-alive connections open; they must not hold the process.
      process.exit(0);
    })().catch((error: unknown) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

// A stray rejection is a bug somewhere; log it and keep serving the other sockets.
process.on('unhandledRejection', (reason) => {
  log.error({ err: reason }, 'unhandled promise rejection');
});

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  logger.fatal({ err: error }, error instanceof ConfigError ? error.message : 'cannot load configuration');
  process.exit(1);
}
main(config).catch((error: unknown) => {
  logger.fatal({ err: error }, 'signaling failed to start');
  process.exit(1);
});
