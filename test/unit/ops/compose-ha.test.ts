/**
 * deploy/compose.ha.yml holds together without Docker (`docker compose config` is not available here):
 * parsed by a real YAML parser (python3-yaml), every service, volume, port and variable is named
 * consistently — the hubs name exactly the two data nodes at the port and database they create, each node
 * reaches the monitor the monitor listens as, the monitor gets the same timeouts as install.sh --role, each
 * hub names its own node (HUB_PG_NODE) and the monitor, each server admits the hubs' plain (non-TLS)
 * connections, volumes are declared and used, host ports differ, and the images build from files that exist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePgUrl } from '../../../src/adapters/postgres/connection.js';
import { parseConfig } from '../../../src/config.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = JSON.parse(
  execFileSync(
    'python3',
    [
      '-c',
      'import sys, yaml, json; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))',
      join(DEPLOY, 'compose.ha.yml'),
    ],
    {
      encoding: 'utf8',
    },
  ),
) as Compose;
const { services } = compose;
const commandOf = (s: Service): string => (Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? ''));
/** `--name=value` from a pg_autoctl command line. */
const flag = (command: string, name: string): string | undefined =>
  new RegExp(`--${name}=('([^']*)'|(\\S+))`)
    .exec(command)
    ?.slice(2)
    .find((v) => v !== undefined);

const dataNodes = Object.entries(services).filter(([, s]) => commandOf(s).includes('pg_autoctl create postgres'));
const hubs = Object.entries(services).filter(([, s]) => s.environment?.HUB_STORE !== undefined);

describe('deploy/compose.ha.yml', () => {
  it('runs a monitor, two data nodes and two hubs', () => {
    expect(Object.keys(services).sort()).toEqual(['hub-a', 'hub-b', 'monitor', 'pg-a', 'pg-b']);
    expect(dataNodes.map(([name]) => name)).toEqual(['pg-a', 'pg-b']);
    expect(hubs.map(([name]) => name)).toEqual(['hub-a', 'hub-b']);
    expect(commandOf(services.monitor!)).toContain('pg_autoctl create monitor');
  });

  it('names each data node as the others reach it, once, and points it at the monitor as it listens', () => {
    const monitor = commandOf(services.monitor!);
    expect(flag(monitor, 'hostname')).toBe('monitor');
    for (const [name, node] of dataNodes) {
      const command = commandOf(node);
      expect(flag(command, 'hostname'), name).toBe(name);
      expect(flag(command, 'name'), name).toBe(name);
      const target = parsePgUrl(flag(command, 'monitor')!);
      expect(target.hosts).toEqual([{ host: 'monitor', port: Number(flag(monitor, 'pgport')) }]);
      expect(target.database).toBe('pg_auto_failover');
      expect(node.depends_on?.length).toBeGreaterThan(0);
      // Created once, then run from the volume.
      expect(command).toMatch(/if \[ -f \/var\/lib\/postgresql\/data\/PG_VERSION \]; then exec pg_autoctl run/);
      expect(command).toContain('timeout.network_partition_timeout');
      expect(node.environment?.PG_AUTOCTL_NETWORK_PARTITION_TIMEOUT).toBe('3');
    }
    // The standby joins after the primary.
    expect(services['pg-b']!.depends_on).toContain('pg-a');
  });

  it('gives each hub HUB_STORE=postgres and a URL naming exactly the data nodes, their port and database', () => {
    const ports = new Set<string>();
    for (const [name, hub] of hubs) {
      const env = hub.environment!;
      expect(env.HUB_STORE, name).toBe('postgres');
      const target = parsePgUrl(env.HUB_PG_URL!);
      expect(target.readWrite).toBe(true);
      expect(target.hosts).toEqual(
        dataNodes.map(([node, s]) => ({ host: node, port: Number(flag(commandOf(s), 'pgport')) })),
      );
      for (const [, node] of dataNodes) expect(flag(commandOf(node), 'dbname')).toBe(target.database);
      // Compose interpolation as with an empty .env: `${X:-default}` is the default, `${X:?…}` is required.
      const interpolated = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [
          k,
          v.replace(/\$\{\w+:-([^}]*)\}/g, '$1').replace(/\$\{\w+:\?[^}]*\}/g, 'given-in-dotenv'),
        ]),
      );
      const config = parseConfig(interpolated);
      expect(config.HUB_PG_URL).toBe(env.HUB_PG_URL);
      // Each hub beside its own node (not both on the URL's first host), each able to ask for a failover.
      expect(config.HUB_PG_NODE, name).toBe(`pg-${name.slice(-1)}:5432`);
      const monitor = parsePgUrl(config.HUB_PG_MONITOR_URL);
      expect(monitor.hosts).toEqual([{ host: 'monitor', port: Number(flag(commandOf(services.monitor!), 'pgport')) }]);
      expect(monitor.database).toBe('pg_auto_failover');
      expect(config.HUB_ID).toBe(`localhost:${hub.ports![0]!.split(':')[0]}`);
      // The container port is the hub's port; host ports differ between the hubs.
      const [mapping] = hub.ports ?? [];
      const [hostPort, containerPort] = mapping!.split(':');
      expect(containerPort).toBe(env.HUB_HTTP_PORT);
      expect(ports.has(hostPort!)).toBe(false);
      ports.add(hostPort!);
      for (const dep of ['pg-a', 'pg-b']) expect(hub.depends_on).toContain(dep);
    }
  });

  it('tunes the monitor with the timeouts install.sh --role sets (docs/ha.md)', () => {
    const roles = readFileSync(join(ROOT, 'scripts/ha/roles.sh'), 'utf8');
    const fromScript = [...roles.matchAll(/"(pgautofailover\.\w+)=(\d+)"/g)].map((m) => `${m[1]} = ${m[2]}`);
    expect(fromScript).toHaveLength(6);
    // Written into the monitor's postgresql.conf at its creation, before it first runs.
    const monitor = commandOf(services.monitor!);
    const fromCompose = [...monitor.matchAll(/'(pgautofailover\.\w+ = \d+)'/g)].map((m) => m[1]);
    expect(fromCompose).toEqual(fromScript);
    expect(monitor).toMatch(/'pgautofailover\.primary_demote_timeout = 6000' >> \/var\/lib\/postgresql\/data\/postgresql\.conf && exec pg_autoctl run/);
    expect(roles).toMatch(/^HA_PARTITION_TIMEOUT_S=3$/m);
    // The test harness's "tuned" settings are the same numbers, in the same order.
    const harness = readFileSync(join(ROOT, 'scripts/ha/cluster.sh'), 'utf8');
    const tuned = /local tuned=\(([\d ]+)\)/.exec(harness)?.[1]?.split(' ');
    expect(tuned).toEqual(fromScript.map((line) => line.split(' = ')[1]));
    expect(harness).toContain('timeout.network_partition_timeout 3');
  });

  it("admits the hubs' plain connections: the monitor for autoctl_node, each node for the hub's user and pg_rewind", () => {
    expect(commandOf(services.monitor!)).toContain("echo 'host pg_auto_failover autoctl_node samenet trust' >> /var/lib/postgresql/data/pg_hba.conf");
    for (const [name, node] of dataNodes) {
      const command = commandOf(node);
      const user = parsePgUrl(hubs[0]![1].environment!.HUB_PG_URL!).user;
      expect(command, name).toContain(`'host poshub ${user} samenet trust' 'host postgres pgautofailover_replicator samenet trust'`);
      // Added once (the standby's pg_hba.conf is a copy of the primary's), before the keeper runs.
      expect(command).toMatch(/grep -qxF "\$\$line" \/var\/lib\/postgresql\/data\/pg_hba\.conf \|\| echo "\$\$line" >>[^;]+; done && pg_autoctl config set/);
    }
  });

  it('declares every named volume it mounts and mounts every one it declares, once', () => {
    const used = Object.values(services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]!));
    const named = used.filter((v) => !v.startsWith('.') && !v.startsWith('/'));
    expect(new Set(named).size).toBe(named.length);
    expect(named.sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it('depends only on services it defines and builds from files that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const dep of s.depends_on ?? []) expect(Object.keys(services), `${name} → ${dep}`).toContain(dep);
      if (s.build) expect(existsSync(join(DEPLOY, s.build.context, s.build.dockerfile)), name).toBe(true);
    }
    const pgImage = readFileSync(join(DEPLOY, 'pg-auto-failover.Dockerfile'), 'utf8');
    expect(pgImage).toMatch(/apt-get install[^\n]*postgresql-15 postgresql-15-auto-failover/);
    expect(pgImage).toMatch(/^USER postgres$/m);
  });
});
