/**
 * Issue 18 item 3 on a real pg_auto_failover cluster (tuned) with two real hub processes: hub A on node1
 * leads, hub B on node2 follows. A terminal signed in to B receives A's ORDER_UPDATED live, with its seq
 * (B's replica tail, workers/writer/replica-tail.ts). Then A's box dies (node1 stopped, hub A SIGKILLed);
 * B takes over and catches up from its tail's mark instead of reloading every actor (its log says so), and
 * the actors it serves hold A's last writes: a lease held on A is still held, an order's version continues.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pgUrlHosts } from '../../../src/config.js';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster.js';
import { freePort } from '../../helpers/pg-server.js';
import { spawnHub, type SpawnedHub } from '../../helpers/spawn-hub.js';
import { TestTerminal, snapshotWithLines, type Msg } from '../../helpers/terminal.js';
import { pollUntil } from '../../helpers/wait.js';

const FAILOVER_LIMIT_MS = 90_000;
/** Orders in the store before the failover (a promotion that reloaded would read all of them). */
const ORDERS = 300;
const WRITERS = 10;

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

async function roleOf(port: number): Promise<{ role: string; epoch: number }> {
  const body = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { cluster: { role: string; epoch: number } };
  return body.cluster;
}

async function hubOn(url: string, node: string): Promise<{ hub: SpawnedHub; port: number; wsUrl: string }> {
  const port = await freePort();
  const hub = await spawnHub({
    env: { HUB_STORE: 'postgres', HUB_PG_URL: url, HUB_PG_NODE: node, HUB_HTTP_PORT: String(port), HUB_ID: `127.0.0.1:${port}`, HUB_LOG_LEVEL: 'warn' },
  });
  cleanups.push(() => hub.kill('SIGKILL'));
  if (hub.listening === null) throw new Error(`hub did not start: ${hub.output()}`);
  return { hub, port, wsUrl: `ws://127.0.0.1:${port}` };
}

async function terminal(wsUrl: string, deviceId: string): Promise<TestTerminal> {
  const t = await TestTerminal.open(wsUrl, { deviceId, token: `dev:cashier:${deviceId}` });
  cleanups.push(() => t.close());
  await t.authenticate();
  return t;
}

/** The JSON log lines of a hub whose message is `msg`. */
function logLines(hub: SpawnedHub, msg: string): Array<Record<string, unknown>> {
  return hub
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

const ref = (n: number): string => `WARM/S1/${n.toString().padStart(5, '0')}`;

/** One writer's orders on A: lease, one version, release — as a venue's finished checks. */
async function writeOrders(t: TestTerminal, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const posReference = ref(i);
    const tableId = 1 + (i % 100);
    t.send({ type: 'LEASE_ACQUIRE', posReference, tableId, baseVersion: 0 });
    t.send({ type: 'ORDER_SNAPSHOT', posReference, baseVersion: 0, snapshot: snapshotWithLines(posReference, tableId, 3), mutationId: `m-${i}` });
    t.send({ type: 'LEASE_RELEASE', posReference });
  }
  const done = new Set<string>();
  await t.awaitMessage((m: Msg) => {
    if (m.type === 'LEASE_RELEASED' && typeof m.posReference === 'string' && m.releasedBy === t.options.deviceId) done.add(m.posReference);
    return done.size === count;
  }, `${count} orders written and released`);
}

describe('a follower hub kept warm by its replica tail', () => {
  it('serves the leader\'s writes live; after failover it catches up (no full reload) and holds the leader\'s last lease and versions', async () => {
    if (cluster === null) throw new Error('no cluster');
    const [node1, node2] = pgUrlHosts(cluster.url);
    if (node1 === undefined || node2 === undefined) throw new Error(`two nodes expected in ${cluster.url}`);
    const a = await hubOn(cluster.url, node1);
    expect((await roleOf(a.port)).role).toBe('leader');
    const b = await hubOn(cluster.url, node2);
    await pollUntil(async () => (await roleOf(b.port)).epoch === (await roleOf(a.port)).epoch, 'B to read A\'s takeover');
    expect((await roleOf(b.port)).role).toBe('follower');

    const watcher = await terminal(b.wsUrl, 'watch-b');
    const writers = await Promise.all(Array.from({ length: WRITERS }, (_, i) => terminal(a.wsUrl, `till-${i}`)));
    await Promise.all(writers.map((t, i) => writeOrders(t, i * (ORDERS / WRITERS), ORDERS / WRITERS)));

    // Ann holds a lease on A and writes version 1: B's terminal sees it live, with the seq A stamped.
    const ann = await terminal(a.wsUrl, 'ann');
    const held = 'WARM/HELD/1';
    ann.send({ type: 'LEASE_ACQUIRE', posReference: held, tableId: 7, baseVersion: 0 });
    await ann.awaitType('LEASE_GRANTED');
    ann.send({ type: 'ORDER_SNAPSHOT', posReference: held, baseVersion: 0, snapshot: snapshotWithLines(held, 7, 1), mutationId: 'held-1' });
    const acked = await ann.awaitType('ORDER_ACK');
    const live = await watcher.awaitMessage((m) => m.type === 'ORDER_UPDATED' && m.posReference === held, 'ORDER_UPDATED on B');
    expect(live).toMatchObject({ version: acked.version });
    expect(typeof live.seq).toBe('number');
    // Every event of the 300 orders reached B's terminal too, in seq order, none twice.
    const seqs = watcher.messages.filter((m) => typeof m.seq === 'number' && m.type !== 'HUB_STATUS' && m.type !== 'SYNC_INIT' && m.type !== 'AUTH_OK').map((m) => m.seq as number);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.length).toBeGreaterThanOrEqual(2 * ORDERS);

    // A's box loses power: node1 and hub A at once. pg_auto_failover promotes node2; B takes over.
    await Promise.all([cluster.fault('stop', 'node1'), a.hub.kill('SIGKILL')]);
    await pollUntil(async () => (await roleOf(b.port)).role === 'leader', 'B to take over', { limitMs: FAILOVER_LIMIT_MS, everyMs: 250 });
    const [promoted] = logLines(b.hub, 'promoted: actors and routes ready');
    expect(promoted?.catchUp).toMatchObject({ grants: 1 });
    expect(logLines(b.hub, 'promotion reloads every actor from the store')).toEqual([]);
    console.log(`promotion on B: ${JSON.stringify(promoted)}`);

    // The lease ann held on A is still hers on B; her next version continues from A's.
    const bob = await terminal(b.wsUrl, 'bob');
    bob.send({ type: 'LEASE_ACQUIRE', posReference: held, tableId: 7, baseVersion: acked.version });
    expect(await bob.awaitType('LEASE_DENIED')).toMatchObject({ holder: 'ann' });
    const annOnB = await terminal(b.wsUrl, 'ann');
    annOnB.send({ type: 'ORDER_SNAPSHOT', posReference: held, baseVersion: acked.version, snapshot: snapshotWithLines(held, 7, 2), mutationId: 'held-2' });
    expect(await annOnB.awaitType('ORDER_ACK')).toMatchObject({ posReference: held, version: (acked.version as number) + 1 });
    // An order A finished is served as A left it: a new lease on it starts from its stored version.
    bob.send({ type: 'LEASE_ACQUIRE', posReference: ref(5), tableId: 6, baseVersion: 1 });
    expect(await bob.awaitType('LEASE_GRANTED')).toMatchObject({ posReference: ref(5), version: 1 });
  }, 420_000);
});
