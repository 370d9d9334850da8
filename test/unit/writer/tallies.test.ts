/**
 * /health's counters without a recount per commit (issue 16): SQLite keeps them in the tallies table by
 * trigger, and they must equal a real count after every kind of change — upserts that insert or update,
 * deletes, forward status moves, pruning and reset. Also: a renewed lease at an unchanged epoch does not
 * rewrite its epochs row, and one serialized snapshot serves the order row and its event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubStore, type StoreCounts } from '../../../src/adapters/sqlite/store.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';

let dir: string;
let store: HubStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-tallies-'));
  store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = Date.UTC(2026, 10, 23, 12);

function snap(posReference: string): OrderSnapshot {
  return {
    posReference,
    tableId: 1,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: 1,
    userId: 1,
    lines: [],
    payments: [],
    amountTotal: 0,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: '2026-01-01T10:00:00.000Z',
  };
}

/** The counters as the four COUNTs computed them before the tallies table. */
function recount(): StoreCounts {
  const n = (sql: string): number => (store.db.prepare(sql).get() as { n: number }).n;
  const forward = (status: string): number =>
    n(`SELECT count(*) AS n FROM events WHERE forwarded IS NOT NULL AND status = '${status}'`);
  return {
    orders: n('SELECT count(*) AS n FROM orders'),
    activeLeases: n('SELECT count(*) AS n FROM leases'),
    activeLocks: n('SELECT count(*) AS n FROM table_locks'),
    pendingForward: forward('pending'),
    totalForwarded: forward('forwarded'),
    deadLetters: forward('dead'),
  };
}

function put(posReference: string, version: number, finalize = false): void {
  store.transaction(() => {
    const snapshot = snap(posReference);
    const shared = store.putOrder(
      { posReference, homeKey: 't:1', tableId: 1, version, snapshot, state: 'editing', terminalId: 'ann' },
      NOW,
    );
    store.putLease({
      posReference,
      homeKey: 't:1',
      terminalId: 'ann',
      role: 'waiter',
      tableId: 1,
      expiresAt: NOW + version,
      epoch: 1,
    });
    store.appendEvent(
      {
        type: finalize ? 'ORDER_FINALIZE' : 'ORDER_UPDATED',
        posReference,
        payload: (seq) => ({ type: 'ORDER_UPDATED', posReference, version, snapshot, seq }),
        sourceTerminal: 'ann',
        ...(finalize ? { finalize: { snapshot, configId: 1, terminalId: 'ann' } } : {}),
      },
      NOW,
      shared,
    );
  });
}

describe('tallies kept by triggers', () => {
  it('equal a real count after inserts, updates, deletes, forwarding, pruning and reset', () => {
    put('A', 1);
    put('A', 2);
    put('B', 1, true);
    put('C', 1, true);
    store.putLock({ tableId: 1, terminalId: 'ann', role: 'waiter', expiresAt: NOW, epoch: 1 });
    store.putLock({ tableId: 1, terminalId: 'bob', role: 'waiter', expiresAt: NOW + 1, epoch: 2 });
    expect(store.tallies()).toEqual({
      orders: 3,
      activeLeases: 3,
      activeLocks: 1,
      pendingForward: 2,
      totalForwarded: 0,
      deadLetters: 0,
    });
    const [b, c] = store.pending(10, NOW);
    store.markForwarded(b!.eventId, { posReference: 'B', orderId: 7, lineIdMap: {}, created: true }, NOW);
    store.markAttemptFailed(c!.eventId, 'down', NOW + 1000);
    expect(store.tallies()).toEqual(recount());
    store.markDead(c!.eventId, 'refused', NOW);
    store.deleteLease('B');
    store.deleteLock(1);
    expect(store.tallies()).toEqual({
      ...recount(),
      orders: 3,
      activeLeases: 2,
      activeLocks: 0,
      pendingForward: 0,
      totalForwarded: 1,
      deadLetters: 1,
    });
    // A rolled-back transaction leaves the tallies where the rows are.
    expect(() =>
      store.transaction(() => {
        put('D', 1, true);
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(store.tallies()).toEqual(recount());
    const pruned = store.pruneScheduled({ closedOrders: 0, orderBytes: 1e9, retention: 0, eventBytes: 1e9 });
    expect(pruned.orders).toEqual(['B']);
    expect(store.tallies()).toEqual(recount());
    store.reset();
    expect(store.tallies()).toEqual({
      orders: 0,
      activeLeases: 0,
      activeLocks: 0,
      pendingForward: 0,
      totalForwarded: 0,
      deadLetters: 0,
    });
    expect(store.tallies()).toEqual(recount());
  });

  it('survive a reopen (they are rows, not memory)', () => {
    put('A', 1, true);
    store.close();
    store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
    expect(store.tallies()).toEqual({
      orders: 1,
      activeLeases: 1,
      activeLocks: 0,
      pendingForward: 1,
      totalForwarded: 0,
      deadLetters: 0,
    });
  });
});

describe('redundant writes', () => {
  it('a renewed lease at an unchanged epoch leaves its epochs row alone; a higher epoch raises it', () => {
    const changes = (): number => (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    put('A', 1);
    const before = changes();
    store.putLease({
      posReference: 'A',
      homeKey: 't:1',
      terminalId: 'ann',
      role: 'waiter',
      tableId: 1,
      expiresAt: NOW + 60_000,
      epoch: 1,
    });
    expect(changes() - before).toBe(1);
    store.putLease({
      posReference: 'A',
      homeKey: 't:1',
      terminalId: 'bob',
      role: 'waiter',
      tableId: 1,
      expiresAt: NOW + 60_000,
      epoch: 2,
    });
    expect(changes() - before).toBe(3);
    expect(store.epochs()).toEqual([{ key: 'lease:A', homeKey: 't:1', epoch: 2 }]);
  });

  it('after a rollback the epoch is written again (the row may not hold it)', () => {
    expect(() =>
      store.transaction(() => {
        store.putLease({
          posReference: 'A',
          homeKey: 't:1',
          terminalId: 'ann',
          role: 'waiter',
          tableId: 1,
          expiresAt: NOW,
          epoch: 3,
        });
        throw new Error('refused');
      }),
    ).toThrow('refused');
    store.putLease({
      posReference: 'A',
      homeKey: 't:1',
      terminalId: 'ann',
      role: 'waiter',
      tableId: 1,
      expiresAt: NOW,
      epoch: 3,
    });
    expect(store.epochs()).toEqual([{ key: 'lease:A', homeKey: 't:1', epoch: 3 }]);
  });

  it('the event row and the finalize reuse the order row snapshot text and read back equal', () => {
    put('A', 1, true);
    const order = store.db.prepare(`SELECT snapshot FROM orders WHERE pos_reference = 'A'`).get() as {
      snapshot: string;
    };
    const event = store.db.prepare(`SELECT payload, finalize FROM events WHERE pos_reference = 'A'`).get() as {
      payload: string;
      finalize: string;
    };
    expect(event.payload).toContain(order.snapshot);
    expect(event.finalize).toContain(order.snapshot);
    expect(JSON.parse(event.payload)).toEqual({
      type: 'ORDER_UPDATED',
      posReference: 'A',
      version: 1,
      snapshot: snap('A'),
      seq: 1,
    });
    expect(store.pending(10, NOW)[0]).toMatchObject({ snapshot: snap('A'), configId: 1, terminalId: 'ann' });
  });
});
