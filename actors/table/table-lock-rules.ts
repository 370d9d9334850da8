/**
 * Table rules: status updates (refused while another terminal holds the lock) and the table lock
 * itself — acquire (re-entrant, a manager may force), release and heartbeat.
 */
import type { HubMessage } from '#protocol/hub-messages.js';
import type { TerminalMessageOf } from '#protocol/terminal-messages.js';
import { live, type Grant, type TableEnv } from './context.js';
import type { Draft } from './draft.js';
import { lockReleased, putLock, renewLock } from './grant-writes.js';
import type { Principal } from './types.js';

export function tableUpdate(d: Draft, now: number, from: Principal, msg: TerminalMessageOf<'TABLE_UPDATE'>): void {
  const lock = live(d.lock, now) ? d.lock : null;
  if (lock && lock.terminalId !== from.terminalId) {
    d.error(from.terminalId, 'LOCK_HELD', `table ${msg.tableId} is locked by ${lock.terminalId}`, {
      type: msg.type,
      tableId: msg.tableId,
    });
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

export function lockAcquire(
  d: Draft,
  now: number,
  from: Principal,
  tableId: number,
  force: boolean,
  env: TableEnv,
): void {
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
    d.send(held.terminalId, {
      type: 'TABLE_LOCK_REVOKED',
      tableId,
      reason: `Lock taken over by ${from.terminalId}`,
      by: from.terminalId,
    });
  } else {
    d.lockDecisions.push('granted');
  }
  const lock: Grant = {
    terminalId: from.terminalId,
    role: from.role,
    expiresAt: now + env.timings.lockTtlMs,
    storedExpiresAt: now + env.timings.lockTtlMs,
    epoch: d.lockEpoch + 1,
    connected: true,
  };
  putLock(d, tableId, lock);
  d.send(from.terminalId, { type: 'TABLE_LOCK_GRANTED', tableId, expiresAt: lock.expiresAt, epoch: lock.epoch });
  if (!reentrant) {
    const locked: HubMessage = { type: 'TABLE_LOCKED', tableId, lockedBy: from.terminalId, expiresAt: lock.expiresAt };
    d.ops.push({ op: 'event', type: 'TABLE_LOCKED', posReference: null, payload: locked, sourceTerminal: null });
    d.out.push({ to: 'all', msg: locked, stamp: true });
  }
}

export function lockRelease(d: Draft, now: number, from: Principal, tableId: number): void {
  const held = live(d.lock, now) ? d.lock : null;
  if (!held || held.terminalId !== from.terminalId) {
    d.error(from.terminalId, 'LOCK_NOT_HELD', `table ${tableId} is not locked by ${from.terminalId}`, {
      type: 'TABLE_LOCK_RELEASE',
      tableId,
    });
    return;
  }
  d.lockDecisions.push('released');
  lockReleased(d, tableId, from.terminalId, 'released');
}

export function lockHeartbeat(d: Draft, now: number, from: Principal, tableId: number, env: TableEnv): void {
  const held = live(d.lock, now) ? d.lock : null;
  if (!held || held.terminalId !== from.terminalId) {
    d.error(from.terminalId, 'LOCK_NOT_HELD', `table ${tableId} is not locked by ${from.terminalId}`, {
      type: 'TABLE_LOCK_HEARTBEAT',
      tableId,
    });
    return;
  }
  // No write and no reply, as for a lease heartbeat (renewLease in grant-writes.ts).
  renewLock(d, held, now + env.timings.lockTtlMs);
}
