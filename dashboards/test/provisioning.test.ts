/**
 * The files docker-compose mounts into Grafana and Prometheus agree with the dashboards: the
 * datasource uid the dashboards default to, the directory of the generated JSON, the scrape jobs
 * that panels filter on. (promtool validates prometheus.yml's syntax; this checks what it says.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_DATASOURCE_UID } from '../src/datasource.ts';
import { panelQueries } from '../src/panelQueries.ts';

const read = (relative: string): string => readFileSync(new URL(`../${relative}`, import.meta.url), 'utf8');

/** `key: value` of a flat YAML key, wherever it is (these files have each key once). */
function yamlValue(yaml: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*(?:#.*)?$`, 'm').exec(yaml)?.[1];
}

describe('Grafana provisioning', () => {
  it('provisions the Prometheus datasource the dashboards default to, at http://prometheus:9090', () => {
    const datasource = read('grafana/provisioning/datasources/prometheus.yaml');
    expect(yamlValue(datasource, 'uid')).toBe(PROMETHEUS_DATASOURCE_UID);
    expect(yamlValue(datasource, 'type')).toBe('prometheus');
    expect(yamlValue(datasource, 'url')).toBe('http://prometheus:9090');
    // Grafana's $__rate_interval is four times this: it must be the real scrape interval.
    expect(yamlValue(datasource, 'timeInterval')).toBe(yamlValue(read('prometheus/prometheus.yml'), 'scrape_interval'));
  });

  it('reads dashboards from the directory the generated JSON is mounted at', () => {
    const provider = read('grafana/provisioning/dashboards/lab.yaml');
    expect(yamlValue(provider, 'type')).toBe('file');
    expect(yamlValue(provider, 'path')).toBe('/var/lib/grafana/dashboards/lab');
  });
});

describe('prometheus.yml', () => {
  const config = read('prometheus/prometheus.yml');
  const jobs = new Map(
    [...config.matchAll(/- job_name:\s*(\S+)\s*\n\s*static_configs:\s*\n\s*- targets:\s*\[([^\]]*)\]/g)].map((m) => [
      m[1] as string,
      (m[2] as string).split(',').map((target) => target.trim().replace(/^'|'$/g, '')),
    ]),
  );

  it('scrapes the SFU at sfu:9464 and signaling at signaling:8080 every 5 s', () => {
    expect(yamlValue(config, 'scrape_interval')).toBe('5s');
    expect(Object.fromEntries(jobs)).toEqual({ sfu: ['sfu:9464'], signaling: ['signaling:8080'] });
  });

  it('loads the recording and alerting rules', () => {
    expect(config).toMatch(/rule_files:\s*\n\s*- rules\/recording\.yml\s*\n\s*- rules\/alerts\.yml/);
  });

  it('has every job that a panel filters on', () => {
    const used = new Set(panelQueries({ room: 'r1' }).flatMap((q) => [...q.expr.matchAll(/\bjob="([^"]+)"/g)].map((m) => m[1] as string)));
    expect(used.size).toBeGreaterThan(0);
    for (const job of used) expect([...jobs.keys()], `job="${job}"`).toContain(job);
  });
});
