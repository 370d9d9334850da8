/**
 * The scratch one table step writes into: the next lock, table and orders (copied on first write), the
 * durable ops and the messages to send after commit. Every rule file (leases, writes, lock, expiry)
 * takes a Draft, so the step's result is assembled in one place by `finish()`.
 */
import type { HubMessage } from '#protocol/hub-messages.js';
import type { ErrorCode } from '#protocol/errors.js';
import type { GrantDecision } from '#ports/metrics.js';
import type { Grant, OrderEntry, TableContext } from './context.js';
import type { FenceChange, Relay } from './transfer-logic.js';
import type { Outbound, Unit, WriteOp } from './types.js';

export interface StepResult {
  readonly context: TableContext;
  readonly unit: Unit | null;
  readonly leaseDecisions: readonly GrantDecision[];
  readonly lockDecisions: readonly GrantDecision[];
  /** Transfer steps only: messages for other actors (the front routes them) and this actor's fence. */
  readonly relays?: readonly Relay[];
  readonly fence?: FenceChange | null;
}

/** Mutable scratch for one step; the context itself is replaced, never mutated. */
export class Draft {
  orders: Map<string, OrderEntry> | null = null;
  mutations: Set<string> | null = null;
  lock: Grant | null;
  lockEpoch: number;
  table: TableContext['table'];
  readonly ops: WriteOp[] = [];
  readonly out: Outbound[] = [];
  readonly leaseDecisions: GrantDecision[] = [];
  readonly lockDecisions: GrantDecision[] = [];

  constructor(readonly ctx: TableContext) {
    this.lock = ctx.lock;
    this.lockEpoch = ctx.lockEpoch;
    this.table = ctx.table;
  }

  order(posReference: string): OrderEntry | undefined {
    return (this.orders ?? this.ctx.orders).get(posReference);
  }

  allOrders(): Iterable<OrderEntry> {
    return (this.orders ?? this.ctx.orders).values();
  }

  setOrder(entry: OrderEntry): void {
    this.orders ??= new Map(this.ctx.orders);
    this.orders.set(entry.posReference, entry);
  }

  hasMutation(key: string): boolean {
    return (this.mutations ?? this.ctx.mutations).has(key);
  }

  addMutation(key: string): void {
    this.mutations ??= new Set(this.ctx.mutations);
    this.mutations.add(key);
  }

  send(terminalId: string, msg: HubMessage, stamp = false): void {
    this.out.push({ to: 'terminal', terminalId, msg, stamp });
  }

  error(terminalId: string, code: ErrorCode, message: string, ref: Record<string, unknown>): void {
    this.send(terminalId, { type: 'ERROR', code, message, ref } as HubMessage);
  }

  finish(receivedAt?: number): StepResult {
    const context: TableContext = {
      ...this.ctx,
      lock: this.lock,
      lockEpoch: this.lockEpoch,
      table: this.table,
      orders: this.orders ?? this.ctx.orders,
      mutations: this.mutations ?? this.ctx.mutations,
    };
    const empty = this.ops.length === 0 && this.out.length === 0;
    const unit: Unit | null = empty
      ? null
      : receivedAt === undefined
        ? { ops: this.ops, out: this.out }
        : { ops: this.ops, out: this.out, receivedAt };
    return { context, unit, leaseDecisions: this.leaseDecisions, lockDecisions: this.lockDecisions };
  }
}

export function newOrder(posReference: string, tableId: number | null): OrderEntry {
  return { posReference, tableId, version: 0, snapshot: null, lease: null, leaseEpoch: 0, finalizing: false };
}
