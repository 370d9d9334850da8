/**
 * Versioned order writes: a snapshot from the lease holder becomes the next version (validated,
 * acknowledged, broadcast, its mutation id remembered for replay), and a finalize queues it for Odoo.
 */
import type { HubMessage } from '#protocol/hub-messages.js';
import type { OrderSnapshot } from '#protocol/snapshot.js';
import type { TerminalMessageOf } from '#protocol/terminal-messages.js';
import { leaseRefusal, live, mutationKey, ownerScope, type OrderEntry, type TableEnv } from './context.js';
import { newOrder, type Draft } from './draft.js';
import { renewLease } from './grant-writes.js';
import type { Principal } from './types.js';

/** Validate and apply a snapshot as the next version. Returns false after replying with the refusal. */
export function applySnapshot(
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
    d.error(
      from.terminalId,
      'INVALID_MESSAGE',
      `snapshot.posReference "${snapshot.posReference}" does not match posReference "${order.posReference}"`,
      ref,
    );
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
  d.ops.push({
    op: 'event',
    type: 'ORDER_UPDATED',
    posReference: order.posReference,
    payload: updated,
    sourceTerminal: from.terminalId,
  });
  if (mutationId !== undefined) {
    d.addMutation(mutationKey(from.terminalId, mutationId, from.owner));
    d.ops.push({
      op: 'mutation',
      terminalId: from.terminalId,
      ...ownerScope(from),
      mutationId,
      homeKey: d.ctx.key,
      posReference: order.posReference,
      result: ack,
    });
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

export function orderSnapshot(
  d: Draft,
  now: number,
  from: Principal,
  msg: TerminalMessageOf<'ORDER_SNAPSHOT'>,
  env: TableEnv,
): void {
  if (replayIfSeen(d, from, msg.mutationId)) return;
  const order = d.order(msg.posReference) ?? newOrder(msg.posReference, msg.snapshot.tableId ?? d.ctx.tableId);
  const lease = live(order.lease, now) ? order.lease : null;
  if (!lease || lease.terminalId !== from.terminalId) {
    d.send(from.terminalId, leaseRefusal(msg.posReference, lease, 'sending snapshots'));
    return;
  }
  const ref = {
    type: msg.type,
    posReference: msg.posReference,
    ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }),
  };
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
  // A write by the holder is proof of life: it renews the lease like a heartbeat (in memory; renewLease).
  const after = d.order(msg.posReference) ?? order;
  renewLease(d, after, lease, now + env.timings.leaseTtlMs);
}

export function orderFinalize(
  d: Draft,
  now: number,
  from: Principal,
  msg: TerminalMessageOf<'ORDER_FINALIZE'>,
  env: TableEnv,
): void {
  if (replayIfSeen(d, from, msg.mutationId)) return;
  const order = d.order(msg.posReference) ?? newOrder(msg.posReference, msg.snapshot.tableId ?? d.ctx.tableId);
  const lease = live(order.lease, now) ? order.lease : null;
  if (lease && lease.terminalId !== from.terminalId) {
    d.send(from.terminalId, leaseRefusal(msg.posReference, lease, 'finalizing'));
    return;
  }
  if (order.finalizing) {
    d.send(from.terminalId, {
      type: 'ORDER_FINALIZE_QUEUED',
      posReference: msg.posReference,
      reason: 'Already queued for Odoo',
    });
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
  d.ops[index] = {
    ...event,
    type: 'ORDER_FINALIZE',
    finalize: { snapshot: msg.snapshot, configId: msg.configId, terminalId: from.terminalId },
  };
}
