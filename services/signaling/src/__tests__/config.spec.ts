import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';

describe('loadConfig', () => {
  test('defaults match the documented contract', () => {
    const config = loadConfig({}, '/srv/lab');
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      sfuAddress: '127.0.0.1:50051',
      sfuDeadlineMs: 5000,
      databaseUrl: '',
      pgliteDir: '/srv/lab/.lab/pglite',
      redisUrl: '',
      instanceId: `${os.hostname()}:${process.pid}`,
      maxPeersPerRoom: 16,
      idleTimeoutSeconds: 32,
      maxJsonDepth: 32,
      maxJsonArrayLength: 256,
      requestsPerSecond: 20,
      requestBurst: 100,
      rateLimitCloseAfter: 500,
      maxConnectionsPerAddress: 50,
      roomCreationsPerMinute: 30,
      maxTransportsPerPeer: 4,
      maxProducersPerPeer: 3,
      maxConsumersPerPeer: 64,
      dbQueryTimeoutMs: 2000,
      resumeGraceSeconds: 15,
      instanceHeartbeatSeconds: 5,
      instanceGraceSeconds: 15,
      logLevel: 'info',
    });
    expect(config.staticDir).toMatch(new RegExp(`${path.sep}client${path.sep}dist$`));
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('environment variables override defaults, with numbers coerced and paths resolved', () => {
    const config = loadConfig(
      {
        SIGNALING_PORT: '9000',
        SIGNALING_SFU_ADDRESS: 'sfu.internal:6000',
        SIGNALING_SFU_DEADLINE_MS: '250',
        DATABASE_URL: 'memory://',
        SIGNALING_PGLITE_DIR: 'data/pg',
        SIGNALING_STATIC_DIR: '/var/www',
        SIGNALING_INSTANCE_ID: 'sig-1',
        SIGNALING_MAX_PEERS_PER_ROOM: '4',
        SIGNALING_IDLE_TIMEOUT_SECONDS: '8',
        SIGNALING_LOG_LEVEL: 'debug',
      },
      '/srv/lab',
    );
    expect(config).toMatchObject({
      port: 9000,
      sfuAddress: 'sfu.internal:6000',
      sfuDeadlineMs: 250,
      databaseUrl: 'memory://',
      pgliteDir: '/srv/lab/data/pg',
      staticDir: '/var/www',
      instanceId: 'sig-1',
      maxPeersPerRoom: 4,
      idleTimeoutSeconds: 8,
      logLevel: 'debug',
    });
  });

  test('an empty variable means the default (except the URLs, where empty is meaningful)', () => {
    const config = loadConfig({ SIGNALING_PORT: '', DATABASE_URL: '', REDIS_URL: '' });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe('');
  });

  test('bad values fail with one message naming every bad variable and its value', () => {
    const load = () =>
      loadConfig({
        SIGNALING_PORT: 'eighty',
        SIGNALING_SFU_ADDRESS: 'no-port',
        SIGNALING_MAX_PEERS_PER_ROOM: '0',
        SIGNALING_IDLE_TIMEOUT_SECONDS: '30',
        SIGNALING_LOG_LEVEL: 'loud',
      });
    expect(load).toThrow(ConfigError);
    const message = (() => {
      try {
        load();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('SIGNALING_PORT="eighty": must be a port number 0..65535');
    expect(message).toContain('SIGNALING_SFU_ADDRESS="no-port": must be host:port');
    expect(message).toContain('SIGNALING_MAX_PEERS_PER_ROOM="0": must be a positive integer');
    expect(message).toContain('SIGNALING_IDLE_TIMEOUT_SECONDS="30": must be a multiple of 4');
    expect(message).toContain('SIGNALING_LOG_LEVEL="loud"');
  });

  test('the abuse limits are read from their variables and refuse values that would break real requests', () => {
    const config = loadConfig({ SIGNALING_REQUESTS_PER_SECOND: '5', SIGNALING_REQUEST_BURST: '7', SIGNALING_MAX_CONSUMERS_PER_PEER: '3' }, '/srv/lab');
    expect(config).toMatchObject({ requestsPerSecond: 5, requestBurst: 7, maxConsumersPerPeer: 3 });
    const load = () => loadConfig({ SIGNALING_MAX_JSON_DEPTH: '4', SIGNALING_MAX_JSON_ARRAY_LENGTH: '10', SIGNALING_MAX_CONNECTIONS_PER_ADDRESS: '0' }, '/srv/lab');
    expect(load).toThrow(/SIGNALING_MAX_JSON_DEPTH="4": must be at least 8/);
    expect(load).toThrow(/SIGNALING_MAX_JSON_ARRAY_LENGTH="10": must be at least 64/);
    expect(load).toThrow(/SIGNALING_MAX_CONNECTIONS_PER_ADDRESS="0": must be a positive integer/);
  });

  test('database and instance liveness settings: a query timeout, a heartbeat, and a grace that survives a late heartbeat', () => {
    expect(
      loadConfig({ SIGNALING_DB_QUERY_TIMEOUT_MS: '500', SIGNALING_INSTANCE_HEARTBEAT_SECONDS: '2', SIGNALING_INSTANCE_GRACE_SECONDS: '5' }),
    ).toMatchObject({ dbQueryTimeoutMs: 500, instanceHeartbeatSeconds: 2, instanceGraceSeconds: 5 });
    expect(() => loadConfig({ SIGNALING_DB_QUERY_TIMEOUT_MS: '0' })).toThrow('SIGNALING_DB_QUERY_TIMEOUT_MS="0": must be a positive integer');
    expect(() => loadConfig({ SIGNALING_INSTANCE_GRACE_SECONDS: '10' })).toThrow(
      'SIGNALING_INSTANCE_GRACE_SECONDS="10": must be more than twice SIGNALING_INSTANCE_HEARTBEAT_SECONDS',
    );
  });
});
