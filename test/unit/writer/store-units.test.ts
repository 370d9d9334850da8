/**
 * The writer's units through the store port (workers/writer/store-units.ts) against the writer's direct
 * path (apply-unit.ts on HubStore): the same units give the same messages, seq stamps, replies and rows on
 * either path, so moving the writer onto HubStorePort changes no behaviour on SQLite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import type { Outbound, Unit } from '../../../src/threads/actor-io.js';
import { applyUnit } from '../../../workers/writer/apply-unit.js';
import { outboundOf, toStoreUnit } from '../../../workers/writer/store-units.js';

const NOW = Date.UTC(2026, 10, 23, 12);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-store-units-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function snap(posReference: string, state: OrderSnapshot['state'] = 'editing'): OrderSnapshot {
  return {
    posReference,
    tableId: 1,
    state,
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

function write(posReference: string, version: number, owner: string, mutationId: string, finalize = false): Unit {
  const snapshot = snap(posReference, finalize ? 'paid' : 'editing');
  const updated: HubMessage = { type: 'ORDER_UPDATED', posReference, version, snapshot, sourceTerminal: 'ann' };
  const ack: HubMessage = { type: 'ORDER_ACK', posReference, version, mutationId };
  return {
    ops: [
      {
        op: 'order_put',
        posReference,
        homeKey: 't:1',
        tableId: 1,
        version,
        snapshot,
        terminalId: 'ann',
        state: snapshot.state,
      },
      {
        op: 'event',
        type: finalize ? 'ORDER_FINALIZE' : 'ORDER_UPDATED',
        posReference,
        payload: updated,
        sourceTerminal: 'ann',
        ...(finalize ? { finalize: { snapshot, configId: 1, terminalId: 'ann' } } : {}),
      },
      { op: 'mutation', terminalId: 'ann', owner, mutationId, homeKey: 't:1', posReference, result: ack },
      {
        op: 'lease_put',
        posReference,
        homeKey: 't:1',
        terminalId: 'ann',
        role: 'waiter',
        tableId: 1,
        expiresAt: NOW + 60_000,
        epoch: 1,
      },
    ],
    out: [
      { to: 'terminal', terminalId: 'ann', msg: ack, stamp: true },
      { to: 'others', except: 'ann', msg: updated, stamp: true },
    ],
  };
}

const locked: HubMessage = { type: 'TABLE_LOCKED', tableId: 4, lockedBy: 'bob', expiresAt: NOW + 1000 };
const tableUpdated: HubMessage = {
  type: 'TABLE_UPDATED',
  tableId: 4,
  status: 'occupied',
  posReference: 'A',
  sourceTerminal: 'bob',
};
const planChanged: HubMessage = { type: 'FLOOR_PLAN_CHANGED', floorId: 2, tables: [], sourceTerminal: 'mgr' };

/** Two commits' worth: writes, a finalize, a lock, a table, a floor plan, replays (one found, one not), tickets. */
const batches: Unit[][] = [
  [
    write('A', 1, 'u1', 'm-1'),
    write('A', 2, 'u1', 'm-2'),
    {
      ops: [
        { op: 'lock_put', tableId: 4, terminalId: 'bob', role: 'waiter', expiresAt: NOW + 1000, epoch: 2 },
        { op: 'event', type: 'TABLE_LOCKED', posReference: null, payload: locked, sourceTerminal: 'bob' },
      ],
      out: [{ to: 'all', msg: locked, stamp: true }],
    },
    {
      ops: [
        { op: 'table_put', tableId: 4, status: 'occupied', posReference: 'A' },
        { op: 'event', type: 'TABLE_UPDATED', posReference: 'A', payload: tableUpdated, sourceTerminal: 'bob' },
      ],
      out: [{ to: 'others', except: 'bob', msg: tableUpdated, stamp: true }],
    },
    {
      ops: [
        { op: 'floor_plan_put', plan: { floorId: 2, tables: [], layoutMode: 'grid' } },
        { op: 'event', type: 'FLOOR_PLAN_CHANGED', posReference: null, payload: planChanged, sourceTerminal: null },
      ],
      out: [{ to: 'all', msg: planChanged, stamp: true }],
    },
    {
      ops: [
        {
          op: 'ticket',
          terminalId: 'cy',
          owner: 'u3',
          orderType: 'takeout',
          businessDay: '2026-11-23',
          mutationId: 't-1',
        },
      ],
      out: [],
    },
    { ops: [{ op: 'ticket', terminalId: 'cy', orderType: 'takeout', businessDay: '2026-11-23' }], out: [] },
  ],
  [
    { ops: [{ op: 'replay', terminalId: 'ann', owner: 'u1', mutationId: 'm-2' }], out: [] },
    // Another owner's id on the same device answers nothing.
    { ops: [{ op: 'replay', terminalId: 'ann', owner: 'u2', mutationId: 'm-2' }], out: [] },
    {
      ops: [
        {
          op: 'ticket',
          terminalId: 'cy',
          owner: 'u3',
          orderType: 'takeout',
          businessDay: '2026-11-23',
          mutationId: 't-1',
        },
      ],
      out: [],
    },
    write('B', 1, 'u1', 'm-3', true),
    {
      ops: [
        { op: 'lock_delete', tableId: 4 },
        { op: 'lease_delete', posReference: 'A' },
      ],
      out: [],
    },
  ],
];

/** Every row the writer writes, JSON columns parsed (key order is not behaviour). */
function rows(store: HubStore): Record<string, unknown[]> {
  const parse = (r: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        typeof v === 'string' && (v.startsWith('{') || v.startsWith('[')) ? JSON.parse(v) : v,
      ]),
    );
  const all = (sql: string): unknown[] => (store.db.prepare(sql).all() as Record<string, unknown>[]).map(parse);
  return {
    orders: all('SELECT * FROM orders ORDER BY pos_reference'),
    leases: all('SELECT * FROM leases ORDER BY pos_reference'),
    locks: all('SELECT * FROM table_locks ORDER BY table_id'),
    tables: all('SELECT * FROM tables ORDER BY table_id'),
    plans: all('SELECT * FROM floor_plans ORDER BY floor_id'),
    events: all('SELECT * FROM events ORDER BY id'),
    mutations: all('SELECT * FROM mutations ORDER BY rowid'),
    tickets: all('SELECT * FROM tickets ORDER BY business_day, order_type'),
    epochs: all('SELECT * FROM epochs ORDER BY key'),
    tallies: all('SELECT * FROM tallies ORDER BY name'),
  };
}

describe('writer units on the store port', () => {
  it('give the same messages, seqs, replies and rows as the direct path', async () => {
    const direct = new HubStore({ path: join(dir, 'direct.sqlite'), sync: 'normal' });
    const port = SqliteStorePort.open({ path: join(dir, 'port.sqlite'), sync: 'normal' });
    const directOut: Outbound[][] = [];
    const portOut: Outbound[][] = [];
    for (const units of batches) {
      directOut.push(...direct.transaction(() => units.map((u) => applyUnit(direct, u, NOW).out)));
      const result = await port.commit(units.map(toStoreUnit), NOW);
      expect(result.units).toHaveLength(units.length);
      portOut.push(...units.map((u, i) => outboundOf(u, result.units[i]!)));
      expect(result.seq).toBe(direct.currentSeq());
    }
    expect(portOut).toEqual(directOut);
    // The cases the units were built for are really there.
    const seqs = portOut.flatMap((out) =>
      out.map((o) => (o.msg as { seq?: number }).seq).filter((s) => s !== undefined),
    );
    // The replayed ACK keeps the seq of its first commit (2).
    expect(seqs).toEqual([1, 1, 2, 2, 3, 4, 5, 2, 6, 6]);
    const replies = portOut
      .slice(5, 10)
      .map((out) => out.map((o) => (o.to === 'terminal' ? [o.terminalId, o.msg] : null)));
    expect(replies).toEqual([
      [
        [
          'cy',
          {
            type: 'TICKET_NUMBER',
            orderType: 'takeout',
            ticketNumber: 1,
            businessDay: '2026-11-23',
            mutationId: 't-1',
          },
        ],
      ],
      [['cy', { type: 'TICKET_NUMBER', orderType: 'takeout', ticketNumber: 2, businessDay: '2026-11-23' }]],
      [['ann', { type: 'ORDER_ACK', posReference: 'A', version: 2, mutationId: 'm-2', seq: 2 }]],
      [],
      [
        [
          'cy',
          {
            type: 'TICKET_NUMBER',
            orderType: 'takeout',
            ticketNumber: 1,
            businessDay: '2026-11-23',
            mutationId: 't-1',
          },
        ],
      ],
    ]);
    expect(rows(port.store)).toEqual(rows(direct));
    direct.close();
    await port.close();
  });
});
