/**
 * HubTransport behaviours that need a hub's real decisions (the real hub on port 0, in-process):
 * a CONFLICT reconciled through the order domain and re-sent on the hub's version, an order whose
 * lease another terminal holds waiting without holding back the others, writes queued offline sent
 * once on connect, and a newer socket of the same device (4004) stopping the older transport.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import { orderOf } from '../../../src/client/outbox.js';
import type { ConflictInfo, OrderUpdate, TableUpdate } from '../../../src/client/types.js';
import { hubClient, line, snapshot } from '../../fixtures/client-orders.js';
import { changesOf, until as untilChange } from '../../helpers/wait.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hub(): Promise<StartedHub> {
  const h = await startHub();
  cleanups.push(() => h.close());
  return h;
}

/** Every transport this test started: a condition below can change only when one of them calls back. */
const live: HubTransport[] = [];

function client(url: string, deviceId: string, ...rest: Parameters<typeof hubClient> extends [string, string, ...infer R] ? R : never): HubTransport {
  const c = hubClient(url, deviceId, ...rest);
  live.push(c);
  cleanups.push(() => {
    live.splice(live.indexOf(c), 1);
    c.disconnect();
  });
  return c;
}

/** Waits until `check` holds, re-checked on every callback of the test's transports. */
function until(check: () => boolean, what: string): Promise<void> {
  return untilChange(check, what, changesOf(...live));
}

function ref(n: number): string {
  return `NU/CFG1/S42/1764000000000-${n.toString(16).padStart(4, '0')}`;
}

describe('HubTransport against the real hub', () => {
  it('a CONFLICT is reconciled through the order domain and re-sent on the hub version; nobody\'s line is lost', async () => {
    const h = await hub();
    const a = client(h.wsUrl, 'term-a');
    const b = client(h.wsUrl, 'term-b');
    const seenByB: OrderUpdate[] = [];
    b.onOrderUpdated((u) => seenByB.push(u));
    await a.connect();
    await b.connect();
    const r = ref(0x101);
    await a.acquireLease(r, 0);
    a.sendOrderSnapshot(r, 0, snapshot(r, [line('l1')]));
    await until(() => a.outboxCount === 0 && seenByB.length === 1, 'the first write');
    a.releaseLease(r);
    await until(() => !a.isLeaseHeld(r), 'A to release');
    // B moves the order to version 2; A still edits on version 1.
    expect(await b.acquireLease(r, 1)).toMatchObject({ granted: true });
    b.sendOrderSnapshot(r, 1, snapshot(r, [line('l1'), line('b1')]));
    await until(() => b.outboxCount === 0, 'B\'s write');
    const released: string[] = [];
    a.onLeaseReleased((posReference, by) => released.push(`${posReference} ${by ?? ''}`));
    b.releaseLease(r);
    await until(() => released.includes(`${r} term-b`), 'B\'s release to reach A');
    const conflicts: ConflictInfo[] = [];
    a.onConflict((c) => conflicts.push(c));
    expect(await a.acquireLease(r, 1)).toMatchObject({ granted: true });
    a.sendOrderSnapshot(r, 1, snapshot(r, [line('l1'), line('a1')]));
    await until(() => a.outboxCount === 0 && seenByB.some((u) => u.version === 3), 'A to resolve the conflict');
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]!.strategy).toBe('merge');
    expect(seenByB.find((u) => u.version === 3)!.snapshot.lines.map((l) => l.uid).sort()).toEqual(['a1', 'b1', 'l1']);
  });

  it('an order whose lease another terminal holds waits in the outbox without holding back other orders', async () => {
    const h = await hub();
    const a = client(h.wsUrl, 'term-a', {}, { outboxBackoff: { baseMs: 60_000, factor: 2, maxMs: 60_000 } });
    const b = client(h.wsUrl, 'term-b');
    const errors: string[] = [];
    a.onError((e) => errors.push(e.code));
    const seenByB: string[] = [];
    b.onOrderUpdated((u) => seenByB.push(u.posReference));
    await a.connect();
    await b.connect();
    const held = ref(0x102);
    const free = ref(0x103);
    expect(await b.acquireLease(held, 0)).toMatchObject({ granted: true });
    a.sendOrderSnapshot(held, 0, snapshot(held, [line('h1')]));
    a.sendOrderSnapshot(free, 0, snapshot(free, [line('f1')]));
    await until(() => seenByB.includes(free) && a.outboxCount === 1, 'the free order to go through');
    expect(seenByB).not.toContain(held);
    expect(a.outboxEntries().map((e) => [orderOf(e), e.attempts])).toEqual([[held, 1]]);
    expect(a.outboxEntries()[0]!.lastError).toMatch(/lease denied.*term-b/);
    expect(errors).toEqual(['LEASE_HELD']);
  });

  it('offline: locks and leases are granted at once, writes queue (a newer snapshot replaces the older), and go out once on connect', async () => {
    const h = await hub();
    const a = client(h.wsUrl, 'term-a');
    const b = client(h.wsUrl, 'term-b');
    const seenByB: OrderUpdate[] = [];
    const tablesSeenByB: TableUpdate[] = [];
    b.onOrderUpdated((u) => seenByB.push(u));
    b.onTableUpdated((u) => tablesSeenByB.push(u));
    await b.connect();
    const r = ref(0x104);
    expect(await a.acquireTableLock(3)).toEqual({ granted: true, offline: true });
    expect(await a.acquireLease(r, 0)).toMatchObject({ granted: true, offline: true });
    a.sendOrderSnapshot(r, 0, snapshot(r, [line('l1')], { tableId: 3 }));
    a.sendOrderSnapshot(r, 0, snapshot(r, [line('l1'), line('l2')], { tableId: 3 }));
    a.sendTableUpdate(3, 'occupied', r);
    expect(a.outboxEntries().map((e) => e.action)).toEqual(['orders/update', 'tables/update']);
    await a.connect();
    await until(() => a.outboxCount === 0 && tablesSeenByB.length === 1 && seenByB.length === 1, 'the outbox to flush');
    expect(seenByB[0]).toMatchObject({ posReference: r, version: 1 });
    expect(seenByB[0]!.snapshot.lines.map((l) => l.uid)).toEqual(['l1', 'l2']);
    expect(tablesSeenByB[0]).toMatchObject({ tableId: 3, status: 'occupied', sourceTerminal: 'term-a' });
  });

  it('a newer connection of the same deviceId (close 4004) stops the older transport instead of fighting it', async () => {
    const h = await hub();
    const first = client(h.wsUrl, 'same');
    const errors: string[] = [];
    first.onError((e) => errors.push(e.code));
    await first.connect();
    const second = client(h.wsUrl, 'same');
    await second.connect();
    await until(() => first.state === 'offline', 'the older transport to stop');
    expect(errors).toContain('DEVICE_REPLACED');
    expect(second.state).toBe('online');
  });
});
