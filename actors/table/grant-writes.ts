/**
 * The durable writes of a grant (order lease or table lock): put or delete the row and, on release,
 * the broadcast event. Shared by the terminal rules and the expiry rules so both write the same rows.
 * A renewal (heartbeat, a holder's write, a reconnect) is the exception: it moves the expiry in memory
 * only, and the tick writes the row later (`writeDueRenewals`; docs/architecture.md "Lease renewals").
 */
import type { HubMessage } from '#protocol/hub-messages.js';
import { renewalDue, type Grant, type OrderEntry, type TableTimings } from './context.js';
import type { Draft } from './draft.js';

export function putLease(d: Draft, order: OrderEntry, grant: Grant): void {
  const lease: Grant = { ...grant, storedExpiresAt: grant.expiresAt };
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

export function putLock(d: Draft, tableId: number, grant: Grant): void {
  const lock: Grant = { ...grant, storedExpiresAt: grant.expiresAt };
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

/**
 * A renewal by the holder: the lease is live until `expiresAt` from now on, in memory, with no write and no
 * message. Sound because a renewal only moves an expiry later and every load grants at least a full TTL
 * (`graceOnLoad`): a crash loses nothing the holder was promised.
 */
export function renewLease(d: Draft, order: OrderEntry, lease: Grant, expiresAt: number): void {
  d.setOrder({ ...order, lease: { ...lease, expiresAt: Math.max(lease.expiresAt, expiresAt), connected: true } });
}

/** The table lock's renewal, memory only (see renewLease). */
export function renewLock(d: Draft, lock: Grant, expiresAt: number): void {
  d.lock = { ...lock, expiresAt: Math.max(lock.expiresAt, expiresAt), connected: true };
}

/** Write the stored row of every renewed grant whose renewal falls due by `renewBy` (renewalDue), as it is in memory now. */
export function writeDueRenewals(d: Draft, renewBy: number, timings: TableTimings): void {
  for (const order of d.allOrders()) {
    const lease = order.lease;
    if (lease === null) continue;
    const due = renewalDue(lease, timings.leaseTtlMs);
    if (due !== null && due <= renewBy) putLease(d, order, lease);
  }
  const lock = d.lock;
  if (lock !== null && d.ctx.tableId !== null) {
    const due = renewalDue(lock, timings.lockTtlMs);
    if (due !== null && due <= renewBy) putLock(d, d.ctx.tableId, lock);
  }
}
