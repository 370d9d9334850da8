/**
 * `pos-hub doctor` against a real pg_auto_failover cluster (monitor + primary + synchronous standby on
 * loopback, scripts/ha/cluster.sh): with HUB_STORE=postgres it checks each data node, finds exactly one
 * writable primary, a synchronous standby and its lag, and reads the monitor's states; a data node that does
 * not answer is a FAIL line with what to do and exit 1. The cluster view's standby side is read here too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeCluster, viewFromProbes } from '../../../src/adapters/postgres/cluster-view.js';
import { parsePgUrl } from '../../../src/adapters/postgres/connection.js';
import { doctorCommand } from '../../../src/cli/doctor.js';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster.js';
import { freePort } from '../../helpers/pg-server.js';

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPgCluster('default');
}, 300_000);
afterAll(async () => {
  await cluster?.close();
}, 60_000);

async function doctor(env: Record<string, string>, argv: string[] = []): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await doctorCommand(
    ['--skip-odoo', ...argv],
    {
      env: { HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_HTTP_PORT: '0', HUB_MDNS_ENABLED: 'false', ...env },
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    },
    '/nonexistent',
  );
  return { code, lines };
}

const clusterLines = (lines: readonly string[]): string[] => lines.filter((l) => /^\S+\s+cluster\s/.test(l));

describe('pos-hub doctor on a pg_auto_failover cluster', () => {
  it('passes a healthy cluster line by line and fails a data node that does not answer', async () => {
    if (cluster === null) throw new Error('no cluster');
    const monitorPort = Number(readFileSync(join(cluster.base, 'port0'), 'utf8').trim());
    const monitor = `postgres://autoctl_node@127.0.0.1:${monitorPort}/pg_auto_failover`;

    const healthy = await doctor({ HUB_STORE: 'postgres', HUB_PG_URL: cluster.url }, ['--monitor', monitor]);
    const lines = clusterLines(healthy.lines);
    expect(lines.filter((l) => l.startsWith('PASS') && /answers \(primary, writable\)/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('PASS') && /answers \(standby\)/.test(l))).toHaveLength(1);
    expect(lines).toContainEqual(expect.stringMatching(/^PASS\s+cluster\s+exactly one writable primary/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^PASS\s+cluster\s+synchronous standby attached \((sync|quorum)/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^PASS\s+cluster\s+replication lag \d/));
    expect(lines).toContainEqual(expect.stringMatching(/^PASS\s+cluster\s+monitor: node1 primary, node2 secondary/));
    expect(healthy.lines.some((l) => l.startsWith('FAIL'))).toBe(false);
    expect(healthy.code).toBe(0);

    // The cluster view reads the same nodes: a standby streaming synchronously from the primary.
    const view = viewFromProbes(
      await probeCluster(parsePgUrl(cluster.url), { connectTimeoutMs: 3000, queryTimeoutMs: 3000 }),
      'h:1',
      null,
    );
    expect(view.replication).toMatchObject({ standbys: 1 });
    expect(['sync', 'quorum']).toContain(view.replication?.syncState);
    expect(view.replication?.lagBytes).toBeGreaterThanOrEqual(0);

    const dead = await freePort();
    const broken = await doctor({
      HUB_STORE: 'postgres',
      HUB_PG_URL: `${cluster.url.replace('@127.0.0.1', `@127.0.0.1:${dead},127.0.0.1`)}`,
    });
    const brokenLines = clusterLines(broken.lines);
    expect(brokenLines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^FAIL\\s+cluster\\s+127\\.0\\.0\\.1:${dead} does not answer: .*is the node up`),
      ),
    );
    expect(brokenLines).toContainEqual(expect.stringMatching(/^WARN\s+cluster\s+monitor not checked/));
    expect(broken.code).toBe(1);
  }, 60_000);
});
