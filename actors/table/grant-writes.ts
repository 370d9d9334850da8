/**
 * The durable writes of a grant (order lease or table lock): put or delete the row and, on release,
 * the broadcast event. Shared by the terminal rules and the expiry rules so both write the same rows.
 */
import type { HubMessage } from '#protocol/hub-messages.js';
import type { Grant, OrderEntry } from './context.js';
import type { Draft } from './draft.js';

export function putLease(d: Draft, order: OrderEntry, lease: Grant): void {
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
export function dropLease(d: Draft, order: OrderEntry, releasedBy: string, reason: 'released' | 'expired'): void {
  d.setOrder({ ...order, lease: null });
  d.ops.push({ op: 'lease_delete', posReference: order.posReference });
  const released: HubMessage = {
    type: 'LEASE_RELEASED',
    posReference: order.posReference,
    version: order.version,
    releasedBy,
    reason,
  };
  d.ops.push({
    op: 'event',
    type: 'LEASE_RELEASED',
    posReference: order.posReference,
    payload: released,
    sourceTerminal: null,
  });
  d.out.push({ to: 'all', msg: released, stamp: true });
}

export function putLock(d: Draft, tableId: number, lock: Grant): void {
  d.lock = lock;
  d.lockEpoch = Math.max(d.lockEpoch, lock.epoch);
  d.ops.push({
    op: 'lock_put',
    tableId,
    terminalId: lock.terminalId,
    role: lock.role,
    expiresAt: lock.expiresAt,
    epoch: lock.epoch,
  });
}

export function lockReleased(d: Draft, tableId: number, releasedBy: string, reason: string): void {
  d.lock = null;
  d.ops.push({ op: 'lock_delete', tableId });
  const released: HubMessage = { type: 'TABLE_LOCK_RELEASED', tableId, releasedBy, reason };
  d.ops.push({ op: 'event', type: 'TABLE_LOCK_RELEASED', posReference: null, payload: released, sourceTerminal: null });
  d.out.push({ to: 'all', msg: released, stamp: true });
}
