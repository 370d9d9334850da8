/**
 * The hub's gate for every incoming ORDER_SNAPSHOT: is `next` a snapshot the order lifecycle could
 * have produced from the stored `previous`? The hub sees snapshots, not events, so several machine
 * steps may lie between two of them; a change is refused only when no legitimate path explains it.
 * The one assumption: a terminal syncs each time it enters checkout (the kitchen send), so a line
 * change since a sent snapshot that still says `sent` is a lie unless the order just entered checkout.
 */
import type { ErrorCode } from '../protocol/errors.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import { isLocked, kitchenStatusesFor, wasSent } from './kitchen-status.js';
import { canReach, lifecycleMove } from './lifecycle.js';
import { checkOrderValues, type OrderValueLimits } from './order-values.js';
import { isSettled } from './pricing.js';
import { billLinesChanged, deepEqual, kitchenLinesChanged, sameCustomer, sameMoney } from './snapshot-compare.js';

export type SnapshotVerdict = { ok: true } | { ok: false; code: ErrorCode; message: string };

const ACCEPT: SnapshotVerdict = { ok: true };

function refuse(code: ErrorCode, message: string): SnapshotVerdict {
  return { ok: false, code, message };
}

/** `values` bounds quantities and prices (the hub passes HUB_ORDER_MAX_QTY / HUB_ORDER_MAX_PRICE); defaults otherwise. */
export function validateSnapshotChange(
  previous: OrderSnapshot | null,
  next: OrderSnapshot,
  options: { sendChangesToKitchen: boolean; values?: OrderValueLimits },
): SnapshotVerdict {
  if (previous !== null && deepEqual(previous, next)) return ACCEPT; // an idempotent re-send
  const transition = previous === null ? ACCEPT : checkTransition(previous, next);
  if (!transition.ok) return transition;
  const shape = checkShape(next);
  if (!shape.ok) return shape;
  if (isLocked(next.state) && (previous === null || !isLocked(previous.state)) && !isSettled(next)) {
    return refuse('INVALID_TRANSITION', `Order ${next.posReference} is marked ${next.state} but its payments do not cover the total of ${next.amountTotal}.`);
  }
  const kitchen = previous === null ? ACCEPT : checkKitchen(previous, next, options);
  if (!kitchen.ok) return kitchen;
  return checkOrderValues(next, options.values);
}

/** Moves the lifecycle never makes (src/domain/lifecycle.ts), and edits of an order it no longer lets change. */
function checkTransition(previous: OrderSnapshot, next: OrderSnapshot): SnapshotVerdict {
  if (previous.posReference !== next.posReference) {
    return refuse('INVALID_TRANSITION', `Snapshot for ${next.posReference} cannot replace order ${previous.posReference}.`);
  }
  if (!canReach(previous.state, next.state)) {
    return refuse('INVALID_TRANSITION', `Order ${next.posReference} is ${previous.state}; it cannot go back to ${next.state}.`);
  }
  const edit = lifecycleMove(previous.state, 'EDIT');
  if (!edit.ok) {
    if (billLinesChanged(previous.lines, next.lines)) return refuse(edit.code, `Order ${next.posReference} is ${previous.state}; its lines cannot change.`);
    if (!sameMoney(previous.amountTotal, next.amountTotal) || !sameMoney(previous.amountTax, next.amountTax)) {
      return refuse(edit.code, `Order ${next.posReference} is ${previous.state}; its amounts cannot change.`);
    }
    if (!sameCustomer(previous, next)) return refuse(edit.code, `Order ${next.posReference} is ${previous.state}; its customer cannot change.`);
  }
  return ACCEPT;
}

/** What must hold of any snapshot on its own: lines from checkout on, and a status its state allows. */
function checkShape(next: OrderSnapshot): SnapshotVerdict {
  if (next.state !== 'editing' && next.lines.length === 0) {
    return refuse('CHECKOUT_EMPTY', `Order ${next.posReference} is in ${next.state} without a single line.`);
  }
  if (!kitchenStatusesFor(next.state).includes(next.kitchenStatus)) {
    return refuse('KITCHEN_STATUS_MISMATCH', `Kitchen status ${next.kitchenStatus} is not possible in state ${next.state}.`);
  }
  return ACCEPT;
}

/** The status must follow from the change: never `open` again once sent, `changed` after an edit. */
function checkKitchen(previous: OrderSnapshot, next: OrderSnapshot, options: { sendChangesToKitchen: boolean }): SnapshotVerdict {
  const sentBefore = wasSent(previous.kitchenStatus) || previous.state !== 'editing';
  if (sentBefore && next.kitchenStatus === 'open') {
    return refuse('KITCHEN_STATUS_MISMATCH', `Order ${next.posReference} was sent to the kitchen; its status cannot be open again.`);
  }
  const enteredCheckout = previous.state === 'editing' && next.state === 'checkout';
  if (
    options.sendChangesToKitchen &&
    sentBefore &&
    !isLocked(previous.state) &&
    next.kitchenStatus === 'sent' &&
    !enteredCheckout &&
    kitchenLinesChanged(previous.lines, next.lines)
  ) {
    return refuse('KITCHEN_STATUS_MISMATCH', `Lines of ${next.posReference} changed after it was sent; its status must be changed, not sent.`);
  }
  return ACCEPT;
}
