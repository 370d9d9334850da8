/**
 * Order lease rules: acquire (with a manager's force), heartbeat and release (with an optional final
 * snapshot). A lease is the right to write one order; its epoch fences stale writers.
 */
import type { TerminalMessageOf } from '#protocol/terminal-messages.js';
import { leaseRefusal, live, type Grant, type OrderEntry, type TableEnv } from './context.js';
import { newOrder, type Draft } from './draft.js';
import { dropLease, putLease, renewLease } from './grant-writes.js';
import { applySnapshot } from './order-writes.js';
import type { Principal } from './types.js';

export function leaseAcquire(
  d: Draft,
  now: number,
  from: Principal,
  msg: TerminalMessageOf<'LEASE_ACQUIRE'>,
  env: TableEnv,
): void {
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
    storedExpiresAt: now + env.timings.leaseTtlMs,
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

export function leaseHeartbeat(d: Draft, now: number, from: Principal, posReference: string, env: TableEnv): void {
  const order = heldBy(d, now, from.terminalId, posReference);
  if (!order || !order.lease) {
    d.error(from.terminalId, 'LEASE_NOT_HELD', `no lease on ${posReference} is held by ${from.terminalId}`, {
      type: 'LEASE_HEARTBEAT',
      posReference,
    });
    return;
  }
  // No write and no reply (the reference answers a heartbeat with nothing either): see renewLease.
  renewLease(d, order, order.lease, now + env.timings.leaseTtlMs);
}

export function leaseRelease(
  d: Draft,
  now: number,
  from: Principal,
  msg: TerminalMessageOf<'LEASE_RELEASE'>,
  env: TableEnv,
): void {
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
