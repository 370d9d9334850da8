/**
 * Comparisons the validator and the merge need: structural equality of loose JSON snapshots, and
 * line comparisons narrowed to what the kitchen or the bill cares about, so a cosmetic field a
 * newer terminal adds never reads as an edit.
 */
import type { OrderLine, OrderSnapshot } from '../protocol/snapshot.js';

/**
 * Structural equality of JSON-like values; key order is irrelevant and `undefined` equals absent. Every
 * snapshot a shard accepts is compared with the stored one (an idempotent re-send), so this allocates
 * nothing beyond each object's key list: count the defined keys on both sides instead of building their
 * union.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const isArray = Array.isArray(a);
  if (isArray !== Array.isArray(b)) return false;
  if (isArray) {
    const left = a as readonly unknown[];
    const right = b as readonly unknown[];
    if (left.length !== right.length) return false;
    for (let i = 0; i < left.length; i += 1) if (!deepEqual(left[i], right[i])) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let defined = 0;
  for (const key of Object.keys(left)) {
    const value = left[key];
    if (value === undefined) continue;
    defined += 1;
    if (!deepEqual(value, right[key])) return false;
  }
  // Every defined key of `left` matched a defined key of `right`: equal iff `right` has no others.
  for (const key of Object.keys(right)) if (right[key] !== undefined) defined -= 1;
  return defined === 0;
}

/** What the kitchen cooks from: the item, how many, and the cook's note. */
const KITCHEN_FIELDS = ['productId', 'qty', 'note'] as const satisfies readonly (keyof OrderLine)[];
/** What the bill is made of; the totals are compared with sameMoney, the inputs exactly. */
const BILL_FIELDS = ['productId', 'qty', 'priceUnit', 'discount', 'taxIds'] as const satisfies readonly (keyof OrderLine)[];

/** Half a cent: a terminal re-sending a paid order after recomputing 23.6 as 23.599999 has not changed the bill. */
const MONEY_TOLERANCE = 0.005;

export function sameMoney(a: number, b: number): boolean {
  return Math.abs(a - b) < MONEY_TOLERANCE;
}

function sameLinesOn(a: readonly OrderLine[], b: readonly OrderLine[], fields: readonly (keyof OrderLine)[], money = false): boolean {
  if (a.length !== b.length) return false;
  const byUid = new Map(a.map((line) => [line.uid, line]));
  if (byUid.size !== a.length) return false;
  for (const line of b) {
    const other = byUid.get(line.uid);
    if (other === undefined) return false;
    for (const field of fields) if (!deepEqual(other[field], line[field])) return false;
    if (money && !(sameMoney(other.priceSubtotal, line.priceSubtotal) && sameMoney(other.priceSubtotalIncl, line.priceSubtotalIncl))) return false;
    byUid.delete(line.uid);
  }
  return byUid.size === 0;
}

/** Did anything the kitchen would need to hear about change (lines added, removed, qty, product, note)? */
export function kitchenLinesChanged(a: readonly OrderLine[], b: readonly OrderLine[]): boolean {
  return !sameLinesOn(a, b, KITCHEN_FIELDS);
}

/** Did anything that makes up the bill change? Line order and cosmetic fields do not count. */
export function billLinesChanged(a: readonly OrderLine[], b: readonly OrderLine[]): boolean {
  return !sameLinesOn(a, b, BILL_FIELDS, true);
}

/** `undefined` and `null` both mean "no customer". */
export function sameCustomer(a: OrderSnapshot, b: OrderSnapshot): boolean {
  return (a.partnerId ?? null) === (b.partnerId ?? null);
}
