/**
 * Issue 18, the whole chain on one machine: two real hub processes on one real pg_auto_failover cluster
 * (monitor, node1 primary, node2 its synchronous standby; tuned timeouts), each hub with its own data node.
 * Hub A (on node1) leads; hub B (on node2) follows and answers writes NOT_LEADER naming A; the SDK,
 * configured for B, follows to A and its write is acked once. Then A's box dies (node1 stopped, hub A
 * SIGKILLed): pg_auto_failover promotes node2, hub B takes over with a higher epoch, and the SDK's write
 * that nobody acked is resent to B and stored exactly once.
 */
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../../src/client/create-transport.js';
import type { WebSocketCtor } from '../../../src/client/deps.js';
import { memoryHubBookStore } from '../../../src/client/hub-book.js';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import { memoryOutboxStore } from '../../../src/client/outbox-store.js';
import { pgUrlHosts } from '../../../src/config.js';
import { line, snapshot } from '../../fixtures/client-orders.js';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster.js';
import { freePort } from '../../helpers/pg-server.js';
import { spawnHub, type SpawnedHub } from '../../helpers/spawn-hub.js';
import { changesOf, pollUntil, until } from '../../helpers/wait.js';

/** Tuned: ~10 s for the monitor to promote node2, then a cluster read (2 s) and the takeover. */
const FAILOVER_LIMIT_MS = 60_000;

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

function ref(n: number): string {
  return `NU/CFG1/S42/1764000000000-${n.toString(16).padStart(4, '0')}`;
}

interface ClusterHealth {
  role: string;
  epoch: number;
  leader: { url: string; epoch: number } | null;
}

async function clusterOf(port: number): Promise<ClusterHealth> {
  const body = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { cluster: ClusterHealth };
  return body.cluster;
}

async function hubOn(url: string, node: string): Promise<{ hub: SpawnedHub; port: number; wsUrl: string }> {
  const port = await freePort();
  const hub = await spawnHub({
    env: { HUB_STORE: 'postgres', HUB_PG_URL: url, HUB_PG_NODE: node, HUB_HTTP_PORT: String(port), HUB_ID: `127.0.0.1:${port}` },
  });
  cleanups.push(() => hub.kill('SIGKILL'));
  if (hub.listening === null) throw new Error(`hub did not start: ${hub.output()}`);
  return { hub, port, wsUrl: `ws://127.0.0.1:${port}` };
}

describe('hubs following pg_auto_failover', () => {
  it('follower B sends the SDK to leader A; when A\'s box dies, B takes over and stores the unacked write once', async () => {
    if (cluster === null) throw new Error('no cluster');
    expect(await cluster.primary()).toBe('node1');
    const [node1, node2] = pgUrlHosts(cluster.url);
    if (node1 === undefined || node2 === undefined) throw new Error(`two nodes expected in ${cluster.url}`);

    // A on the primary's box takes over before it listens; B on the standby's box follows A.
    const a = await hubOn(cluster.url, node1);
    const onA = await clusterOf(a.port);
    expect(onA).toMatchObject({ role: 'leader', leader: { url: `ws://127.0.0.1:${a.port}/` } });
    const b = await hubOn(cluster.url, node2);
    await pollUntil(async () => (await clusterOf(b.port)).leader?.epoch === onA.epoch, 'B to read A\'s takeover');
    expect(await clusterOf(b.port)).toMatchObject({ role: 'follower', epoch: onA.epoch, leader: { url: `ws://127.0.0.1:${a.port}/`, epoch: onA.epoch } });

    // The SDK knows only B. B signs it in, answers its first write NOT_LEADER, and it moves to A.
    const t = createTransport(
      {
        nu_hub_enabled: true,
        nu_hub_url: b.wsUrl,
        deviceId: 'till-ha',
        session_id: 42,
        odoo_url: 'http://127.0.0.1:9',
        hubLossFallbackMs: 10 * 60_000,
        reconnectBackoff: { baseMs: 200, factor: 1, maxMs: 200 },
      },
      { WebSocket: WebSocket as unknown as WebSocketCtor, outboxStore: memoryOutboxStore(), hubBookStore: memoryHubBookStore(), pageOrigin: null },
    ) as HubTransport;
    cleanups.push(() => t.disconnect());
    const changes = changesOf(t);
    const acked = new Map<string, number>();
    t.onOrderAcked((_posReference, _version, mutationId) => acked.set(mutationId, (acked.get(mutationId) ?? 0) + 1));
    await t.connect();
    expect(t.hubStatus.url?.replace(/\/$/, '')).toBe(b.wsUrl);
    const r1 = ref(1);
    void t.acquireLease(r1, 0);
    const m1 = t.sendOrderSnapshot(r1, 0, snapshot(r1, [line('a1')]));
    await until(() => acked.has(m1), 'A to acknowledge the first write', changes, 30_000);
    expect(t.hubStatus.url?.replace(/\/$/, '')).toBe(a.wsUrl);

    // A's box loses power: its data node and its hub go at once. A write made now is acked by nobody yet.
    await Promise.all([cluster.fault('stop', 'node1'), a.hub.kill('SIGKILL')]);
    const r2 = ref(2);
    const m2 = t.sendOrderSnapshot(r2, 0, snapshot(r2, [line('b1'), line('b2')]));
    expect(acked.has(m2)).toBe(false);

    // pg_auto_failover promotes node2; B, on it, takes over with a higher epoch and takes the resend.
    await until(() => acked.has(m2), 'B to acknowledge the resent write after the failover', changes, FAILOVER_LIMIT_MS);
    const onB = await clusterOf(b.port);
    expect(onB).toMatchObject({ role: 'leader', leader: { url: `ws://127.0.0.1:${b.port}/` } });
    expect(onB.epoch).toBeGreaterThan(onA.epoch);
    expect(t.hubStatus.url?.replace(/\/$/, '')).toBe(b.wsUrl);
    expect(await cluster.primary()).toBe('node2');
    expect([acked.get(m1), acked.get(m2)]).toEqual([1, 1]);

    // On the promoted node: each mutation once, each order once, seqs gap-free.
    const db = new pg.Client({ connectionString: cluster.nodeUrl('node2') });
    await db.connect();
    try {
      const mutations = await db.query<{ mutation_id: string }>(
        `SELECT mutation_id FROM mutations WHERE terminal_id = 'till-ha' AND mutation_id = ANY($1) ORDER BY mutation_id`,
        [[m1, m2]],
      );
      expect(mutations.rows.map((r) => r.mutation_id)).toEqual([m1, m2].sort());
      const orders = await db.query<{ pos_reference: string }>(`SELECT pos_reference FROM orders ORDER BY pos_reference`);
      expect(orders.rows.map((r) => r.pos_reference)).toEqual([r1, r2]);
      const events = await db.query<{ id: number }>('SELECT id FROM events ORDER BY id');
      const ids = events.rows.map((r) => Number(r.id));
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => (ids[0] ?? 1) + i));
      const takeovers = await db.query<{ epoch: number; node: string }>('SELECT epoch, node FROM takeovers ORDER BY epoch DESC LIMIT 1');
      expect(takeovers.rows.map((r) => ({ epoch: Number(r.epoch), node: r.node }))).toEqual([{ epoch: onB.epoch, node: `127.0.0.1:${b.port}` }]);
    } finally {
      await db.end();
    }
  }, 240_000);
});
