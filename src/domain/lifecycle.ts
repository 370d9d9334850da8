/**
 * The order lifecycle written once: for each state and each lifecycle event, the next state, or the error
 * code a refusal carries. The operations (order-ops.ts), the hub's snapshot gate (validate-snapshot.ts)
 * and the XState view (order.machine.ts) all read this table, so the three cannot disagree; the checks
 * a move needs besides its state (a line to check out, payments that cover the total) stay with the
 * operation that makes it.
 */
import type { ErrorCode } from '../protocol/errors.js';
import { ORDER_STATES, type OrderState } from '../protocol/snapshot.js';

/**
 * `EDIT`: any change of lines, customer, pricing or table meta. `LINES_EMPTIED`: the last line went; it
 * is not asked for but follows an edit (checkout needs a line, so the order drops back to editing).
 */
export const LIFECYCLE_EVENTS = [
  'EDIT',
  'LINES_EMPTIED',
  'GO_CHECKOUT',
  'GO_EDITING',
  'MARK_PAID',
  'FINALIZE',
] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

export type LifecycleMove =
  | { readonly ok: true; readonly to: OrderState }
  | { readonly ok: false; readonly code: ErrorCode };

const to = (state: OrderState): LifecycleMove => ({ ok: true, to: state });
const refuse = (code: ErrorCode): LifecycleMove => ({ ok: false, code });
/** A paid or finalized order is the till's record of money taken: every change is refused as ORDER_PAID. */
const PAID = refuse('ORDER_PAID');
const WRONG_STATE = refuse('INVALID_TRANSITION');

export const ORDER_LIFECYCLE: { readonly [S in OrderState]: { readonly [E in LifecycleEvent]: LifecycleMove } } = {
  editing: {
    EDIT: to('editing'),
    LINES_EMPTIED: to('editing'),
    GO_CHECKOUT: to('checkout'),
    GO_EDITING: WRONG_STATE,
    MARK_PAID: WRONG_STATE,
    FINALIZE: WRONG_STATE,
  },
  checkout: {
    EDIT: to('checkout'),
    LINES_EMPTIED: to('editing'),
    GO_CHECKOUT: WRONG_STATE,
    GO_EDITING: to('editing'),
    MARK_PAID: to('paid'),
    FINALIZE: WRONG_STATE,
  },
  paid: {
    EDIT: PAID,
    LINES_EMPTIED: PAID,
    GO_CHECKOUT: PAID,
    GO_EDITING: PAID,
    MARK_PAID: PAID,
    FINALIZE: to('finalized'),
  },
  finalized: {
    EDIT: PAID,
    LINES_EMPTIED: PAID,
    GO_CHECKOUT: PAID,
    GO_EDITING: PAID,
    MARK_PAID: PAID,
    // Not ORDER_PAID: finalizing twice is a wrong move, not an edit of money taken.
    FINALIZE: WRONG_STATE,
  },
};

export function lifecycleMove(state: OrderState, event: LifecycleEvent): LifecycleMove {
  return ORDER_LIFECYCLE[state][event];
}

/** Whether the order's content (lines, amounts, customer) may still change in this state. */
export function isEditable(state: OrderState): boolean {
  return ORDER_LIFECYCLE[state].EDIT.ok;
}

/** The states some sequence of allowed moves leads to from each state (itself included). */
const REACHABLE: { readonly [S in OrderState]: ReadonlySet<OrderState> } = (() => {
  const reach = {} as { [S in OrderState]: ReadonlySet<OrderState> };
  for (const start of ORDER_STATES) {
    const seen = new Set<OrderState>([start]);
    const queue: OrderState[] = [start];
    for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
      for (const event of LIFECYCLE_EVENTS) {
        const move = ORDER_LIFECYCLE[state][event];
        if (move.ok && !seen.has(move.to)) {
          seen.add(move.to);
          queue.push(move.to);
        }
      }
    }
    reach[start] = seen;
  }
  return reach;
})();

/** Whether `to` can follow `from` through allowed moves: two snapshots may lie several moves apart. */
export function canReach(from: OrderState, to: OrderState): boolean {
  return REACHABLE[from].has(to);
}
