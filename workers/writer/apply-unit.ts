/**
 * One write unit's ops applied to the store, inside the writer's open transaction: rows written, the
 * unit's event seq stamped on its mutation results and outbound messages, replays and tickets answered.
 * Split from writer-core.ts so the batcher (queue, window, rollback) reads apart from what a unit writes.
 */
import type { HubStore, SharedSnapshot } from '#adapters/sqlite/store.js';
import type { HubMessage } from '#protocol/hub-messages.js';
import { HubError } from '#protocol/errors.js';
import type { Outbound, Unit } from '#threads/actor-io.js';

/** What one unit gave: the messages to send after the commit, the rows it wrote, whether it queued a finalize. */
export interface AppliedUnit {
  out: Outbound[];
  rows: number;
  finalized: boolean;
  receivedAt?: number;
}

export function applyUnit(store: HubStore, unit: Unit, now: number): AppliedUnit {
  let seq: number | null = null;
  let rows = 0;
  let finalized = false;
  const extra: Outbound[] = [];
  // The unit's order snapshot as serialized for its row: its event (and finalize) carry the same object.
  let shared: SharedSnapshot | null = null;
  const stampLater: Array<{
    terminalId: string;
    owner: string;
    mutationId: string;
    homeKey: string;
    posReference: string | null;
    result: HubMessage;
  }> = [];
  for (const op of unit.ops) {
    rows += 1;
    switch (op.op) {
      case 'order_put':
        shared = store.putOrder(
          {
            posReference: op.posReference,
            homeKey: op.homeKey,
            tableId: op.tableId,
            version: op.version,
            snapshot: op.snapshot,
            state: op.state,
            terminalId: op.terminalId,
          },
          now,
        );
        break;
      case 'lease_put':
        store.putLease({
          posReference: op.posReference,
          homeKey: op.homeKey,
          terminalId: op.terminalId,
          role: op.role,
          tableId: op.tableId,
          expiresAt: op.expiresAt,
          epoch: op.epoch,
        });
        break;
      case 'lease_delete':
        store.deleteLease(op.posReference);
        break;
      case 'lock_put':
        store.putLock({
          tableId: op.tableId,
          terminalId: op.terminalId,
          role: op.role,
          expiresAt: op.expiresAt,
          epoch: op.epoch,
        });
        break;
      case 'lock_delete':
        store.deleteLock(op.tableId);
        break;
      case 'table_put':
        store.putTable({ tableId: op.tableId, status: op.status, posReference: op.posReference }, now);
        break;
      case 'floor_plan_put':
        store.putFloorPlan(op.plan.floorId, op.plan, now);
        break;
      case 'event': {
        const id = store.appendEvent(
          {
            type: op.type,
            posReference: op.posReference,
            payload: (s) => ({ ...op.payload, seq: s }),
            sourceTerminal: op.sourceTerminal,
            ...(op.finalize === undefined ? {} : { finalize: op.finalize }),
          },
          now,
          shared,
        );
        if (op.payload !== null || seq === null) seq = id;
        if (op.finalize !== undefined) finalized = true;
        break;
      }
      case 'mutation':
        stampLater.push({
          terminalId: op.terminalId,
          owner: op.owner ?? '',
          mutationId: op.mutationId,
          homeKey: op.homeKey,
          posReference: op.posReference,
          result: op.result,
        });
        break;
      case 'replay': {
        const result = store.getMutation(op.terminalId, op.mutationId, op.owner);
        if (result !== undefined) extra.push({ to: 'terminal', terminalId: op.terminalId, msg: result as HubMessage });
        break;
      }
      case 'ticket': {
        const previous =
          op.mutationId === undefined ? undefined : store.getMutation(op.terminalId, op.mutationId, op.owner);
        if (previous !== undefined) {
          extra.push({ to: 'terminal', terminalId: op.terminalId, msg: previous as HubMessage });
          break;
        }
        const ticketNumber = store.nextTicket(op.businessDay, op.orderType);
        const msg: HubMessage = {
          type: 'TICKET_NUMBER',
          orderType: op.orderType,
          ticketNumber,
          businessDay: op.businessDay,
          ...(op.mutationId === undefined ? {} : { mutationId: op.mutationId }),
        };
        if (op.mutationId !== undefined) store.putMutation(op.terminalId, op.mutationId, '', null, msg, now, op.owner);
        extra.push({ to: 'terminal', terminalId: op.terminalId, msg });
        break;
      }
      default: {
        const unreachable: never = op;
        throw new HubError('INTERNAL', `unknown write op ${JSON.stringify(unreachable)}`);
      }
    }
  }
  for (const m of stampLater) {
    store.putMutation(
      m.terminalId,
      m.mutationId,
      m.homeKey,
      m.posReference,
      seq === null ? m.result : { ...m.result, seq },
      now,
      m.owner,
    );
  }
  const out: Outbound[] = unit.out.map((o) => (o.stamp && seq !== null ? { ...o, msg: { ...o.msg, seq } } : o));
  out.push(...extra);
  return unit.receivedAt === undefined
    ? { out, rows, finalized }
    : { out, rows, finalized, receivedAt: unit.receivedAt };
}
