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
});
