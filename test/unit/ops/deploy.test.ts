/**
 * The container files hold together without a Docker daemon: a multi-stage Dockerfile whose runtime
 * stage is non-root, has mDNS off and a /health check, copying only paths that exist; a compose file
 * whose Prometheus scrapes the hub's /metrics and whose Grafana mounts the provisioning this repo ships.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it('is multi-stage and its runtime stage runs as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const users = [...runtime.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('turns mDNS off and checks /health', () => {
    expect(runtime).toMatch(/HUB_MDNS_ENABLED=false/);
    expect(runtime).toMatch(/^HEALTHCHECK [^\n]*(\\\n[^\n]*)*\/health/m);
    expect(runtime).toMatch(/^CMD \["node", "--import", "tsx", "src\/main\.ts"\]/m);
  });

  it('copies only paths that exist in the repository', () => {
    const sources = [...runtime.matchAll(/^COPY --from=build \/app\/(\S+)/gm)].map((m) => m[1]!);
    expect(sources).toContain('src');
    for (const source of sources) expect(existsSync(join(ROOT, source)), source).toBe(true);
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toContain('node_modules');
    expect(ignored).toContain('*.sqlite');
    expect(ignored).toContain('.env');
  });
});

describe('deploy/compose.yml', () => {
  const compose = read('deploy/compose.yml');

  it('builds the hub from the repository root with mDNS off and a data volume', () => {
    expect(compose).toMatch(/build:\n\s+context: \.\.\n\s+dockerfile: Dockerfile/);
    expect(compose).toMatch(/HUB_MDNS_ENABLED: 'false'/);
    expect(compose).toMatch(/- hub-data:\/data/);
  });

  it('mounts the Grafana provisioning and dashboards that exist, at the paths the provider reads', () => {
    const mounts = [...compose.matchAll(/- \.\.\/(grafana\/\S+?):(\S+?):ro/g)].map((m) => ({
      source: m[1]!,
      target: m[2]!,
    }));
    expect(mounts).toEqual([
      { source: 'grafana/provisioning', target: '/etc/grafana/provisioning' },
      { source: 'grafana/dashboards', target: '/var/lib/grafana/dashboards' },
    ]);
    for (const m of mounts) expect(existsSync(join(ROOT, m.source)), m.source).toBe(true);
    expect(read('grafana/provisioning/dashboards/provider.yml')).toContain(`path: ${mounts[1]!.target}`);
    expect(existsSync(join(ROOT, 'grafana/dashboards/pos-hub.json'))).toBe(true);
  });

  it('has Prometheus scrape the hub service on /metrics, and Grafana query that Prometheus', () => {
    expect(compose).toMatch(/- \.\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml:ro/);
    const prometheus = read('deploy/prometheus.yml');
    expect(prometheus).toMatch(/metrics_path: \/metrics/);
    expect(prometheus).toMatch(/targets: \['hub:8766'\]/);
    expect(compose).toMatch(/^ {2}hub:$/m);
    expect(compose).toMatch(/^ {2}prometheus:$/m);
    expect(read('grafana/provisioning/datasources/prometheus.yml')).toContain('url: http://prometheus:9090');
  });
});
