/**
 * The writer's units in the store port's terms (src/ports/store.ts), and back: a Unit's ops as a StoreUnit
 * for HubStorePort.commit, and the messages to send once the commit's UnitOutcome is known (the unit's
 * seq stamped, replays and ticket numbers to their terminals). The step that lets the writer commit on
 * either engine, and since the writer moved onto the port, the only one.
 */
import type { StampedText, StoreOp, StoreUnit, UnitOutcome } from '#ports/store.js';
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

/** The mutation a unit records (the request it answers), if any. */
function mutationOf(unit: Unit): Extract<WriteOp, { op: 'mutation' }> | undefined {
  for (const op of unit.ops) if (op.op === 'mutation') return op;
  return undefined;
}

/**
 * A unit's ops for the port, with its mutation id as `dedupe`. The actors answer a seen mutation id from
 * memory (a `replay` op), but their memory is only as fresh as its last load: around a failover or a failed
 * commit a resend can reach an actor loaded before the first send's commit became visible. The store then
 * finds the id in the same transaction and applies nothing (issue 18: a retry is answered, never applied
 * twice). A transfer's halves carry none: they must be applied together or not at all, and a dedupe that
 * skipped one half alone would apply the other; their actors' fences keep a resend from overtaking them.
 */
export function toStoreUnit(unit: Unit): StoreUnit {
  const mutation = unit.join === undefined ? mutationOf(unit) : undefined;
  const ops = unit.ops.map(storeOp);
  if (mutation === undefined) return { ops };
  return { ops, dedupe: { terminalId: mutation.terminalId, mutationId: mutation.mutationId, ...(mutation.owner === undefined ? {} : { owner: mutation.owner }) } };
}

/**
 * The messages a committed unit sends: its own with the seq stamped where asked, then its replies.
 * `stamped`: the unit's seq event as the store wrote it; a broadcast of that very payload gets its text in
 * `encoded` (the same message, the same seq), so it is not stringified again on its way to the front.
 */
export function outboundOf(unit: Unit, outcome: UnitOutcome, stamped: StampedText | null = null, encoded?: Map<HubMessage, string>): Outbound[] {
  switch (outcome.kind) {
    case 'applied': {
      const { seq } = outcome;
      const out: Outbound[] = unit.out.map((o) => {
        if (!o.stamp || seq === null) return o;
        const msg = { ...o.msg, seq };
        if (stamped !== null && encoded !== undefined && o.to !== 'terminal' && o.msg === stamped.payload) encoded.set(msg, stamped.json);
        return { ...o, msg };
      });
      for (const r of outcome.replies)
        out.push({ to: 'terminal', terminalId: r.terminalId, msg: r.reply as HubMessage });
      return out;
    }
    case 'duplicate': {
      // Nothing of the unit was applied: only the remembered reply goes back, to the terminal that asked.
      const mutation = mutationOf(unit);
      if (mutation === undefined) throw new HubError('INTERNAL', 'the store answered a unit without a mutation id as a duplicate');
      return [{ to: 'terminal', terminalId: mutation.terminalId, msg: outcome.reply as HubMessage }];
    }
    default: {
      const unreachable: never = outcome;
      throw new HubError('INTERNAL', `unknown unit outcome ${JSON.stringify(unreachable)}`);
    }
  }
}
