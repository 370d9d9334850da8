/**
 * The SDK against the real hub (test/helpers/start-hub.ts, port 0): two Node terminals see each
 * other's edits over JSON and msgpack; the hub is SIGKILLed and restarted on the same database while
 * one terminal keeps editing — its outbox flushes, the other converges, nothing is lost or applied
 * twice; a LEASE_ACQUIRE the hub never answers fails after 10 s (simulated); a dropped broadcast
 * (through a frame-dropping proxy) triggers a resync that recovers it.
 * Each case runs over ws and over wss (the hub's TLS listener, a venue certificate from
 * scripts/venue-cert.sh, the SDK pinning its key with nu_hub_key_pin), except those that need a plain-ws
 * proxy or a child-process restart: the wss variant runs the two-terminal exchange and the Odoo finalize.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadTlsIdentity } from '../../../src/adapters/tls/identity.js';
import { pinnedWebSocket } from '../../../src/adapters/tls/pinned-websocket.js';
import type { TransportDeps } from '../../../src/client/deps.js';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import type { ConnectionState, FinalizeResult, OrderUpdate, ResyncInfo, TableUpdate } from '../../../src/client/types.js';
import { HubError } from '../../../src/protocol/errors.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { hubClient, hubClientAt, line, snapshot } from '../../fixtures/client-orders.js';
import { sdkClock } from '../../helpers/clocks.js';
import { startWsProxy } from '../../fixtures/ws-proxy.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB, SIM_POS_CONFIG, startOdooSim } from '../../helpers/odoo-sim.js';
import { startHub, type StartHubOptions, type StartedHub } from '../../helpers/start-hub.js';
import { makeVenueCert, type VenueCert } from '../../helpers/venue-cert.js';
import { changesOf, until } from '../../helpers/wait.js';

const FAST_RECONNECT = { reconnectBackoff: { baseMs: 100, factor: 2, maxMs: 800 } };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Scheme = 'ws' | 'wss';
let venue: VenueCert | null = null;
let venueDir: string | null = null;
afterAll(() => {
  if (venueDir !== null) rmSync(venueDir, { recursive: true, force: true });
});
/** Made once, for the wss cases. */
function venueCert(): VenueCert {
  venueDir ??= mkdtempSync(join(tmpdir(), 'pos-sdk-wss-'));
  venue ??= makeVenueCert(venueDir, ['localhost', '127.0.0.1']);
  return venue;
}
/** What the SDK adds over wss: a Node WebSocket that pins the hub key, and the pin. */
let pinning: { deps: TransportDeps; config: Record<string, unknown> } = { deps: {}, config: {} };

/** The hub of a case: over wss it also serves TLS, and its `wsUrl` is the wss:// one. */
async function bootHub(scheme: Scheme, options: StartHubOptions = {}): Promise<StartedHub> {
  if (scheme === 'ws') {
    pinning = { deps: {}, config: {} };
    return startHub(options);
  }
  const cert = venueCert();
  pinning = { deps: { pinnedWebSocket }, config: { nu_hub_key_pin: `sha256/${cert.pin}` } };
  const hub = await startHub({ ...options, tlsIdentity: loadTlsIdentity(cert.certFile, cert.keyFile, new Date()) });
  if (hub.wssUrl === undefined) throw new Error('the hub did not listen for TLS');
  return { ...hub, wsUrl: hub.wssUrl };
}

function client(url: string, deviceId: string, deps: TransportDeps = {}, config: Record<string, unknown> = {}): HubTransport {
  const c = hubClient(url, deviceId, { ...pinning.deps, ...deps }, { ...pinning.config, ...config });
  cleanups.push(() => c.disconnect());
  return c;
}

function ref(n: number): string {
  return `NU/CFG1/S42/1764000000000-${n.toString(16).padStart(4, '0')}`;
}

describe.each<{ scheme: Scheme }>([{ scheme: 'ws' }, { scheme: 'wss' }])('SDK against the real hub over $scheme', ({ scheme }) => {
  // Cases that need a plain-ws proxy or a child-process restart run over ws only (file header).
  const wsOnly = scheme === 'ws' ? it : (): void => undefined;

  it('two terminals see each other\'s orders, table updates and locks (JSON and msgpack)', async () => {
    const hub = await bootHub(scheme);
    cleanups.push(() => hub.close());
    const a = client(hub.wsUrl, 'term-a', {}, { encoding: 'msgpack' });
    const b = client(hub.wsUrl, 'term-b');
    const bOrders: OrderUpdate[] = [];
    const aOrders: OrderUpdate[] = [];
    const aTables: TableUpdate[] = [];
    const bLocked: number[] = [];
    b.onOrderUpdated((u) => bOrders.push(u));
    a.onOrderUpdated((u) => aOrders.push(u));
    a.onTableUpdated((u) => aTables.push(u));
    b.onTableLocked((tableId) => bLocked.push(tableId));
    await a.connect();
    await b.connect();
    expect([a.state, b.state]).toEqual(['online', 'online']);
    expect(a.encoding).toBe('msgpack');
    expect(b.encoding).toBe('json');

    const r1 = ref(1);
    expect(await a.acquireTableLock(5)).toMatchObject({ granted: true, offline: false });
    await until(() => bLocked.includes(5), 'B to see table 5 locked', changesOf(a, b));
    expect(await b.acquireTableLock(5)).toMatchObject({ granted: false, lockedBy: 'term-a' });
    expect(await a.acquireLease(r1, 0)).toMatchObject({ granted: true, offline: false });
    a.sendOrderSnapshot(r1, 0, snapshot(r1, [line('a1')], { tableId: 5 }));
    await until(() => bOrders.some((u) => u.posReference === r1), 'B to see A\'s order', changesOf(a, b));
    a.releaseLease(r1);
    a.releaseTableLock(5);

    // B takes over the order and edits it; A sees B's edit.
    // A's release follows its ACK; B asks until the hub has processed it (bounded).
    let lease = await b.acquireLease(r1, 1);
    for (let i = 0; i < 50 && !lease.granted; i++) {
      await until(() => a.outboxCount === 0, 'A to drain', changesOf(a, b));
      lease = await b.acquireLease(r1, 1);
    }
    expect(lease).toMatchObject({ granted: true });
    // The hub refuses a table update from a terminal that does not hold the table's lock.
    let lock = await b.acquireTableLock(5);
    for (let i = 0; i < 50 && !lock.granted; i++) lock = await b.acquireTableLock(5);
    expect(lock).toMatchObject({ granted: true, offline: false });
    b.sendOrderSnapshot(r1, 1, snapshot(r1, [line('a1'), line('b1')], { tableId: 5 }));
    b.sendTableUpdate(5, 'occupied', r1);
    await until(() => aOrders.some((u) => u.version === 2) && aTables.some((t) => t.tableId === 5), 'A to see B\'s edits', changesOf(a, b));
    expect(aOrders.find((u) => u.version === 2)!.snapshot.lines.map((l) => l.uid)).toEqual(['a1', 'b1']);
    expect(aTables[0]).toMatchObject({ tableId: 5, status: 'occupied', sourceTerminal: 'term-b' });
  });

  wsOnly('hub killed and restarted on the same database while a terminal keeps editing: outbox flushes, the other converges, nothing lost or applied twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-sdk-restart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dbPath = join(dir, 'hub.sqlite');
    let hub = await startHub({ mode: 'child-process', dbPath });
    cleanups.push(() => hub.close());

    // The restarted hub listens on a new port 0; the terminals re-read their URL list (as discovery would).
    const a = hubClientAt(() => hub.wsUrl, 'kiosk-a', {}, FAST_RECONNECT);
    const b = hubClientAt(() => hub.wsUrl, 'kiosk-b', {}, FAST_RECONNECT);
    cleanups.push(() => a.disconnect(), () => b.disconnect());
    const aAcks: Array<{ posReference: string; version: number; mutationId: string }> = [];
    const aStates: ConnectionState[] = [];
    a.onOrderAcked((posReference, version, mutationId) => aAcks.push({ posReference, version, mutationId }));
    a.onStateChange((s) => aStates.push(s));
    const bView = new Map<string, { version: number; snapshot: OrderSnapshot }>();
    b.onSyncInit((orders) => {
      for (const o of orders) bView.set(o.posReference, { version: o.version, snapshot: o.snapshot });
    });
    b.onOrderUpdated((u) => {
      if ((bView.get(u.posReference)?.version ?? 0) < u.version) bView.set(u.posReference, { version: u.version, snapshot: u.snapshot });
    });
    await a.connect();
    await b.connect();

    const r1 = ref(0x10);
    await a.acquireLease(r1, 0);
    const lines = [line('l1')];
    for (let i = 2; i <= 3; i++) {
      a.sendOrderSnapshot(r1, i - 2, snapshot(r1, [...lines]));
      await until(() => a.outboxCount === 0, `write ${i - 1}`, changesOf(a, b));
      lines.push(line(`l${i}`));
    }
    expect(aAcks.map((x) => x.version)).toEqual([1, 2]);

    // The hub dies hard. A keeps working: edits queue, a new order is started, a table changes.
    await hub.kill('SIGKILL');
    await until(() => a.state !== 'online' && b.state !== 'online', 'both terminals to notice', changesOf(a, b));
    for (let i = 4; i <= 8; i++) {
      a.sendOrderSnapshot(r1, 2, snapshot(r1, [...lines]));
      lines.push(line(`l${i}`));
    }
    a.sendOrderSnapshot(r1, 2, snapshot(r1, [...lines]));
    const r2 = ref(0x11);
    expect(await a.acquireLease(r2, 0)).toMatchObject({ granted: true, offline: true });
    expect(await a.acquireTableLock(7)).toEqual({ granted: true, offline: true });
    a.sendOrderSnapshot(r2, 0, snapshot(r2, [line('n1'), line('n2')], { tableId: 7 }));
    a.sendTableUpdate(7, 'occupied', r2);
    // Six edits of r1 collapsed into the newest; plus r2 and the table update.
    expect(a.outboxEntries().map((e) => e.action)).toEqual(['orders/update', 'orders/update', 'tables/update']);

    hub = await startHub({ mode: 'child-process', dbPath });
    await until(() => a.state === 'online' && a.outboxCount === 0, 'A to reconnect and flush', changesOf(a, b), 20_000);
    await until(() => bView.get(r1)?.snapshot.lines.length === 8 && bView.get(r2) !== undefined, 'B to converge', changesOf(a, b), 20_000);

    const finalR1 = bView.get(r1)!;
    expect(finalR1.snapshot.lines.map((l) => l.uid)).toEqual(['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7', 'l8']);
    expect(bView.get(r2)!.snapshot.lines.map((l) => l.uid)).toEqual(['n1', 'n2']);
    expect(aStates).toContain('reconnecting');
    // Each write acknowledged exactly once, versions contiguous: nothing applied twice.
    const r1Acks = aAcks.filter((x) => x.posReference === r1);
    expect(r1Acks.map((x) => x.version)).toEqual([1, 2, 3]);
    expect(new Set(aAcks.map((x) => x.mutationId)).size).toBe(aAcks.length);

    await hub.close();
    const db = new Database(dbPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT pos_reference, version, snapshot FROM orders ORDER BY pos_reference').all() as Array<{ pos_reference: string; version: number; snapshot: string }>;
      expect(rows.map((r) => [r.pos_reference, r.version])).toEqual([
        [r1, 3],
        [r2, 1],
      ]);
      expect((JSON.parse(rows[0]!.snapshot) as OrderSnapshot).lines).toHaveLength(8);
      const mutations = db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT mutation_id) AS d FROM mutations WHERE terminal_id = 'kiosk-a'").get() as { n: number; d: number };
      expect(mutations.n).toBe(mutations.d);
    } finally {
      db.close();
    }
  }, 60_000);

  wsOnly('a write whose ORDER_ACK is lost is replayed with its mutationId and the hub applies it once', async () => {
    const hub = await bootHub(scheme);
    cleanups.push(() => hub.close());
    const proxy = await startWsProxy(hub.wsUrl);
    cleanups.push(() => proxy.close());
    let acksDropped = 0;
    proxy.dropDown = (m) => {
      if (m.type === 'ORDER_ACK' && acksDropped === 0) {
        acksDropped += 1;
        return true;
      }
      return false;
    };
    // A's request timer runs on a simulated clock: the replay happens when the test moves time past
    // requestTimeoutMs, never because this machine was slow to deliver an ACK.
    const clock = sdkClock();
    const a = client(proxy.url, 'term-a', { clock }, { requestTimeoutMs: 400, outboxBackoff: { baseMs: 50, factor: 2, maxMs: 200 } });
    const b = client(hub.wsUrl, 'term-b');
    const acks: Array<[number, string]> = [];
    const bVersions: number[] = [];
    a.onOrderAcked((_r, version, mutationId) => acks.push([version, mutationId]));
    b.onOrderUpdated((u) => bVersions.push(u.version));
    await a.connect();
    await b.connect();
    const r = ref(0x40);
    await a.acquireLease(r, 0);
    const sentUp: unknown[] = [];
    proxy.dropUp = (m) => {
      if (m.mutationId !== undefined && m.mutationId === mutationId) sentUp.push(m);
      return false;
    };
    const mutationId = a.sendOrderSnapshot(r, 0, snapshot(r, [line('y1')]));
    clock.flush();
    await until(() => acksDropped === 1 && bVersions.includes(1), 'the hub to apply the write and its ACK to be lost', [changesOf(a, b), proxy.drops]);
    expect(a.outboxCount).toBe(1); // not acknowledged: A cannot know the hub has it
    clock.advance(399);
    expect(proxy.dropped.filter((m) => m.type === 'ORDER_ACK')).toHaveLength(1);
    // Past the timeout the outbox backs off (at most maxMs) and replays: move time in small steps,
    // letting the SDK's promise chain run between them, until the replay leaves A (bounded).
    for (let step = 0; sentUp.length < 2 && step < 40; step++) {
      clock.advance(50);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(sentUp).toHaveLength(2); // the write, then exactly one replay with the same mutationId
    await until(() => a.outboxCount === 0, 'the replay to be acknowledged', changesOf(a, b));
    expect(acksDropped).toBe(1);
    expect(acks).toEqual([[1, mutationId]]);
    a.sendOrderSnapshot(r, 1, snapshot(r, [line('y1'), line('y2')]));
    clock.flush();
    await until(() => bVersions.includes(2), 'B to see the next write', changesOf(a, b));
    // Version 1 then 2: the replayed write did not create a version of its own.
    expect(bVersions).toEqual([1, 2]);
  });

  it('finalizeOrder reaches Odoo through the hub once, also when it was queued offline', async () => {
    const odoo = await startOdooSim();
    cleanups.push(() => odoo.close());
    const hub = await bootHub(scheme, { env: { ODOO_URL: odoo.url, ODOO_DB: SIM_DB, ODOO_USER: HUB_LOGIN, ODOO_PASSWORD: HUB_PASSWORD } });
    cleanups.push(() => hub.close());
    const a = client(hub.wsUrl, 'till-a');
    const finalized: FinalizeResult[] = [];
    a.onOrderFinalized((r) => finalized.push(r));

    // Offline first: the finalization is durable in the outbox, then goes out on connect.
    const queuedRef = 'Main/0042-001-0101';
    expect(await a.finalizeOrder(queuedRef, paidSnapshot(queuedRef), SIM_POS_CONFIG.id)).toMatchObject({ status: 'queued' });
    expect(a.outboxEntries().map((e) => e.action)).toEqual(['orders/finalize']);
    await a.connect();
    await until(() => finalized.some((r) => r.posReference === queuedRef && r.status === 'finalized'), 'the queued finalization', changesOf(a), 20_000);
    expect(a.outboxCount).toBe(0);

    const ref = 'Main/0042-001-0102';
    const result = await a.finalizeOrder(ref, paidSnapshot(ref), SIM_POS_CONFIG.id);
    if (result.status === 'queued') await until(() => finalized.some((r) => r.posReference === ref), 'ORDER_FINALIZED', changesOf(a), 20_000);
    expect(finalized.find((r) => r.posReference === ref)).toMatchObject({ status: 'finalized' });
    expect([odoo.sim.ordersFor(queuedRef), odoo.sim.ordersFor(ref)]).toEqual([1, 1]);
  }, 60_000);

  wsOnly('a LEASE_ACQUIRE the hub never answers fails after 10 s (simulated clock) with a clear error', async () => {
    const hub = await bootHub(scheme);
    cleanups.push(() => hub.close());
    const proxy = await startWsProxy(hub.wsUrl);
    cleanups.push(() => proxy.close());
    proxy.dropUp = (m) => m.type === 'LEASE_ACQUIRE';
    const clock = sdkClock();
    const a = client(proxy.url, 'term-a', { clock });
    await a.connect();
    expect(a.state).toBe('online');
    const outcome = a.acquireLease(ref(0x20), 0).then(
      () => 'granted',
      (e: unknown) => e,
    );
    await until(() => proxy.dropped.some((m) => m.type === 'LEASE_ACQUIRE'), 'the request to be swallowed', [changesOf(a), proxy.drops]);
    clock.advance(9_000);
    expect(await Promise.race([outcome, new Promise((r) => setImmediate(() => r('pending')))])).toBe('pending');
    clock.advance(1_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe('REQUEST_TIMEOUT');
    expect((error as HubError).message).toContain('did not respond to LEASE_ACQUIRE');
  });

  wsOnly('a broadcast dropped on the way (seq gap) triggers a resync that recovers it', async () => {
    const hub = await bootHub(scheme);
    cleanups.push(() => hub.close());
    const proxy = await startWsProxy(hub.wsUrl);
    cleanups.push(() => proxy.close());
    const a = client(hub.wsUrl, 'term-a');
    const b = client(proxy.url, 'term-b');
    const resyncs: ResyncInfo[] = [];
    const bVersions: number[] = [];
    b.onResync((r) => resyncs.push(r));
    b.onOrderUpdated((u) => bVersions.push(u.version));
    await a.connect();
    await b.connect();
    const r = ref(0x30);
    await a.acquireLease(r, 0);
    let dropped = false;
    proxy.dropDown = (m) => {
      if (!dropped && m.type === 'ORDER_UPDATED') {
        dropped = true;
        return true;
      }
      return false;
    };
    a.sendOrderSnapshot(r, 0, snapshot(r, [line('x1')]));
    await until(() => a.outboxCount === 0 && dropped, 'the first broadcast to be dropped', [changesOf(a, b), proxy.drops]);
    expect(bVersions).toEqual([]);
    a.sendOrderSnapshot(r, 1, snapshot(r, [line('x1'), line('x2')]));
    await until(() => bVersions.includes(2), 'B to see version 2', changesOf(a, b));
    await until(() => bVersions.includes(1), 'B to recover version 1', changesOf(a, b));
    expect(resyncs[0]).toMatchObject({ reason: 'gap' });
    expect(resyncs[0]!.receivedSeq! - resyncs[0]!.expectedSeq!).toBe(1);
  });
});
