/**
 * What a terminal's connection does to its grants: a disconnect shortens them to the grace period, a
 * reconnect within it renews them, and the tick expires whatever ran out (revoking and broadcasting)
 * and writes the stored rows of renewed grants as they fall due.
 */
import type { TableEnv } from './context.js';
import type { Draft } from './draft.js';
import { dropLease, lockReleased, putLease, putLock, renewLease, renewLock, writeDueRenewals } from './grant-writes.js';

export function onDisconnected(d: Draft, now: number, terminalId: string, env: TableEnv): void {
  for (const order of d.allOrders()) {
    const lease = order.lease;
    if (lease && lease.terminalId === terminalId && lease.connected) {
      putLease(d, order, {
        ...lease,
        expiresAt: Math.min(lease.expiresAt, now + env.timings.leaseGraceMs),
        connected: false,
      });
    }
  }
  const lock = d.lock;
  if (lock && lock.terminalId === terminalId && lock.connected && d.ctx.tableId !== null) {
    putLock(d, d.ctx.tableId, {
      ...lock,
      expiresAt: Math.min(lock.expiresAt, now + env.timings.lockGraceMs),
      connected: false,
    });
  }
}

export function onConnected(d: Draft, now: number, terminalId: string, env: TableEnv): void {
  for (const order of d.allOrders()) {
    const lease = order.lease;
    if (lease && lease.terminalId === terminalId && !lease.connected && lease.expiresAt > now) {
      // A renewal (memory only); the stored row, cut to the grace window, falls due at the next tick.
      renewLease(d, order, lease, now + env.timings.leaseTtlMs);
    }
  }
  const lock = d.lock;
  if (lock && lock.terminalId === terminalId && !lock.connected && lock.expiresAt > now && d.ctx.tableId !== null) {
    renewLock(d, lock, now + env.timings.lockTtlMs);
  }
}

/** Expire what ran out at `now`, then write the renewals due by `renewBy` (the host's batching horizon). */
export function onTick(d: Draft, now: number, renewBy: number, env: TableEnv): void {
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
  writeDueRenewals(d, renewBy, env.timings);
}
