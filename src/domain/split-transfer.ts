/**
 * Splitting a check and moving items between orders, as pure functions over two snapshots.
 * The hub runs them inside one SQLite transaction (both orders or neither); terminals run them
 * offline. Items keep their kitchen provenance so a moved item is never cooked twice.
 */
import type { OrderLine, OrderSnapshot } from '../protocol/snapshot.js';
import { isLocked, type KitchenOptions } from './kitchen-status.js';
import { applyLineChange } from './order-ops.js';
import { orderAmounts, roundMoney } from './pricing.js';
import { fail, ok, type DomainResult } from './result.js';

export interface MoveOptions extends KitchenOptions {
  /** Line uid → quantity to move; a line not named moves whole. Same sign as the line, not above it. */
  readonly quantities?: Readonly<Record<string, number>>;
  /** Uid for the moved part of a partly moved line; default `${uid}~${n}` with the first free n. */
  readonly partUid?: (uid: string, n: number) => string;
}

export interface SplitOptions extends MoveOptions {
  /** The new check's createdAt; the source's when not given (the domain has no clock). */
  readonly createdAt?: string;
}

export interface SplitResult {
  readonly source: OrderSnapshot;
  readonly created: OrderSnapshot;
}

export interface TransferResult {
  readonly from: OrderSnapshot;
  readonly to: OrderSnapshot;
}

const MAX_UID = 64;
const MAX_PART_ATTEMPTS = 1000;

interface Picked {
  readonly moved: OrderLine[];
  readonly remaining: OrderLine[];
}

/** Validate the selection and cut it out of `source`; `taken` are uids the destination already has. */
function pickLines(source: OrderSnapshot, lineUids: readonly string[], taken: ReadonlySet<string>, options: MoveOptions): DomainResult<Picked> {
  if (lineUids.length === 0) return fail('TRANSFER_INVALID', 'Name at least one line to move.');
  const wanted = new Set(lineUids);
  if (wanted.size !== lineUids.length) return fail('TRANSFER_INVALID', 'A line uid is named twice.');
  const present = new Set(source.lines.map((line) => line.uid));
  for (const uid of wanted) if (!present.has(uid)) return fail('TRANSFER_INVALID', `Line ${uid} is not on order ${source.posReference}.`);
  for (const uid of Object.keys(options.quantities ?? {})) {
    if (!wanted.has(uid)) return fail('TRANSFER_INVALID', `A quantity is given for line ${uid}, which is not being moved.`);
  }
  const used = new Set([...present, ...taken]);
  const moved: OrderLine[] = [];
  const remaining: OrderLine[] = [];
  for (const line of source.lines) {
    if (!wanted.has(line.uid)) {
      remaining.push(line);
      continue;
    }
    const qty = options.quantities?.[line.uid];
    if (qty === undefined || qty === line.qty) {
      if (taken.has(line.uid)) return fail('TRANSFER_INVALID', `The destination already has a line ${line.uid}.`);
      moved.push(line);
      continue;
    }
    const ratio = qty / line.qty;
    if (!Number.isFinite(ratio) || ratio <= 0 || ratio > 1) {
      return fail('TRANSFER_INVALID', `Cannot move ${qty} of line ${line.uid} (quantity ${line.qty}).`);
    }
    const uid = freeUid(line.uid, used, options.partUid ?? ((base, n) => `${base}~${n}`));
    if (uid === null) return fail('TRANSFER_INVALID', `No free uid of at most ${MAX_UID} characters for part of line ${line.uid}.`);
    used.add(uid);
    // The moved part's totals are the proportional share; the rest stays, so the sum is exact.
    const part: OrderLine = { ...line, uid, qty, priceSubtotal: roundMoney(line.priceSubtotal * ratio), priceSubtotalIncl: roundMoney(line.priceSubtotalIncl * ratio) };
    moved.push(part);
    remaining.push({
      ...line,
      qty: roundMoney(line.qty - qty, 6),
      priceSubtotal: roundMoney(line.priceSubtotal - part.priceSubtotal),
      priceSubtotalIncl: roundMoney(line.priceSubtotalIncl - part.priceSubtotalIncl),
    });
  }
  return ok({ moved, remaining });
}

function freeUid(base: string, used: ReadonlySet<string>, make: (uid: string, n: number) => string): string | null {
  for (let n = 1; n <= MAX_PART_ATTEMPTS; n += 1) {
    const uid = make(base, n);
    if (uid.length === 0 || uid.length > MAX_UID) return null;
    if (!used.has(uid)) return uid;
  }
  return null;
}

/**
 * Split lines of `source` onto a new check. The source's status moves as for any non-quantity
 * change (`sent` → `changed`, or kept when send_changes_to_kitchen is off); the new check inherits
 * `sent` (its items are not a new ticket), or `open` when the source was never sent.
 */
export function splitOrder(source: OrderSnapshot, lineUids: readonly string[], newPosReference: string, options: SplitOptions): DomainResult<SplitResult> {
  if (isLocked(source.state)) return fail('ORDER_PAID', `Order ${source.posReference} is ${source.state}; it cannot be split.`);
  if (newPosReference.length === 0 || newPosReference === source.posReference) return fail('TRANSFER_INVALID', 'The new check needs its own posReference.');
  const picked = pickLines(source, lineUids, new Set(), options);
  if (!picked.ok) return picked;
  const { moved, remaining } = picked.value;
  if (remaining.length === 0) return fail('TRANSFER_INVALID', 'A split must leave at least one line on the source check; move the order instead.');

  const created: OrderSnapshot = {
    posReference: newPosReference,
    tableId: source.tableId,
    state: source.state,
    kitchenStatus: source.kitchenStatus === 'open' ? 'open' : 'sent',
    sessionId: source.sessionId,
    userId: source.userId,
    lines: moved,
    payments: [],
    ...orderAmounts(moved),
    amountPaid: 0,
    amountReturn: 0,
    createdAt: options.createdAt ?? source.createdAt,
  };
  if (source.configId !== undefined) created.configId = source.configId;
  if (source.staffName !== undefined) created.staffName = source.staffName;
  if (source.partnerId !== undefined) created.partnerId = source.partnerId;
  if (source.pricelistId !== undefined) created.pricelistId = source.pricelistId;
  if (source.fiscalPositionId !== undefined) created.fiscalPositionId = source.fiscalPositionId;
  return ok({ source: applyLineChange(source, remaining, 'split', options), created });
}

/**
 * Move lines from one order to another. Both orders' statuses move as a transfer does; a source
 * emptied in checkout drops back to editing (applyLineChange), since checkout needs a line.
 */
export function transferLines(from: OrderSnapshot, to: OrderSnapshot, lineUids: readonly string[], options: MoveOptions): DomainResult<TransferResult> {
  if (from.posReference === to.posReference) return fail('TRANSFER_INVALID', 'Source and destination are the same order.');
  for (const order of [from, to]) {
    if (isLocked(order.state)) return fail('ORDER_PAID', `Order ${order.posReference} is ${order.state}; its items cannot move.`);
  }
  const picked = pickLines(from, lineUids, new Set(to.lines.map((line) => line.uid)), options);
  if (!picked.ok) return picked;
  const { moved, remaining } = picked.value;
  return ok({
    from: applyLineChange(from, remaining, 'transfer', options),
    to: applyLineChange(to, [...to.lines, ...moved], 'transfer', options),
  });
}
