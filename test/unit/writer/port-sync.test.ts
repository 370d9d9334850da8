/**
 * A terminal's sync answered on the store port (syncAnswerOnPort) equals the answer from the SQLite store
 * directly: resume within the window (its own events left out), SYNC_INIT beyond it or without lastSeq,
 * closed orders left out, leases and locks as they stand at `now`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import type { StoreUnit } from '../../../src/ports/store.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { createSyncAnswers, syncAnswerOnPort } from '../../../workers/writer/sync-answers.js';

/** The answer without the shared SYNC_INIT's version (the port path does not share yet). */
const unversioned = (answer: object): object => ({ ...answer, version: undefined });

const NOW = Date.UTC(2026, 10, 23, 12);
const RETENTION = 4;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-port-sync-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function order(
  posReference: string,
  terminalId: string,
  state: OrderSnapshot['state'] = 'editing',
  expiresAt = NOW + 60_000,
): StoreUnit {
  const snapshot: OrderSnapshot = {
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
  return {
    ops: [
      { op: 'order_put', order: { posReference, homeKey: 't:1', tableId: 1, version: 1, snapshot, state, terminalId } },
      {
        op: 'lease_put',
        lease: { posReference, homeKey: 't:1', terminalId, role: 'waiter', tableId: 1, expiresAt, epoch: 1 },
      },
      {
        op: 'event',
        type: 'ORDER_UPDATED',
        posReference,
        payload: { type: 'ORDER_UPDATED', posReference, snapshot, sourceTerminal: terminalId },
        sourceTerminal: terminalId,
      },
    ],
  };
}

describe('sync on the store port', () => {
  it('answers resume and SYNC_INIT as the SQLite store does', async () => {
    const port = SqliteStorePort.open({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
    await port.commit([order('A', 'ann'), order('B', 'bob', 'editing', NOW - 1), order('C', 'ann', 'finalized')], NOW);
    await port.commit(
      [
        {
          ops: [
            {
              op: 'lock_put',
              lock: { tableId: 3, terminalId: 'bob', role: 'waiter', expiresAt: NOW + 5000, epoch: 1 },
            },
            { op: 'table_put', table: { tableId: 1, status: 'occupied', posReference: 'A' } },
          ],
        },
        order('D', 'bob'),
        order('E', 'ann'),
      ],
      NOW,
    );
    const cases: Array<[string, number | undefined]> = [
      ['ann', 2],
      ['bob', 2],
      ['ann', 5],
      ['ann', 0],
      ['ann', undefined],
    ];
    const direct = createSyncAnswers(port.store, RETENTION);
    for (const [terminalId, lastSeq] of cases) {
      expect(unversioned(await syncAnswerOnPort(port, RETENTION, NOW, terminalId, lastSeq))).toEqual(
        unversioned(direct(NOW, lastSeq === undefined ? { terminalId } : { terminalId, lastSeq })),
      );
    }
    // The cases cover both modes: a resume without the terminal's own events, and a full init.
    expect(await syncAnswerOnPort(port, RETENTION, NOW, 'ann', 2)).toMatchObject({
      mode: 'resume',
      fromSeq: 3,
      toSeq: 5,
      events: [{ posReference: 'D', seq: 4 }],
    });
    const init = await syncAnswerOnPort(port, RETENTION, NOW, 'ann', 0);
    expect(init).toMatchObject({ mode: 'init', seq: 5 });
    if (init.mode === 'init') {
      expect(init.orders.map((o) => [o.posReference, o.leasedBy])).toEqual([
        ['A', 'ann'],
        ['B', null],
        ['D', 'bob'],
        ['E', 'ann'],
      ]);
      expect(init.tables.map((t) => [t.tableId, t.lockedBy])).toEqual([
        [1, null],
        [3, 'bob'],
      ]);
    }
    await port.close();
  });
});
