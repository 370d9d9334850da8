/**
 * Terminal-side conflict resolution. `reconcile` is the reference's two-way rule for a CONFLICT
 * reply (accept_remote / merge / keep_local, reference-system.md §6). `mergeOffline` is our
 * three-way, line-level merge for edits made offline: it never drops an item either side added,
 * the hub wins a same-field conflict, and a paid hub order wins outright with the terminal's
 * own items reported back so staff can ring them again.
 */
import type { KitchenStatus, OrderLine, OrderSnapshot, OrderState, PaymentLine } from '../protocol/snapshot.js';
import { DEFAULT_KITCHEN_OPTIONS, isLocked, kitchenStatusAfterLineChange, type KitchenOptions } from './kitchen-status.js';
import { isSettled, orderAmounts, priceLine, roundMoney, withLines, type Pricing } from './pricing.js';
import { deepEqual, kitchenLinesChanged } from './snapshot-compare.js';

export type ReconcileStrategy = 'accept_remote' | 'merge' | 'keep_local';

export interface ReconcileInfo {
  /** The hub version the local edits were based on. */
  readonly localBaseVersion: number;
  /** The hub's current version (CONFLICT.hubVersion). */
  readonly remoteVersion: number;
  readonly hasLocalChanges: boolean;
  readonly sendChangesToKitchen?: boolean;
}

export interface ReconcileResult {
  readonly strategy: ReconcileStrategy;
  /** What the terminal should now hold (and, for merge / keep_local, re-send on the hub's version). */
  readonly result: OrderSnapshot;
  /** Local items the result does not contain: show them so staff can ring them again. */
  readonly lostLocalLines: OrderLine[];
}

function kitchenOptions(send: boolean | undefined): KitchenOptions {
  return send === undefined ? DEFAULT_KITCHEN_OPTIONS : { sendChangesToKitchen: send };
}

function localOnly(local: OrderSnapshot, remote: OrderSnapshot): OrderLine[] {
  const remoteUids = new Set(remote.lines.map((line) => line.uid));
  return local.lines.filter((line) => !remoteUids.has(line.uid));
}

/**
 * The reference's rule, in this order: a paid hub order or no local changes → accept_remote; a
 * terminal that paid offline while the hub did not → keep_local (the money was taken); exactly one
 * version behind with local additions → merge (local-only lines appended to the hub's snapshot);
 * not behind at all → keep_local (re-send on the hub's version); otherwise accept_remote.
 */
export function reconcile(local: OrderSnapshot, remote: OrderSnapshot, info: ReconcileInfo): ReconcileResult {
  const added = localOnly(local, remote);
  if (isLocked(remote.state)) return { strategy: 'accept_remote', result: remote, lostLocalLines: info.hasLocalChanges ? added : [] };
  if (!info.hasLocalChanges) return { strategy: 'accept_remote', result: remote, lostLocalLines: [] };
  if (isLocked(local.state)) return { strategy: 'keep_local', result: local, lostLocalLines: [] };
  const behind = info.remoteVersion - info.localBaseVersion;
  if (behind <= 0) return { strategy: 'keep_local', result: local, lostLocalLines: [] };
  if (behind === 1 && added.length > 0) {
    const merged = withLines(remote, [...remote.lines, ...added]);
    const kitchenStatus = kitchenStatusAfterLineChange(remote.kitchenStatus, 'add', kitchenOptions(info.sendChangesToKitchen));
    return { strategy: 'merge', result: { ...merged, kitchenStatus }, lostLocalLines: [] };
  }
  return { strategy: 'accept_remote', result: remote, lostLocalLines: added };
}

export interface MergeOptions {
  readonly sendChangesToKitchen?: boolean;
  /** When given, lines whose fields came from both sides are re-priced with it. */
  readonly pricing?: Pricing;
}

export interface MergeResult {
  readonly strategy: 'accept_remote' | 'merge';
  readonly result: OrderSnapshot;
  /** Local items not in the result: added or edited offline on an order the hub has since paid, or edited offline on a line the hub removed. */
  readonly lostLocalLines: OrderLine[];
}

type Loose = Record<string, unknown>;

/** Per key: a side that changed from base wins over one that did not; both changed → remote. */
function mergeRecord(base: Loose | undefined, local: Loose, remote: Loose, skip: ReadonlySet<string>): Loose {
  const out: Loose = {};
  for (const key of new Set([...Object.keys(remote), ...Object.keys(local)])) {
    if (skip.has(key)) continue;
    const value = pickValue(base === undefined ? undefined : { value: base[key] }, local[key], remote[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function pickValue(base: { value: unknown } | undefined, local: unknown, remote: unknown): unknown {
  if (base === undefined) return remote !== undefined ? remote : local;
  if (deepEqual(local, base.value)) return remote;
  if (deepEqual(remote, base.value)) return local;
  return remote;
}

const TOTALS = new Set(['priceSubtotal', 'priceSubtotalIncl']);
const PRICE_INPUTS = ['qty', 'priceUnit', 'discount', 'taxIds'] as const;

function samePriceInputs(a: OrderLine, b: OrderLine): boolean {
  return PRICE_INPUTS.every((field) => deepEqual(a[field], b[field]));
}

/** Merge one line present on both sides; totals come from a side whose price inputs it matches. */
function mergeLine(base: OrderLine | undefined, local: OrderLine, remote: OrderLine, pricing: Pricing | undefined): OrderLine {
  const merged = { ...mergeRecord(base, local, remote, TOTALS), uid: remote.uid } as OrderLine;
  for (const side of [remote, local]) {
    if (samePriceInputs(merged, side)) return { ...merged, priceSubtotal: side.priceSubtotal, priceSubtotalIncl: side.priceSubtotalIncl };
  }
  if (pricing !== undefined) return priceLine(merged, pricing);
  // No tax table: keep the remote line's effective tax factor.
  const priceSubtotal = roundMoney(merged.qty * merged.priceUnit * (1 - merged.discount / 100));
  const factor = remote.priceSubtotal !== 0 ? remote.priceSubtotalIncl / remote.priceSubtotal : local.priceSubtotal !== 0 ? local.priceSubtotalIncl / local.priceSubtotal : 1;
  return { ...merged, priceSubtotal, priceSubtotalIncl: roundMoney(priceSubtotal * factor) };
}

interface Keyed {
  readonly uid: string;
}

/**
 * Three-way merge of a uid-keyed list. Remote order first, then local additions in local order.
 * Deleting an item the other side edited keeps the edit when remote edited it; a remote deletion
 * of a locally edited item wins and the local item is reported.
 */
function mergeKeyed<T extends Keyed>(
  base: readonly T[],
  local: readonly T[],
  remote: readonly T[],
  mergeBoth: (b: T | undefined, l: T, r: T) => T,
): { items: T[]; lost: T[] } {
  const baseBy = new Map(base.map((item) => [item.uid, item]));
  const localBy = new Map(local.map((item) => [item.uid, item]));
  const remoteUids = new Set(remote.map((item) => item.uid));
  const items: T[] = [];
  const lost: T[] = [];
  for (const r of remote) {
    const b = baseBy.get(r.uid);
    const l = localBy.get(r.uid);
    if (l === undefined) {
      // Absent locally: a local deletion (applies unless remote edited it) or a remote addition.
      if (b === undefined || !deepEqual(b, r)) items.push(r);
      continue;
    }
    items.push(mergeBoth(b, l, r));
  }
  for (const l of local) {
    if (remoteUids.has(l.uid)) continue;
    const b = baseBy.get(l.uid);
    if (b === undefined) items.push(l);
    else if (!deepEqual(b, l)) lost.push(l);
  }
  return { items, lost };
}

const RANK: Record<Exclude<KitchenStatus, 'paid'>, number> = { open: 0, sent: 1, changed: 2 };

function unpaidStatus(status: KitchenStatus): Exclude<KitchenStatus, 'paid'> {
  return status === 'paid' ? 'sent' : status;
}

const HEADER_SKIP = new Set(['lines', 'payments', 'amountTotal', 'amountTax', 'amountPaid', 'amountReturn', 'state', 'kitchenStatus', 'posReference']);

/**
 * Line-level three-way merge of offline edits. `base` is the last hub snapshot the terminal saw
 * (null when it never saw one). Deterministic: the same three inputs always give the same result.
 */
export function mergeOffline(base: OrderSnapshot | null, local: OrderSnapshot, remote: OrderSnapshot, options: MergeOptions = {}): MergeResult {
  const baseLines = base?.lines ?? [];
  if (isLocked(remote.state)) {
    const remoteUids = new Set(remote.lines.map((line) => line.uid));
    const baseBy = new Map(baseLines.map((line) => [line.uid, line]));
    const lost = local.lines.filter((line) => {
      if (remoteUids.has(line.uid)) return false;
      const before = baseBy.get(line.uid);
      return before === undefined || !deepEqual(before, line);
    });
    return { strategy: 'accept_remote', result: remote, lostLocalLines: lost };
  }

  const lines = mergeKeyed(baseLines, local.lines, remote.lines, (b, l, r) => mergeLine(b, l, r, options.pricing));
  const payments = mergeKeyed<PaymentLine>(base?.payments ?? [], local.payments, remote.payments, (b, l, r) => ({ ...mergeRecord(b, l, r, new Set()), uid: r.uid }) as PaymentLine);
  const header = mergeRecord(base ?? undefined, local, remote, HEADER_SKIP);

  const amounts = orderAmounts(lines.items);
  let amountPaid = remote.amountPaid;
  let amountReturn = remote.amountReturn;
  if (!deepEqual(payments.items, remote.payments)) {
    if (deepEqual(payments.items, local.payments)) {
      amountPaid = local.amountPaid;
      amountReturn = local.amountReturn;
    } else {
      amountPaid = roundMoney(payments.items.reduce((sum, payment) => sum + payment.amount, 0));
      amountReturn = Math.max(0, roundMoney(amountPaid - amounts.amountTotal));
    }
  }

  const draft = {
    ...header,
    posReference: remote.posReference,
    lines: lines.items,
    payments: payments.items,
    ...amounts,
    amountPaid,
    amountReturn,
    state: remote.state,
    kitchenStatus: remote.kitchenStatus,
  } as OrderSnapshot;
  const state = mergedState(base, local, remote, draft);
  const result: OrderSnapshot = { ...draft, state, kitchenStatus: mergedKitchen(local, remote, draft, state, kitchenOptions(options.sendChangesToKitchen)) };
  return { strategy: deepEqual(result, remote) ? 'accept_remote' : 'merge', result, lostLocalLines: lines.lost };
}

/** The side that moved the state wins; a local payment stands only if it still covers the merged total. */
function mergedState(base: OrderSnapshot | null, local: OrderSnapshot, remote: OrderSnapshot, draft: OrderSnapshot): OrderState {
  const baseState = base?.state ?? remote.state;
  // A payment taken offline is money in the drawer: it outranks a remote state move.
  const localMoved = isLocked(local.state) || (local.state !== baseState && remote.state === baseState);
  let state: OrderState = localMoved ? local.state : remote.state;
  if (isLocked(state) && (draft.lines.length === 0 || !isSettled(draft))) state = 'checkout';
  if (state === 'checkout' && draft.lines.length === 0) state = 'editing';
  return state;
}

function mergedKitchen(local: OrderSnapshot, remote: OrderSnapshot, draft: OrderSnapshot, state: OrderState, kitchen: KitchenOptions): KitchenStatus {
  if (isLocked(state)) return 'paid';
  const l = unpaidStatus(local.kitchenStatus);
  const r = unpaidStatus(remote.kitchenStatus);
  let status: KitchenStatus = RANK[l] >= RANK[r] ? l : r;
  if (state === 'checkout' && status === 'open') status = 'sent';
  if (kitchenLinesChanged(remote.lines, draft.lines)) status = kitchenStatusAfterLineChange(status, 'add', kitchen);
  return status;
}
