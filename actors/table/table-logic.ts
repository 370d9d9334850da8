/**
 * The pure rules of a table actor: leases, table lock, fencing epochs, versioned writes, expiry.
 * step(context, event, env) returns the next context and one Unit (durable ops + messages to send
 * after commit). No clock, no I/O: `now` arrives on every event, so tests drive it by hand.
 */
import type { HubMessage } from '#protocol/hub-messages.js';
import type { OrderSnapshot } from '#protocol/snapshot.js';
import type { ErrorCode } from '#protocol/errors.js';
import type { GrantDecision } from '#ports/metrics.js';
import type { TerminalMessageOf } from '#protocol/terminal-messages.js';
import { leaseRefusal, live, mutationKey, ownerScope, type Grant, type OrderEntry, type TableContext, type TableEnv } from './context.js';
import { transferStep, type FenceChange, type Relay, type TransferEvent } from './transfer-logic.js';
import type { Outbound, Principal, ShardMessage, Unit, WriteOp } from './types.js';

export type TableEvent =
  | { readonly type: 'terminal'; readonly now: number; readonly from: Principal; readonly msg: ShardMessage; readonly receivedAt?: number }
  | { readonly type: 'connected'; readonly now: number; readonly terminalId: string }
  | { readonly type: 'disconnected'; readonly now: number; readonly terminalId: string }
  | { readonly type: 'tick'; readonly now: number }
  | TransferEvent;

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
class Draft {
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
    const unit: Unit | null = empty ? null : receivedAt === undefined ? { ops: this.ops, out: this.out } : { ops: this.ops, out: this.out, receivedAt };
    return { context, unit, leaseDecisions: this.leaseDecisions, lockDecisions: this.lockDecisions };
  }
}

function newOrder(posReference: string, tableId: number | null): OrderEntry {
  return { posReference, tableId, version: 0, snapshot: null, lease: null, leaseEpoch: 0, finalizing: false };
}

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
      onTick(d, event.now);
      return d.finish();
    case 'transfer_begin':
    case 'transfer_prepare':
    case 'transfer_prepared':
    case 'transfer_apply':
    case 'transfer_abort': {
      const r = transferStep(ctx, event, env);
      return { context: r.context, unit: r.unit, leaseDecisions: [], lockDecisions: [], relays: r.relays, fence: r.fence };
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

// ---- leases ---------------------------------------------------------------------------------

function putLease(d: Draft, order: OrderEntry, lease: Grant): void {
  d.setOrder({ ...order, lease, leaseEpoch: Math.max(order.leaseEpoch, lease.epoch) });
  d.ops.push({
    op: 'lease_put',
    posReference: order.posReference,
    homeKey: d.ctx.key,
    terminalId: lease.terminalId,
    role: lease.role,
    tableId: order.tableId,
    expiresAt: lease.expiresAt,
    epoch: lease.epoch,
  });
}

/** End a lease and tell every terminal the order is free (a terminal waiting on LEASE_DENIED retries at once). */
function dropLease(d: Draft, order: OrderEntry, releasedBy: string, reason: 'released' | 'expired'): void {
  d.setOrder({ ...order, lease: null });
  d.ops.push({ op: 'lease_delete', posReference: order.posReference });
  const released: HubMessage = { type: 'LEASE_RELEASED', posReference: order.posReference, version: order.version, releasedBy, reason };
  d.ops.push({ op: 'event', type: 'LEASE_RELEASED', posReference: order.posReference, payload: released, sourceTerminal: null });
  d.out.push({ to: 'all', msg: released, stamp: true });
}

function leaseAcquire(d: Draft, now: number, from: Principal, msg: TerminalMessageOf<'LEASE_ACQUIRE'>, env: TableEnv): void {
  const tableId = msg.tableId ?? d.ctx.tableId;
  const order = d.order(msg.posReference) ?? newOrder(msg.posReference, tableId);
  const held = live(order.lease, now) ? order.lease : null;
  if (held && held.terminalId !== from.terminalId) {
    if (!msg.force) {
      d.leaseDecisions.push('denied');
      d.send(from.terminalId, leaseRefusal(msg.posReference, held, 'editing'));
      return;
    }
    if (from.role !== 'manager') {
      d.leaseDecisions.push('denied');
      d.send(from.terminalId, {
        type: 'LEASE_DENIED',
        posReference: msg.posReference,
        holder: held.terminalId,
        reason: 'Only a manager may force a lease',
        code: 'FORBIDDEN',
      });
      return;
    }
    d.leaseDecisions.push('forced');
    d.send(held.terminalId, {
      type: 'LEASE_REVOKED',
      posReference: msg.posReference,
      reason: `Lease taken over by ${from.terminalId}`,
      ...(order.snapshot ? { snapshot: order.snapshot } : {}),
    });
  } else {
    d.leaseDecisions.push('granted');
  }
  const lease: Grant = {
    terminalId: from.terminalId,
    role: from.role,
    expiresAt: now + env.timings.leaseTtlMs,
    epoch: order.leaseEpoch + 1,
    connected: true,
  };
  putLease(d, order, lease);
  d.send(from.terminalId, {
    type: 'LEASE_GRANTED',
    posReference: msg.posReference,
    version: order.version,
    expiresAt: lease.expiresAt,
    epoch: lease.epoch,
  });
}

function heldBy(d: Draft, now: number, terminalId: string, posReference: string): OrderEntry | null {
  const order = d.order(posReference);
  if (!order || !live(order.lease, now) || order.lease.terminalId !== terminalId) return null;
  return order;
}

function leaseHeartbeat(d: Draft, now: number, from: Principal, posReference: string, env: TableEnv): void {
  const order = heldBy(d, now, from.terminalId, posReference);
  if (!order || !order.lease) {
    d.error(from.terminalId, 'LEASE_NOT_HELD', `no lease on ${posReference} is held by ${from.terminalId}`, { type: 'LEASE_HEARTBEAT', posReference });
    return;
  }
  putLease(d, order, { ...order.lease, expiresAt: now + env.timings.leaseTtlMs, connected: true });
}

function leaseRelease(d: Draft, now: number, from: Principal, msg: TerminalMessageOf<'LEASE_RELEASE'>, env: TableEnv): void {
  let order = heldBy(d, now, from.terminalId, msg.posReference);
  if (!order) {
    d.error(from.terminalId, 'LEASE_NOT_HELD', `no lease on ${msg.posReference} is held by ${from.terminalId}`, {
      type: 'LEASE_RELEASE',
      posReference: msg.posReference,
    });
    return;
  }
  if (msg.finalSnapshot) {
    if (!applySnapshot(d, now, from, order, msg.finalSnapshot, msg.mutationId, env, 'LEASE_RELEASE')) return;
    order = d.order(msg.posReference) ?? order;
  }
  dropLease(d, order, from.terminalId, 'released');
  d.leaseDecisions.push('released');
}

// ---- writes ---------------------------------------------------------------------------------

/** Validate and apply a snapshot as the next version. Returns false after replying with the refusal. */
function applySnapshot(
  d: Draft,
  now: number,
  from: Principal,
  order: OrderEntry,
  snapshot: OrderSnapshot,
  mutationId: string | undefined,
  env: TableEnv,
  refType: string,
): boolean {
  const ref = { type: refType, posReference: order.posReference, ...(mutationId === undefined ? {} : { mutationId }) };
  if (snapshot.posReference !== order.posReference) {
    d.error(from.terminalId, 'INVALID_MESSAGE', `snapshot.posReference "${snapshot.posReference}" does not match posReference "${order.posReference}"`, ref);
    return false;
  }
  const verdict = env.validate(order.snapshot, snapshot, { sendChangesToKitchen: env.sendChangesToKitchen });
  if (!verdict.ok) {
    d.error(from.terminalId, verdict.code, verdict.message, ref);
    return false;
  }
  const version = order.version + 1;
  const next: OrderEntry = { ...order, version, snapshot, tableId: snapshot.tableId ?? order.tableId };
  d.setOrder(next);
  d.ops.push({
    op: 'order_put',
    posReference: order.posReference,
    homeKey: d.ctx.key,
    tableId: next.tableId,
    version,
    snapshot,
    terminalId: from.terminalId,
    state: snapshot.state,
  });
  const updated: HubMessage = {
    type: 'ORDER_UPDATED',
    posReference: order.posReference,
    version,
    snapshot,
    sourceTerminal: from.terminalId,
  };
  const ack: HubMessage = {
    type: 'ORDER_ACK',
    posReference: order.posReference,
    version,
    ...(mutationId === undefined ? {} : { mutationId }),
  };
  d.ops.push({ op: 'event', type: 'ORDER_UPDATED', posReference: order.posReference, payload: updated, sourceTerminal: from.terminalId });
  if (mutationId !== undefined) {
    d.addMutation(mutationKey(from.terminalId, mutationId, from.owner));
    d.ops.push({ op: 'mutation', terminalId: from.terminalId, ...ownerScope(from), mutationId, homeKey: d.ctx.key, posReference: order.posReference, result: ack });
  }
  d.send(from.terminalId, ack, true);
  d.out.push({ to: 'others', except: from.terminalId, msg: updated, stamp: true });
  void now;
  return true;
}

function replayIfSeen(d: Draft, from: Principal, mutationId: string | undefined): boolean {
  if (mutationId === undefined || !d.hasMutation(mutationKey(from.terminalId, mutationId, from.owner))) return false;
  d.ops.push({ op: 'replay', terminalId: from.terminalId, ...ownerScope(from), mutationId });
  return true;
}

function orderSnapshot(d: Draft, now: number, from: Principal, msg: TerminalMessageOf<'ORDER_SNAPSHOT'>, env: TableEnv): void {
  if (replayIfSeen(d, from, msg.mutationId)) return;
  const order = d.order(msg.posReference) ?? newOrder(msg.posReference, msg.snapshot.tableId ?? d.ctx.tableId);
  const lease = live(order.lease, now) ? order.lease : null;
  if (!lease || lease.terminalId !== from.terminalId) {
    d.send(from.terminalId, leaseRefusal(msg.posReference, lease, 'sending snapshots'));
    return;
  }
  const ref = { type: msg.type, posReference: msg.posReference, ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }) };
  if (msg.epoch !== undefined && msg.epoch < lease.epoch) {
    d.error(from.terminalId, 'STALE_EPOCH', `epoch ${msg.epoch} is older than the current grant ${lease.epoch}`, ref);
    return;
  }
  if (msg.baseVersion < order.version) {
    d.send(from.terminalId, {
      type: 'CONFLICT',
      posReference: msg.posReference,
      hubVersion: order.version,
      hubSnapshot: order.snapshot,
      ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }),
    });
    return;
  }
  if (!applySnapshot(d, now, from, order, msg.snapshot, msg.mutationId, env, msg.type)) return;
  // A write by the holder is proof of life: it renews the lease like a heartbeat.
  const after = d.order(msg.posReference) ?? order;
  putLease(d, after, { ...lease, expiresAt: now + env.timings.leaseTtlMs, connected: true });
}

function orderFinalize(d: Draft, now: number, from: Principal, msg: TerminalMessageOf<'ORDER_FINALIZE'>, env: TableEnv): void {
  if (replayIfSeen(d, from, msg.mutationId)) return;
  const order = d.order(msg.posReference) ?? newOrder(msg.posReference, msg.snapshot.tableId ?? d.ctx.tableId);
  const lease = live(order.lease, now) ? order.lease : null;
  if (lease && lease.terminalId !== from.terminalId) {
    d.send(from.terminalId, leaseRefusal(msg.posReference, lease, 'finalizing'));
    return;
  }
  if (order.finalizing) {
    d.send(from.terminalId, { type: 'ORDER_FINALIZE_QUEUED', posReference: msg.posReference, reason: 'Already queued for Odoo' });
    return;
  }
  if (!applySnapshot(d, now, from, order, msg.snapshot, msg.mutationId, env, msg.type)) return;
  const after = d.order(msg.posReference) ?? order;
  d.setOrder({ ...after, finalizing: true });
  // The finalization rides on the ORDER_UPDATED event applySnapshot just queued: one row, one seq, broadcast
  // to the others and queued for Odoo (forwarded = 0). A second, silent row would use up a seq no terminal
  // ever receives, and every terminal would see a gap and resync.
  const index = d.ops.findLastIndex((op) => op.op === 'event' && op.posReference === msg.posReference);
  const event = d.ops[index];
  if (event?.op !== 'event') throw new Error('ORDER_FINALIZE: the snapshot was applied without an event');
  d.ops[index] = { ...event, type: 'ORDER_FINALIZE', finalize: { snapshot: msg.snapshot, configId: msg.configId, terminalId: from.terminalId } };
}

// ---- table and lock ---------------------------------------------------------------------------

function tableUpdate(d: Draft, now: number, from: Principal, msg: TerminalMessageOf<'TABLE_UPDATE'>): void {
  const lock = live(d.lock, now) ? d.lock : null;
  if (lock && lock.terminalId !== from.terminalId) {
    d.error(from.terminalId, 'LOCK_HELD', `table ${msg.tableId} is locked by ${lock.terminalId}`, { type: msg.type, tableId: msg.tableId });
    return;
  }
  const posReference = msg.posReference ?? null;
  d.table = { status: msg.status, posReference };
  d.ops.push({ op: 'table_put', tableId: msg.tableId, status: msg.status, posReference });
  const updated: HubMessage = {
    type: 'TABLE_UPDATED',
    tableId: msg.tableId,
    status: msg.status,
    ...(posReference === null ? {} : { posReference }),
    sourceTerminal: from.terminalId,
  };
  d.ops.push({ op: 'event', type: 'TABLE_UPDATED', posReference, payload: updated, sourceTerminal: null });
  d.out.push({ to: 'all', msg: updated, stamp: true });
}

function putLock(d: Draft, tableId: number, lock: Grant): void {
  d.lock = lock;
  d.lockEpoch = Math.max(d.lockEpoch, lock.epoch);
  d.ops.push({ op: 'lock_put', tableId, terminalId: lock.terminalId, role: lock.role, expiresAt: lock.expiresAt, epoch: lock.epoch });
}

function lockReleased(d: Draft, tableId: number, releasedBy: string, reason: string): void {
  d.lock = null;
  d.ops.push({ op: 'lock_delete', tableId });
  const released: HubMessage = { type: 'TABLE_LOCK_RELEASED', tableId, releasedBy, reason };
  d.ops.push({ op: 'event', type: 'TABLE_LOCK_RELEASED', posReference: null, payload: released, sourceTerminal: null });
  d.out.push({ to: 'all', msg: released, stamp: true });
}

function lockAcquire(d: Draft, now: number, from: Principal, tableId: number, force: boolean, env: TableEnv): void {
  const held = live(d.lock, now) ? d.lock : null;
  const reentrant = held !== null && held.terminalId === from.terminalId;
  if (held && !reentrant) {
    if (!force || from.role !== 'manager') {
      d.lockDecisions.push('denied');
      d.send(from.terminalId, {
        type: 'TABLE_LOCK_DENIED',
        tableId,
        lockedBy: held.terminalId,
        reason: force ? 'Only a manager may force a table lock' : `Table is locked by ${held.terminalId}`,
        code: force ? 'FORBIDDEN' : 'LOCK_HELD',
      });
      return;
    }
    d.lockDecisions.push('forced');
    d.send(held.terminalId, { type: 'TABLE_LOCK_REVOKED', tableId, reason: `Lock taken over by ${from.terminalId}`, by: from.terminalId });
  } else {
    d.lockDecisions.push('granted');
  }
  const lock: Grant = { terminalId: from.terminalId, role: from.role, expiresAt: now + env.timings.lockTtlMs, epoch: d.lockEpoch + 1, connected: true };
  putLock(d, tableId, lock);
  d.send(from.terminalId, { type: 'TABLE_LOCK_GRANTED', tableId, expiresAt: lock.expiresAt, epoch: lock.epoch });
  if (!reentrant) {
    const locked: HubMessage = { type: 'TABLE_LOCKED', tableId, lockedBy: from.terminalId, expiresAt: lock.expiresAt };
    d.ops.push({ op: 'event', type: 'TABLE_LOCKED', posReference: null, payload: locked, sourceTerminal: null });
    d.out.push({ to: 'all', msg: locked, stamp: true });
  }
}

function lockRelease(d: Draft, now: number, from: Principal, tableId: number): void {
  const held = live(d.lock, now) ? d.lock : null;
  if (!held || held.terminalId !== from.terminalId) {
    d.error(from.terminalId, 'LOCK_NOT_HELD', `table ${tableId} is not locked by ${from.terminalId}`, { type: 'TABLE_LOCK_RELEASE', tableId });
    return;
  }
  d.lockDecisions.push('released');
  lockReleased(d, tableId, from.terminalId, 'released');
}

function lockHeartbeat(d: Draft, now: number, from: Principal, tableId: number, env: TableEnv): void {
  const held = live(d.lock, now) ? d.lock : null;
  if (!held || held.terminalId !== from.terminalId) {
    d.error(from.terminalId, 'LOCK_NOT_HELD', `table ${tableId} is not locked by ${from.terminalId}`, { type: 'TABLE_LOCK_HEARTBEAT', tableId });
    return;
  }
  putLock(d, tableId, { ...held, expiresAt: now + env.timings.lockTtlMs, connected: true });
}

// ---- connection lifecycle and expiry -------------------------------------------------------------

function onDisconnected(d: Draft, now: number, terminalId: string, env: TableEnv): void {
  for (const order of d.allOrders()) {
    const lease = order.lease;
    if (lease && lease.terminalId === terminalId && lease.connected) {
      putLease(d, order, { ...lease, expiresAt: Math.min(lease.expiresAt, now + env.timings.leaseGraceMs), connected: false });
    }
  }
  const lock = d.lock;
  if (lock && lock.terminalId === terminalId && lock.connected && d.ctx.tableId !== null) {
    putLock(d, d.ctx.tableId, { ...lock, expiresAt: Math.min(lock.expiresAt, now + env.timings.lockGraceMs), connected: false });
  }
}

function onConnected(d: Draft, now: number, terminalId: string, env: TableEnv): void {
  for (const order of d.allOrders()) {
    const lease = order.lease;
    if (lease && lease.terminalId === terminalId && !lease.connected && lease.expiresAt > now) {
      putLease(d, order, { ...lease, expiresAt: now + env.timings.leaseTtlMs, connected: true });
    }
  }
  const lock = d.lock;
  if (lock && lock.terminalId === terminalId && !lock.connected && lock.expiresAt > now && d.ctx.tableId !== null) {
    putLock(d, d.ctx.tableId, { ...lock, expiresAt: now + env.timings.lockTtlMs, connected: true });
  }
}

function onTick(d: Draft, now: number): void {
  for (const order of d.allOrders()) {
    const lease = order.lease;
    if (lease && lease.expiresAt <= now) {
      d.leaseDecisions.push('expired');
      d.send(lease.terminalId, {
        type: 'LEASE_REVOKED',
        posReference: order.posReference,
        reason: 'Lease expired',
        ...(order.snapshot ? { snapshot: order.snapshot } : {}),
      });
      dropLease(d, order, lease.terminalId, 'expired');
    }
  }
  const lock = d.lock;
  if (lock && lock.expiresAt <= now && d.ctx.tableId !== null) {
    d.lockDecisions.push('expired');
    d.send(lock.terminalId, { type: 'TABLE_LOCK_REVOKED', tableId: d.ctx.tableId, reason: 'Lock expired' });
    lockReleased(d, d.ctx.tableId, lock.terminalId, 'expired');
  }
}
