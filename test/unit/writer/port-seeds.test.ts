/**
 * Seeds built from the store port's reads (workers/writer/port-seeds.ts) equal the SQLite store's own
 * seeds, for a whole shard and for one evicted actor: the writer can answer `load` and `load_key` from
 * HubStorePort without a shard seeing any difference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import type { StoreUnit } from '../../../src/ports/store.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { shardOf } from '../../../src/threads/keys.js';
import { seedOfKey, seedsOfContents } from '../../../workers/writer/port-seeds.js';

const NOW = Date.UTC(2026, 10, 23, 12);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-port-seeds-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function snap(posReference: string, tableId: number | null): OrderSnapshot {
  return {
    posReference,
    tableId,
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

function order(posReference: string, homeKey: string, tableId: number | null, finalize = false): StoreUnit {
  const snapshot = snap(posReference, tableId);
  return {
    ops: [
      {
        op: 'order_put',
        order: { posReference, homeKey, tableId, version: 1, snapshot, state: 'editing', terminalId: 'ann' },
      },
      {
        op: 'lease_put',
        lease: { posReference, homeKey, terminalId: 'ann', role: 'waiter', tableId, expiresAt: NOW + 60_000, epoch: 3 },
      },
      {
        op: 'event',
        type: finalize ? 'ORDER_FINALIZE' : 'ORDER_UPDATED',
        posReference,
        payload: { type: 'ORDER_UPDATED', posReference },
        sourceTerminal: 'ann',
        ...(finalize ? { finalize: { snapshot, configId: 1, terminalId: 'ann' } } : {}),
      },
      {
        op: 'mutation',
        terminalId: 'ann',
        owner: 'u1',
        mutationId: `m-${posReference}`,
        homeKey,
        posReference,
        result: { type: 'ORDER_ACK' },
      },
    ],
  };
}

describe('seeds from the store port', () => {
  it('equal the SQLite store seeds for a shard and for one key', async () => {
    const port = SqliteStorePort.open({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
    await port.commit(
      [
        order('A', 't:1', 1),
        order('B', 't:1', 1, true),
        order('C', 't:2', 2),
        order('T-9', 'o:T-9', null),
        {
          ops: [
            { op: 'lock_put', lock: { tableId: 2, terminalId: 'bob', role: 'waiter', expiresAt: NOW, epoch: 4 } },
            { op: 'table_put', table: { tableId: 2, status: 'occupied', posReference: 'C' } },
            { op: 'table_put', table: { tableId: 5, status: 'free', posReference: null } },
          ],
        },
        // A ticket's mutation has no actor (empty home key): in no seed.
        {
          ops: [
            {
              op: 'ticket',
              businessDay: '2026-11-23',
              orderType: 'takeout',
              terminalId: 'cy',
              mutationId: 't-1',
              reply: (n) => ({ n }),
            },
          ],
        },
      ],
      NOW,
    );
    for (const shards of [1, 2]) {
      for (let shard = 0; shard < shards; shard++) {
        const keep = (key: string): boolean => shardOf(key, shards) === shard;
        expect(seedsOfContents(await port.contents(), keep)).toEqual(port.store.actorSeeds(keep));
      }
    }
    for (const key of ['t:1', 't:2', 't:5', 'o:T-9', 't:7'])
      expect(seedOfKey(key, await port.seedOf(key))).toEqual(port.store.seedOf(key));
    // The cases are really there: a finalizing order, a lock, a table row, epochs and owner-scoped mutations.
    expect(seedOfKey('t:1', await port.seedOf('t:1'))).toMatchObject({
      finalizing: ['B'],
      mutations: [{ owner: 'u1' }, { owner: 'u1' }],
    });
    expect(seedOfKey('t:2', await port.seedOf('t:2'))).toMatchObject({
      lock: { terminalId: 'bob', epoch: 4 },
      table: { status: 'occupied' },
    });
    await port.close();
  });
});
