/**
 * Store units shaped like the writer's for an accepted ORDER_SNAPSHOT (actors/table/order-writes.ts):
 * the order row with its snapshot, the ORDER_UPDATED event carrying the snapshot again, and the remembered
 * ORDER_ACK under the write's mutation id — three ops, two copies of a 5–15-line order. The orders are the
 * bench generator's (venue/orders.ts), one per table. Each order's snapshots are built before the run
 * (a few edits apart, used in turn), so making a unit during a measured step costs a few allocations and
 * the bench process's CPU is the store's work, not the order builder's. Both stores get the same rows.
 */
import type { StoreUnit } from '../../src/ports/store.js';
import type { OrderSnapshot } from '../../src/protocol/snapshot.js';
import { editDraft, newDraft, rng, toSnapshot } from '../venue/orders.js';

export interface UnitSource {
  /** The next write: order `i mod tables`, its next version, a fresh mutation id. */
  next(): StoreUnit;
}

/** Snapshots kept per order, used in turn. */
const VARIANTS = 4;
/** Terminals the writes are spread over (the saturation scenario's 20). */
const TERMINALS = 20;

export function snapshotUnits(runId: string, tables: number, seed = 18): UnitSource {
  const random = rng(seed);
  const createdAt = new Date(0).toISOString();
  const orders: { readonly tableId: number; readonly snapshots: OrderSnapshot[]; version: number }[] = [];
  for (let t = 1; t <= tables; t++) {
    const draft = newDraft(`Order ${runId}-${String(t).padStart(4, '0')}`, t, random, createdAt);
    const snapshots: OrderSnapshot[] = [];
    for (let v = 0; v < VARIANTS; v++) {
      editDraft(draft, random);
      snapshots.push(toSnapshot(draft, { state: 'editing', staffName: 'Bench' }));
    }
    orders.push({ tableId: t, snapshots, version: 0 });
  }
  let made = 0;
  return {
    next(): StoreUnit {
      const order = orders[made % tables]!;
      made += 1;
      order.version += 1;
      const snapshot = order.snapshots[order.version % VARIANTS]!;
      const { posReference } = snapshot;
      const { version, tableId } = order;
      const terminalId = `bench-${runId}-t${made % TERMINALS}`;
      const mutationId = `${runId}-m${made}`;
      const homeKey = `t:${tableId}`;
      return {
        ops: [
          {
            op: 'order_put',
            order: { posReference, homeKey, tableId, version, snapshot, state: snapshot.state, terminalId },
          },
          {
            op: 'event',
            type: 'ORDER_UPDATED',
            posReference,
            payload: { type: 'ORDER_UPDATED', posReference, version, snapshot, sourceTerminal: terminalId },
            sourceTerminal: terminalId,
          },
          {
            op: 'mutation',
            terminalId,
            owner: '',
            mutationId,
            homeKey,
            posReference,
            result: { type: 'ORDER_ACK', posReference, version, mutationId },
          },
        ],
      };
    },
  };
}

/** The unit's own mutation id as a dedupe key, for a retry after a commit whose answer was lost. */
export function withDedupe(unit: StoreUnit): StoreUnit {
  const mutation = unit.ops.find((op) => op.op === 'mutation');
  if (mutation === undefined || mutation.op !== 'mutation' || unit.dedupe !== undefined) return unit;
  return {
    ...unit,
    dedupe: { terminalId: mutation.terminalId, owner: mutation.owner ?? '', mutationId: mutation.mutationId },
  };
}
