/**
 * The kitchen status mapping of the order state machine (seed 004): open before the first send,
 * sent on entering checkout, changed after a line change once sent, paid from payment on.
 * send_changes_to_kitchen=false makes the non-quantity operations keep the status they found.
 */
import type { KitchenStatus, OrderState } from '../protocol/snapshot.js';
import { isEditable } from './lifecycle.js';

export interface KitchenOptions {
  /** nu.pos.config send_changes_to_kitchen; true unless the config says otherwise. */
  readonly sendChangesToKitchen: boolean;
}

export const DEFAULT_KITCHEN_OPTIONS: KitchenOptions = { sendChangesToKitchen: true };

/**
 * `qty` is a quantity change and always notifies the kitchen; the others are the seed's
 * "non-quantity operations" (adding, removing, splitting, transferring items).
 */
export type LineChangeKind = 'qty' | 'add' | 'remove' | 'split' | 'transfer';

/** Has the kitchen seen this order (so `open` would now be a lie)? */
export function wasSent(status: KitchenStatus): boolean {
  switch (status) {
    case 'open':
      return false;
    case 'sent':
    case 'changed':
    case 'paid':
      return true;
    default: {
      const never: never = status;
      return never;
    }
  }
}

export function kitchenStatusAfterLineChange(current: KitchenStatus, kind: LineChangeKind, options: KitchenOptions): KitchenStatus {
  switch (current) {
    case 'open':
    case 'changed':
    case 'paid':
      return current;
    case 'sent':
      return notifies(kind, options) ? 'changed' : 'sent';
    default: {
      const never: never = current;
      return never;
    }
  }
}

function notifies(kind: LineChangeKind, options: KitchenOptions): boolean {
  switch (kind) {
    case 'qty':
      return true;
    case 'add':
    case 'remove':
    case 'split':
    case 'transfer':
      return options.sendChangesToKitchen;
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** The statuses a state may carry at all. */
export function kitchenStatusesFor(state: OrderState): readonly KitchenStatus[] {
  switch (state) {
    case 'editing':
      return ['open', 'sent', 'changed'];
    case 'checkout':
      return ['sent', 'changed'];
    case 'paid':
    case 'finalized':
      return ['paid'];
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** Paid or finalized: the lifecycle table refuses every edit (src/domain/lifecycle.ts). */
export function isLocked(state: OrderState): boolean {
  return !isEditable(state);
}
