/**
 * Signaling service entry point: wiring only. Config and tracing (when configured) → database
 * (migrated; this instance's heartbeat and the sweep of lost instances' sessions) → SFU gateway and
 * event feed → room state → HTTP/WebSocket server; SIGTERM/SIGINT close sockets with 1001, release
 * every peer, retry the session ends not written yet (bounded), then close the SFU channel, the state
 * and the database, and export the last spans.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { describeDatabase, openDatabase } from './db/openDatabase.ts';
import { migrate } from './db/migrate.ts';
import { InstanceHeartbeat } from './db/InstanceHeartbeat.ts';
import { InstanceRepository } from './db/InstanceRepository.ts';
import { PendingSessionEnds } from './db/PendingSessionEnds.ts';
import { SessionRepository } from './db/SessionRepository.ts';
import { timedQuery } from './db/timedQuery.ts';
import { withDeadline } from './db/withDeadline.ts';
import { checkReadiness } from './http/readiness.ts';
import { StaticFiles } from './http/staticFiles.ts';
import { startSignalingServer } from './http/SignalingServer.ts';
import { AddressLimits } from './limits/AddressLimits.ts';
import type { SessionLimits } from './limits/SessionLimits.ts';
import { LocalPeerRegistry } from './LocalPeerRegistry.ts';
import { logger, moduleLogger } from './logger.ts';
import { PrometheusSignalingMetrics } from './metrics.ts';
import { PeerSession } from './session/PeerSession.ts';
import { SfuGateway } from './sfu/SfuGateway.ts';
import { reconcileUntilChecked } from './sfu/reconcileWithSfu.ts';
import { ResumableSessions } from './session/ResumableSessions.ts';
import { SingleNodeSfuDirectory } from './sfu/SfuDirectory.ts';
import { InMemoryRoomStateStore } from './state/InMemoryRoomStateStore.ts';
import { InProcessRoomBus } from './state/InProcessRoomBus.ts';
import { installTracing, type Tracing } from './telemetry/tracing.ts';

const log = moduleLogger('main');

/** How long shutdown may take before the process exits anyway (peers' SFU/DB releases included). */
const SHUTDOWN_GRACE_MS = 10_000;
/**
 * How long shutdown keeps retrying session ends the database did not take yet. Within the grace
 * above; what is left after it is closed later as instance_lost (by another instance's sweep or this
 * instance id's next start), with left_at = our last heartbeat.
 */
const SESSION_END_FLUSH_MS = 4000;
const DB_CLOSE_TIMEOUT_MS = 2000;

async function main(config: Config, tracing: Tracing): Promise<void> {
  log.info(
    { sfu: config.sfuAddress, database: describeDatabase(config), instanceId: config.instanceId },
    'starting signaling',
  );

  const metrics = new PrometheusSignalingMetrics();
  const db = await openDatabase(config);
  await migrate(db);
  const sessions = new SessionRepository(db, metrics);
  const sessionEnds = new PendingSessionEnds({ writer: sessions, metrics });
  const heartbeat = new InstanceHeartbeat({
    repository: new InstanceRepository(db, metrics),
    instanceId: config.instanceId,
    heartbeatSeconds: config.instanceHeartbeatSeconds,
    graceSeconds: config.instanceGraceSeconds,
    metrics,
  });
  await heartbeat.start();

  if (config.redisUrl) {
    // Shared state through Redis is a later issue; running on in-process state is only correct for a
    // single instance, so say it loudly.
    log.warn('REDIS_URL is set but the Redis room state is not implemented yet: using in-process state (single instance only)');
  }
  const state = new InMemoryRoomStateStore();
  const bus = new InProcessRoomBus();

  const localPeers = new LocalPeerRegistry(metrics);

  const sfu = new SfuGateway({ address: config.sfuAddress, deadlineMs: config.sfuDeadlineMs, metrics });
  const sfuDirectory = new SingleNodeSfuDirectory(sfu);
  const resumable = new ResumableSessions(config.resumeGraceSeconds * 1000);
  const eventWatches = sfuDirectory.gateways().map((gateway) => {
    let everConnected = false;
    const watch = gateway.watchEvents((event) => localPeers.routeSfuEvent(event), {
      signalingInstance: config.instanceId,
      onConnectionChange: (connected) => {
        if (!connected) return;
        // A reconnection: whatever happened on the SFU meanwhile (a restart) is found by asking it.
        if (everConnected) {
          void reconcileUntilChecked(gateway, sfuDirectory, localPeers, log, () => watch.connected);
        }
        everConnected = true;
      },
    });
    return watch;
  });

  const readiness = () =>
    checkReadiness([
      {
        name: 'database',
        // Its own bound, shorter than the query timeout: the probe must answer before its caller gives up.
        run: async (timeoutMs) => void (await timedQuery(metrics, 'readiness', () => withDeadline(db.query('SELECT 1'), timeoutMs))),
      },
      {
        name: 'sfu',
        run: async (timeoutMs) => {
          const serving = await Promise.all(sfuDirectory.gateways().map((gateway) => gateway.isServing(timeoutMs)));
          if (!serving.every(Boolean)) throw new Error('not serving');
        },
      },
      {
        // Without the event feed, consumer closures and scores would silently not reach the browsers.
        name: 'sfu events',
        run: async () => {
          if (!eventWatches.every((watch) => watch.connected)) throw new Error('event stream not connected');
        },
      },
    ]);

  const addressLimits = new AddressLimits({
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    roomCreationsPerMinute: config.roomCreationsPerMinute,
  });
  const limits: SessionLimits = {
    maxJsonDepth: config.maxJsonDepth,
    maxJsonArrayLength: config.maxJsonArrayLength,
    requestsPerSecond: config.requestsPerSecond,
    requestBurst: config.requestBurst,
    rateLimitCloseAfter: config.rateLimitCloseAfter,
    maxTransportsPerPeer: config.maxTransportsPerPeer,
    maxProducersPerPeer: config.maxProducersPerPeer,
    maxConsumersPerPeer: config.maxConsumersPerPeer,
  };

  const server = await startSignalingServer({
    host: config.host,
    port: config.port,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    metrics,
    addressLimits,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    createSession: (sink, context) =>
      new PeerSession(
        {
          instanceId: config.instanceId,
          maxPeersPerRoom: config.maxPeersPerRoom,
          sfuDirectory,
          sessions,
          sessionEnds,
          state,
          bus,
          localPeers,
          metrics,
          resumable,
          limits,
          addressLimits,
        },
        sink,
        context,
      ),
    readiness,
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
      // Stopped first so that a beat stuck on a stalled database runs out alongside the releases.
      const heartbeatStopped = heartbeat.stop();
      await server.close();
      await resumable.expireAll();
      await sessionEnds.flush(SESSION_END_FLUSH_MS);
      const unwritten = sessionEnds.stop();
      if (unwritten.length > 0) {
        log.error({ sessions: unwritten.map((end) => end.sessionId) }, 'session ends not written before exit; they will be closed as instance_lost');
      }
      await heartbeatStopped;
      for (const watch of eventWatches) watch.close();
      for (const gateway of sfuDirectory.gateways()) gateway.close();
      await Promise.allSettled([state.close(), bus.close()]);
      // A stalled server never acknowledges the connections' goodbye: do not wait for it past a bound.
      await Promise.race([db.close(), sleep(DB_CLOSE_TIMEOUT_MS)]);
      // Last: the spans of the releases above go out too.
      await tracing.shutdown().catch((error: unknown) => log.warn({ err: error }, 'could not export the last spans'));
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
let tracing: Tracing;
try {
  config = loadConfig();
  // Before anything else runs, so every request is traced when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  tracing = installTracing();
} catch (error) {
  logger.fatal({ err: error }, error instanceof ConfigError ? error.message : 'cannot load configuration');
  process.exit(1);
}
main(config, tracing).catch((error: unknown) => {
  logger.fatal({ err: error }, 'signaling failed to start');
  process.exit(1);
});
