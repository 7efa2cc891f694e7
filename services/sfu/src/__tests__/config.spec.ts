import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';

// Any executable file passes the worker-binary check; the real worker is only needed at run time.
const EXECUTABLE = process.execPath;

describe('loadConfig', () => {
  it('applies the documented defaults when only MEDIASOUP_WORKER_BIN is set', () => {
    const config = loadConfig({ MEDIASOUP_WORKER_BIN: EXECUTABLE });
    expect(config.grpc).toEqual({ host: '127.0.0.1', port: 50051 });
    expect(config.metrics).toEqual({ host: '127.0.0.1', port: 9464, perStream: true, maxStreams: 2000, statsIntervalSeconds: 5 });
    expect(config.rtc).toEqual({ listenIp: '127.0.0.1', announcedAddress: undefined, minPort: 40000, maxPort: 49999 });
    expect(config.workers).toBeGreaterThanOrEqual(1);
    expect(config.nodeId).toMatch(/:\d+$/);
    expect(config.logLevel).toBe('info');
    expect(config.limits).toEqual({ maxTransportsPerPeer: 8, maxProducersPerPeer: 4, maxConsumersPerPeer: 128 });
  });

  it('reads every variable and treats empty strings as unset', () => {
    const config = loadConfig({
      MEDIASOUP_WORKER_BIN: EXECUTABLE,
      SFU_GRPC_HOST: '0.0.0.0',
      SFU_GRPC_PORT: '0',
      SFU_NODE_ID: 'sfu-a',
      SFU_WORKERS: '3',
      SFU_RTC_LISTEN_IP: '10.0.0.5',
      SFU_RTC_ANNOUNCED_ADDRESS: '',
      SFU_RTC_MIN_PORT: '41000',
      SFU_RTC_MAX_PORT: '41010',
      SFU_METRICS_PORT: '9999',
      SFU_METRICS_PER_STREAM: 'false',
      SFU_METRICS_MAX_STREAMS: '10',
      SFU_STATS_INTERVAL_SECONDS: '0.5',
      SFU_MAX_TRANSPORTS_PER_PEER: '3',
      SFU_MAX_PRODUCERS_PER_PEER: '2',
      SFU_MAX_CONSUMERS_PER_PEER: '40',
      SFU_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      grpc: { host: '0.0.0.0', port: 0 },
      nodeId: 'sfu-a',
      workers: 3,
      rtc: { listenIp: '10.0.0.5', announcedAddress: undefined, minPort: 41000, maxPort: 41010 },
      metrics: { port: 9999, perStream: false, maxStreams: 10, statsIntervalSeconds: 0.5 },
      limits: { maxTransportsPerPeer: 3, maxProducersPerPeer: 2, maxConsumersPerPeer: 40 },
      logLevel: 'debug',
    });
  });

  it('is frozen', () => {
    const config = loadConfig({ MEDIASOUP_WORKER_BIN: EXECUTABLE });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.rtc)).toBe(true);
  });

  it('names every wrong variable in one readable error', () => {
    const load = () =>
      loadConfig({ MEDIASOUP_WORKER_BIN: '/nonexistent/worker', SFU_GRPC_PORT: 'http', SFU_WORKERS: '0', SFU_RTC_LISTEN_IP: 'localhost' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/MEDIASOUP_WORKER_BIN: \/nonexistent\/worker is not an executable file/);
    expect(load).toThrow(/SFU_GRPC_PORT: /);
    expect(load).toThrow(/SFU_WORKERS: must be at least 1/);
    expect(load).toThrow(/SFU_RTC_LISTEN_IP: must be an IPv4 or IPv6 address/);
  });

  it('names wrong telemetry settings', () => {
    const load = () =>
      loadConfig({ MEDIASOUP_WORKER_BIN: EXECUTABLE, SFU_METRICS_PER_STREAM: 'yes', SFU_METRICS_MAX_STREAMS: '-1', SFU_STATS_INTERVAL_SECONDS: '0' });
    expect(load).toThrow(/SFU_METRICS_PER_STREAM: must be true or false/);
    expect(load).toThrow(/SFU_METRICS_MAX_STREAMS: must be 0..100000/);
    expect(load).toThrow(/SFU_STATS_INTERVAL_SECONDS: must be 0.1..300/);
  });

  it('requires MEDIASOUP_WORKER_BIN', () => {
    expect(() => loadConfig({})).toThrow(/MEDIASOUP_WORKER_BIN: is required/);
  });

  it('refuses a port range whose minimum is above its maximum', () => {
    expect(() => loadConfig({ MEDIASOUP_WORKER_BIN: EXECUTABLE, SFU_RTC_MIN_PORT: '45000', SFU_RTC_MAX_PORT: '44000' })).toThrow(
      /SFU_RTC_MAX_PORT: must be greater than or equal to SFU_RTC_MIN_PORT/,
    );
  });
});
