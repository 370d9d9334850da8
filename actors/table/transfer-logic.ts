/**
 * ORDER_TRANSFER between two orders that may live in different table actors (and shards), as pure
 * steps. The source actor checks its lease and asks the destination (prepare); the destination checks
 * its lease and answers with its state (prepared); the source computes both orders with src/domain and
 * emits its half (source part); the destination applies and emits its half (dest part). The writer
 * commits the two halves in one transaction, and the shard host fences both actors until it has.
 * Design and crash argument: .team/transfer-readme.md.
 */
import { isLocked, newOrder, splitOrder, transferLines, type DomainResult } from '#domain/index.js';
import type { ErrorCode } from '#protocol/errors.js';
import type { HubMessage } from '#protocol/hub-messages.js';
import type { OrderSnapshot } from '#protocol/snapshot.js';
import { leaseRefusal, live, mutationKey, ownerScope, type Grant, type OrderEntry, type TableContext, type TableEnv } from './context.js';
import type { Outbound, Unit, WriteOp } from './types.js';
import type { PrepareReply, Relay, TransferRelay, TransferRequest } from '#threads/actor-io.js';

export type { PrepareReply, Relay, TransferMessage, TransferRelay, TransferRequest } from '#threads/actor-io.js';

export type TransferEvent = ({ readonly type: 'transfer_begin'; readonly req: TransferRequest } | TransferRelay) & {
  readonly now: number;
};

/**
 * What the host must do with this actor's fence after the step. While fenced, the host defers the
 * actor's terminal messages, so nothing can write either order between prepare and commit.
 * `awaiting_prepared`: the source asked and waits (a prepare from another transfer is refused, never
 * deferred, so two sources waiting on each other cannot deadlock). `reserved`: the destination waits
 * for apply/abort. `awaiting_commit`: a part went to the writer; freed by its commit notice.
 */
export type FencePhase = 'awaiting_prepared' | 'reserved' | 'awaiting_commit';
export type FenceChange =
  | { readonly txId: string; readonly phase: FencePhase }
  | { readonly txId: string; readonly phase: 'free' };

export interface TransferStep {
  readonly context: TableContext;
  readonly unit: Unit | null;
  readonly relays: readonly Relay[];
  readonly fence: FenceChange | null;
}

function refOf(req: TransferRequest): Record<string, unknown> {
  const { msg } = req;
  return {
    type: 'ORDER_TRANSFER',
    posReference: msg.fromPosReference,
    ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }),
  };
}

function errorMsg(req: TransferRequest, code: ErrorCode, message: string): HubMessage {
  return { type: 'ERROR', code, message, ref: refOf(req) } as HubMessage;
}

function only(
  ctx: TableContext,
  to: string,
  msg: HubMessage,
  fence: FenceChange | null = null,
  relays: Relay[] = [],
): TransferStep {
  return { context: ctx, unit: { ops: [], out: [{ to: 'terminal', terminalId: to, msg }] }, relays, fence };
}

export function transferStep(ctx: TableContext, event: TransferEvent, env: TableEnv): TransferStep {
  switch (event.type) {
    case 'transfer_begin':
      return begin(ctx, event.now, event.req);
    case 'transfer_prepare':
      return prepare(ctx, event.now, event.req);
    case 'transfer_prepared':
      return prepared(ctx, event.now, event.req, event.reply, env);
    case 'transfer_apply':
      return apply(ctx, event.now, event.req, event.snapshot, event.version, env);
    case 'transfer_abort':
      return { context: ctx, unit: null, relays: [], fence: { txId: event.req.txId, phase: 'free' } };
    default: {
      const unreachable: never = event;
      throw new Error(`unknown transfer event ${JSON.stringify(unreachable)}`);
    }
  }
}

/** At the source: replay, then the sender's lease and the source's own state; then ask the destination. */
function begin(ctx: TableContext, now: number, req: TransferRequest): TransferStep {
  const { msg, from } = req;
  if (msg.mutationId !== undefined && ctx.mutations.has(mutationKey(from.terminalId, msg.mutationId, from.owner))) {
    return {
      context: ctx,
      unit: { ops: [{ op: 'replay', terminalId: from.terminalId, ...ownerScope(from), mutationId: msg.mutationId }], out: [] },
      relays: [],
      fence: null,
    };
  }
  if (msg.fromPosReference === msg.toPosReference) {
    return only(ctx, from.terminalId, errorMsg(req, 'TRANSFER_INVALID', 'Source and destination are the same order.'));
  }
  const order = ctx.orders.get(msg.fromPosReference);
  const lease = order && live(order.lease, now) ? order.lease : null;
  if (!lease || lease.terminalId !== from.terminalId)
    return only(ctx, from.terminalId, leaseRefusal(msg.fromPosReference, lease, 'transferring from this order'));
  if (!order?.snapshot)
    return only(
      ctx,
      from.terminalId,
      errorMsg(req, 'ORDER_NOT_FOUND', `Order ${msg.fromPosReference} has no saved snapshot to move lines from.`),
    );
  if (isLocked(order.snapshot.state)) {
    return only(
      ctx,
      from.terminalId,
      errorMsg(req, 'ORDER_PAID', `Order ${msg.fromPosReference} is ${order.snapshot.state}; its items cannot move.`),
    );
  }
  return {
    context: ctx,
    unit: null,
    relays: [{ to: req.toKey, event: { type: 'transfer_prepare', req } }],
    fence: { txId: req.txId, phase: 'awaiting_prepared' },
  };
}

/** At the destination: an existing order needs the sender's lease; a new one must not be leased to someone else. */
function prepare(ctx: TableContext, now: number, req: TransferRequest): TransferStep {
  const { msg, from } = req;
  const refuse = (refusal: HubMessage): TransferStep => ({
    context: ctx,
    unit: null,
    relays: [{ to: req.fromKey, event: { type: 'transfer_prepared', req, reply: { ok: false, refusal } } }],
    fence: null,
  });
  const order = ctx.orders.get(msg.toPosReference);
  const lease = order && live(order.lease, now) ? order.lease : null;
  if (lease && lease.terminalId !== from.terminalId)
    return refuse(leaseRefusal(msg.toPosReference, lease, 'transferring to this order'));
  const snapshot = order?.snapshot ?? null;
  if (snapshot !== null) {
    if (!lease) return refuse(leaseRefusal(msg.toPosReference, null, 'transferring to this order'));
    if (msg.split)
      return refuse(
        errorMsg(req, 'TRANSFER_INVALID', `A split needs a new posReference; ${msg.toPosReference} already exists.`),
      );
  }
  return {
    context: ctx,
    unit: null,
    relays: [
      {
        to: req.fromKey,
        event: {
          type: 'transfer_prepared',
          req,
          reply: { ok: true, exists: snapshot !== null, version: order?.version ?? 0, snapshot },
        },
      },
    ],
    fence: { txId: req.txId, phase: 'reserved' },
  };
}

/** Both orders after the move, computed by the domain (the same functions terminals run offline). */
function compute(
  source: OrderSnapshot,
  reply: { exists: boolean; snapshot: OrderSnapshot | null },
  req: TransferRequest,
  now: number,
  env: TableEnv,
): DomainResult<{ from: OrderSnapshot; to: OrderSnapshot }> {
  const { msg } = req;
  const kitchen = { sendChangesToKitchen: env.sendChangesToKitchen };
  if (reply.exists && reply.snapshot) return transferLines(source, reply.snapshot, msg.lineUids, kitchen);
  const tableId = msg.toTableId === undefined ? source.tableId : msg.toTableId;
  const createdAt = new Date(now).toISOString();
  if (msg.split) {
    const split = splitOrder(source, msg.lineUids, msg.toPosReference, { ...kitchen, createdAt });
    return split.ok
      ? { ok: true, value: { from: split.value.source, to: { ...split.value.created, tableId } } }
      : split;
  }
  const fresh = newOrder({
    posReference: msg.toPosReference,
    tableId,
    sessionId: source.sessionId,
    userId: source.userId,
    createdAt,
  });
  for (const key of ['configId', 'staffName', 'partnerId', 'pricelistId', 'fiscalPositionId'] as const) {
    if (source[key] !== undefined) Object.assign(fresh, { [key]: source[key] });
  }
  return transferLines(source, fresh, msg.lineUids, kitchen);
}

/** At the source, with the destination fenced: compute, emit the source part, tell the destination to apply. */
function prepared(
  ctx: TableContext,
  now: number,
  req: TransferRequest,
  reply: PrepareReply,
  env: TableEnv,
): TransferStep {
  const { msg, from } = req;
  const free: FenceChange = { txId: req.txId, phase: 'free' };
  if (!reply.ok) return only(ctx, from.terminalId, reply.refusal, free);
  const abort: Relay[] = [{ to: req.toKey, event: { type: 'transfer_abort', req } }];
  const order = ctx.orders.get(msg.fromPosReference);
  const lease = order && live(order.lease, now) ? order.lease : null;
  if (!order?.snapshot || !lease || lease.terminalId !== from.terminalId) {
    return only(ctx, from.terminalId, leaseRefusal(msg.fromPosReference, lease, 'transferring from this order'), free, abort);
  }
  const moved = compute(order.snapshot, reply, req, now, env);
  if (!moved.ok) return only(ctx, from.terminalId, errorMsg(req, moved.code, moved.message), free, abort);
  // Belt and braces: the result must pass the same rule check a terminal's snapshot would.
  for (const [before, after] of [
    [order.snapshot, moved.value.from],
    [reply.snapshot, moved.value.to],
  ] as const) {
    const verdict = env.validate(before, after, { sendChangesToKitchen: env.sendChangesToKitchen });
    if (!verdict.ok) return only(ctx, from.terminalId, errorMsg(req, verdict.code, verdict.message), free, abort);
  }

  const fromVersion = order.version + 1;
  const toVersion = reply.version + 1;
  const snapshot = moved.value.from;
  const updated: HubMessage = {
    type: 'ORDER_UPDATED',
    posReference: order.posReference,
    version: fromVersion,
    snapshot,
    sourceTerminal: from.terminalId,
  };
  const transferred: HubMessage = {
    type: 'ORDER_TRANSFERRED',
    fromPosReference: msg.fromPosReference,
    toPosReference: msg.toPosReference,
    fromVersion,
    toVersion,
    ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }),
    // Extra fields (the schema is loose): the sender need not re-run the domain to see the result.
    fromSnapshot: snapshot,
    toSnapshot: moved.value.to,
  } as HubMessage;
  const ops: WriteOp[] = [
    {
      op: 'order_put',
      posReference: order.posReference,
      homeKey: ctx.key,
      tableId: snapshot.tableId ?? order.tableId,
      version: fromVersion,
      snapshot,
      terminalId: from.terminalId,
      state: snapshot.state,
    },
    // source_terminal NULL: on resume the sender, who saw only ORDER_TRANSFERRED, gets both updates too.
    { op: 'event', type: 'ORDER_UPDATED', posReference: order.posReference, payload: updated, sourceTerminal: null },
  ];
  let mutations = ctx.mutations;
  if (msg.mutationId !== undefined) {
    ops.push({
      op: 'mutation',
      terminalId: from.terminalId,
      ...ownerScope(from),
      mutationId: msg.mutationId,
      homeKey: ctx.key,
      posReference: order.posReference,
      result: transferred,
    });
    mutations = new Set(ctx.mutations).add(mutationKey(from.terminalId, msg.mutationId, from.owner));
  }
  const out: Outbound[] = [
    { to: 'others', except: from.terminalId, msg: updated, stamp: true },
    { to: 'terminal', terminalId: from.terminalId, msg: transferred, stamp: true },
  ];
  // A write by the holder is proof of life: it renews the source lease, as ORDER_SNAPSHOT does.
  const renewedAt = now + env.timings.leaseTtlMs;
  const renewed: Grant = { ...lease, expiresAt: renewedAt, storedExpiresAt: renewedAt, connected: true };
  const tableId = snapshot.tableId ?? order.tableId;
  ops.push({
    op: 'lease_put',
    posReference: order.posReference,
    homeKey: ctx.key,
    terminalId: renewed.terminalId,
    role: renewed.role,
    tableId,
    expiresAt: renewed.expiresAt,
    epoch: renewed.epoch,
  });
  const orders = new Map(ctx.orders);
  orders.set(order.posReference, { ...order, version: fromVersion, snapshot, tableId, lease: renewed });
  const unit: Unit = {
    ops,
    out,
    join: { txId: req.txId, part: 'source' },
    ...(req.receivedAt === undefined ? {} : { receivedAt: req.receivedAt }),
  };
  return {
    context: { ...ctx, orders, mutations },
    unit,
    relays: [{ to: req.toKey, event: { type: 'transfer_apply', req, snapshot: moved.value.to, version: toVersion } }],
    fence: { txId: req.txId, phase: 'awaiting_commit' },
  };
}

/** At the destination: take the computed order; a new order's lease goes to the sender. */
function apply(
  ctx: TableContext,
  now: number,
  req: TransferRequest,
  snapshot: OrderSnapshot,
  version: number,
  env: TableEnv,
): TransferStep {
  const { msg, from } = req;
  const existing = ctx.orders.get(msg.toPosReference);
  const tableId = snapshot.tableId ?? existing?.tableId ?? ctx.tableId;
  const base: OrderEntry = existing ?? {
    posReference: msg.toPosReference,
    tableId,
    version: 0,
    snapshot: null,
    lease: null,
    leaseEpoch: 0,
    finalizing: false,
  };
  const ops: WriteOp[] = [
    {
      op: 'order_put',
      posReference: base.posReference,
      homeKey: ctx.key,
      tableId,
      version,
      snapshot,
      terminalId: from.terminalId,
      state: snapshot.state,
    },
  ];
  const out: Outbound[] = [];
  let entry: OrderEntry = { ...base, version, snapshot, tableId };
  const held = live(base.lease, now) && base.lease.terminalId === from.terminalId;
  if (base.snapshot === null && !held) {
    const lease: Grant = {
      terminalId: from.terminalId,
      role: from.role,
      expiresAt: now + env.timings.leaseTtlMs,
      storedExpiresAt: now + env.timings.leaseTtlMs,
      epoch: base.leaseEpoch + 1,
      connected: true,
    };
    entry = { ...entry, lease, leaseEpoch: lease.epoch };
    ops.push({
      op: 'lease_put',
      posReference: base.posReference,
      homeKey: ctx.key,
      terminalId: lease.terminalId,
      role: lease.role,
      tableId,
      expiresAt: lease.expiresAt,
      epoch: lease.epoch,
    });
    out.push({
      to: 'terminal',
      terminalId: from.terminalId,
      msg: {
        type: 'LEASE_GRANTED',
        posReference: base.posReference,
        version,
        expiresAt: lease.expiresAt,
        epoch: lease.epoch,
      },
    });
  }
  const updated: HubMessage = {
    type: 'ORDER_UPDATED',
    posReference: base.posReference,
    version,
    snapshot,
    sourceTerminal: from.terminalId,
  };
  ops.push({
    op: 'event',
    type: 'ORDER_UPDATED',
    posReference: base.posReference,
    payload: updated,
    sourceTerminal: null,
  });
  // To the sender too: its ORDER_TRANSFERRED carries the source's seq only, so without this one the
  // destination's seq is a gap it must resync over (and a resume replays this event to it anyway).
  out.push({ to: 'all', msg: updated, stamp: true });
  const orders = new Map(ctx.orders);
  orders.set(base.posReference, entry);
  return {
    context: { ...ctx, orders },
    unit: { ops, out, join: { txId: req.txId, part: 'dest' } },
    relays: [],
    fence: { txId: req.txId, phase: 'awaiting_commit' },
  };
}
