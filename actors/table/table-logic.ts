/**
 * The pure rules of a table actor: leases, table lock, fencing epochs, versioned writes, expiry.
 * step(context, event, env) returns the next context and one Unit (durable ops + messages to send
 * after commit). No clock, no I/O: `now` arrives on every event, so tests drive it by hand.
 * This file is the entry point and dispatcher; the rules live in lease-rules, order-writes,
 * table-lock-rules and presence-expiry, all writing into one Draft (draft.ts).
 */
import type { TableContext, TableEnv } from './context.js';
import { Draft, type StepResult } from './draft.js';
import { leaseAcquire, leaseHeartbeat, leaseRelease } from './lease-rules.js';
import { orderFinalize, orderSnapshot } from './order-writes.js';
import { onConnected, onDisconnected, onTick } from './presence-expiry.js';
import { lockAcquire, lockHeartbeat, lockRelease, tableUpdate } from './table-lock-rules.js';
import { transferStep, type TransferEvent } from './transfer-logic.js';
import type { Principal, ShardMessage } from './types.js';

export type { StepResult } from './draft.js';

export type TableEvent =
  | {
      readonly type: 'terminal';
      readonly now: number;
      readonly from: Principal;
      readonly msg: ShardMessage;
      readonly receivedAt?: number;
    }
  | { readonly type: 'connected'; readonly now: number; readonly terminalId: string }
  | { readonly type: 'disconnected'; readonly now: number; readonly terminalId: string }
  /** Expire what ran out by `now`; write renewals due by `renewBy` (default `now`; see renewalWindowMs). */
  | { readonly type: 'tick'; readonly now: number; readonly renewBy?: number }
  | TransferEvent;

export function step(ctx: TableContext, event: TableEvent, env: TableEnv): StepResult {
  const d = new Draft(ctx);
  switch (event.type) {
    case 'terminal':
      onTerminal(d, event.now, event.from, event.msg, env);
      return d.finish(event.receivedAt);
    case 'connected':
      onConnected(d, event.now, event.terminalId, env);
      return d.finish();
    case 'disconnected':
      onDisconnected(d, event.now, event.terminalId, env);
      return d.finish();
    case 'tick':
      onTick(d, event.now, Math.max(event.now, event.renewBy ?? event.now), env);
      return d.finish();
    case 'transfer_begin':
    case 'transfer_prepare':
    case 'transfer_prepared':
    case 'transfer_apply':
    case 'transfer_abort': {
      const r = transferStep(ctx, event, env);
      return {
        context: r.context,
        unit: r.unit,
        leaseDecisions: [],
        lockDecisions: [],
        relays: r.relays,
        fence: r.fence,
      };
    }
    default: {
      const unreachable: never = event;
      throw new Error(`unknown table event ${JSON.stringify(unreachable)}`);
    }
  }
}

function onTerminal(d: Draft, now: number, from: Principal, msg: ShardMessage, env: TableEnv): void {
  switch (msg.type) {
    case 'LEASE_ACQUIRE':
      return leaseAcquire(d, now, from, msg, env);
    case 'LEASE_HEARTBEAT':
      return leaseHeartbeat(d, now, from, msg.posReference, env);
    case 'LEASE_RELEASE':
      return leaseRelease(d, now, from, msg, env);
    case 'ORDER_SNAPSHOT':
      return orderSnapshot(d, now, from, msg, env);
    case 'ORDER_FINALIZE':
      return orderFinalize(d, now, from, msg, env);
    case 'ORDER_TRANSFER':
      // The front sends transfers as `transfer` inputs (they need the destination's actor key).
      return d.error(from.terminalId, 'INTERNAL', 'ORDER_TRANSFER reached a table actor without its destination', {
        type: msg.type,
        posReference: msg.fromPosReference,
        ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }),
      });
    case 'TABLE_UPDATE':
      return tableUpdate(d, now, from, msg);
    case 'TABLE_LOCK_ACQUIRE':
      return lockAcquire(d, now, from, msg.tableId, false, env);
    case 'TABLE_LOCK_FORCE_ACQUIRE':
      return lockAcquire(d, now, from, msg.tableId, true, env);
    case 'TABLE_LOCK_RELEASE':
      return lockRelease(d, now, from, msg.tableId);
    case 'TABLE_LOCK_HEARTBEAT':
      return lockHeartbeat(d, now, from, msg.tableId, env);
    default: {
      const unreachable: never = msg;
      throw new Error(`unhandled shard message ${JSON.stringify(unreachable)}`);
    }
  }
}
