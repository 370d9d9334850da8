/**
 * The writer's units in the store port's terms (src/ports/store.ts), and back: a Unit's ops as a StoreUnit
 * for HubStorePort.commit, and the messages to send once the commit's UnitOutcome is known (the unit's
 * seq stamped, replays and ticket numbers to their terminals). The step that lets the writer commit on
 * either engine, and since the writer moved onto the port, the only one.
 */
import type { StoreOp, StoreUnit, UnitOutcome } from '#ports/store.js';
import { HubError } from '#protocol/errors.js';
import type { HubMessage } from '#protocol/hub-messages.js';
import type { Outbound, Unit, WriteOp } from '#threads/actor-io.js';

function storeOp(op: WriteOp): StoreOp {
  switch (op.op) {
    case 'order_put':
      return {
        op: 'order_put',
        order: {
          posReference: op.posReference,
          homeKey: op.homeKey,
          tableId: op.tableId,
          version: op.version,
          snapshot: op.snapshot,
          state: op.state,
          terminalId: op.terminalId,
        },
      };
    case 'lease_put':
      return {
        op: 'lease_put',
        lease: {
          posReference: op.posReference,
          homeKey: op.homeKey,
          terminalId: op.terminalId,
          role: op.role,
          tableId: op.tableId,
          expiresAt: op.expiresAt,
          epoch: op.epoch,
        },
      };
    case 'lease_delete':
      return { op: 'lease_delete', posReference: op.posReference };
    case 'lock_put':
      return {
        op: 'lock_put',
        lock: {
          tableId: op.tableId,
          terminalId: op.terminalId,
          role: op.role,
          expiresAt: op.expiresAt,
          epoch: op.epoch,
        },
      };
    case 'lock_delete':
      return { op: 'lock_delete', tableId: op.tableId };
    case 'table_put':
      return { op: 'table_put', table: { tableId: op.tableId, status: op.status, posReference: op.posReference } };
    case 'floor_plan_put':
      return { op: 'floor_plan_put', floorId: op.plan.floorId, plan: op.plan };
    case 'event':
      return {
        op: 'event',
        type: op.type,
        posReference: op.posReference,
        payload: op.payload,
        sourceTerminal: op.sourceTerminal,
        ...(op.finalize === undefined ? {} : { finalize: op.finalize }),
      };
    case 'mutation':
      return {
        op: 'mutation',
        terminalId: op.terminalId,
        owner: op.owner ?? '',
        mutationId: op.mutationId,
        homeKey: op.homeKey,
        posReference: op.posReference,
        result: op.result,
      };
    case 'replay':
      return { op: 'replay', terminalId: op.terminalId, owner: op.owner ?? '', mutationId: op.mutationId };
    case 'ticket': {
      const { orderType, businessDay, mutationId } = op;
      return {
        op: 'ticket',
        businessDay,
        orderType,
        terminalId: op.terminalId,
        owner: op.owner ?? '',
        ...(mutationId === undefined ? {} : { mutationId }),
        reply: (ticketNumber): HubMessage => ({
          type: 'TICKET_NUMBER',
          orderType,
          ticketNumber,
          businessDay,
          ...(mutationId === undefined ? {} : { mutationId }),
        }),
      };
    }
    default: {
      const unreachable: never = op;
      throw new HubError('INTERNAL', `unknown write op ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * A unit's ops for the port. No `dedupe`: the actors already answer a seen mutation id with a `replay`
 * op (their memory holds the ids), so the writer's units never ask the store to skip themselves.
 */
export function toStoreUnit(unit: Unit): StoreUnit {
  return { ops: unit.ops.map(storeOp) };
}

/** The messages a committed unit sends: its own with the seq stamped where asked, then its replies. */
export function outboundOf(unit: Unit, outcome: UnitOutcome): Outbound[] {
  switch (outcome.kind) {
    case 'applied': {
      const { seq } = outcome;
      const out: Outbound[] = unit.out.map((o) => (o.stamp && seq !== null ? { ...o, msg: { ...o.msg, seq } } : o));
      for (const r of outcome.replies)
        out.push({ to: 'terminal', terminalId: r.terminalId, msg: r.reply as HubMessage });
      return out;
    }
    case 'duplicate':
      throw new HubError(
        'INTERNAL',
        'the store answered a writer unit as a duplicate, but writer units carry no dedupe',
      );
    default: {
      const unreachable: never = outcome;
      throw new HubError('INTERNAL', `unknown unit outcome ${JSON.stringify(unreachable)}`);
    }
  }
}
