/**
 * A leader hub that stops serving while its database is fine (docs/ha.md "A leader hub that keeps
 * crashing"), on a real pg_auto_failover cluster: hub A leads on node1 and is killed with no restart;
 * node1 stays a healthy primary, so pg_auto_failover sees nothing wrong. Hub B, following on node2 with
 * the monitor's URL, sees A's fenced heartbeat still past its threshold, asks the monitor once, node2 is
 * promoted, and B takes over with a higher epoch.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pgUrlHosts } from '../../../src/config.js';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster.js';
import { freePort } from '../../helpers/pg-server.js';
import { spawnHub, type SpawnedHub } from '../../helpers/spawn-hub.js';
import { pollUntil } from '../../helpers/wait.js';

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPgCluster('tuned');
}, 300_000);
afterAll(async () => {
  await cluster?.close();
}, 60_000);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface ClusterHealth {
  role: string;
  epoch: number;
  leader: { url: string; epoch: number } | null;
}

async function clusterOf(port: number): Promise<ClusterHealth> {
  const body = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { cluster: ClusterHealth };
  return body.cluster;
}

/** Short heartbeats and threshold so the test takes seconds; the defaults are 5 s and 30 s. */
const FAST = { HUB_LEADER_HEARTBEAT_MS: '1000', HUB_LEADER_STALE_MS: '5000', HUB_FAILOVER_REQUEST_INTERVAL_MS: '60000' };

async function hubOn(url: string, node: string, extra: Record<string, string> = {}): Promise<{ hub: SpawnedHub; port: number }> {
  const port = await freePort();
  const hub = await spawnHub({
    env: { HUB_STORE: 'postgres', HUB_PG_URL: url, HUB_PG_NODE: node, HUB_HTTP_PORT: String(port), HUB_ID: `127.0.0.1:${port}`, ...FAST, ...extra },
  });
  cleanups.push(() => hub.kill('SIGKILL'));
  if (hub.listening === null) throw new Error(`hub did not start: ${hub.output()}`);
  return { hub, port };
}

describe('a leader hub that stops serving', () => {
  it('the follower asks pg_auto_failover for a failover and takes over; nobody asks while the leader serves', async () => {
    if (cluster === null) throw new Error('no cluster');
    expect(await cluster.primary()).toBe('node1');
    const [node1, node2] = pgUrlHosts(cluster.url);
    if (node1 === undefined || node2 === undefined) throw new Error(`two nodes expected in ${cluster.url}`);
    // cluster.sh: the monitor listens one port below node1.
    const monitorPort = Number(node1.split(':')[1]) - 1;
    const monitorUrl = `postgres://autoctl_node@127.0.0.1:${monitorPort}/pg_auto_failover`;

    const a = await hubOn(cluster.url, node1);
    const onA = await clusterOf(a.port);
    expect(onA).toMatchObject({ role: 'leader' });
    // B logs at warn: its request says why in the log.
    const b = await hubOn(cluster.url, node2, { HUB_PG_MONITOR_URL: monitorUrl, HUB_LOG_LEVEL: 'warn' });
    await pollUntil(async () => (await clusterOf(b.port)).leader?.epoch === onA.epoch, "B to read A's takeover");

    // While A serves (its heartbeat moves every second), B watches past the threshold and asks nothing.
    const watchedFrom = Date.now();
    await pollUntil(() => Date.now() - watchedFrom > 8000, 'B to watch a serving leader past its threshold', { everyMs: 500 });
    expect(b.hub.output()).not.toContain('asking pg_auto_failover');
    expect(await cluster.primary()).toBe('node1');

    // A's hub process dies and stays down; node1 is a healthy primary throughout.
    await a.hub.kill('SIGKILL');
    await pollUntil(async () => (await clusterOf(b.port)).role === 'leader', 'B to take over after its failover request', { everyMs: 500, limitMs: 90_000 });
    const onB = await clusterOf(b.port);
    expect(onB.epoch).toBeGreaterThan(onA.epoch);
    // B leads once node2 can commit; the monitor settles node2's state (goal = reported) a moment later.
    const settled = cluster;
    await pollUntil(async () => (await settled.primary()) === 'node2', 'the monitor to settle node2 as primary', { everyMs: 500, limitMs: 60_000 });
    expect(b.hub.output()).toContain('asking pg_auto_failover for a failover');
    expect(b.hub.output().split('asking pg_auto_failover for a failover').length - 1).toBe(1);
  }, 300_000);
});
