/**
 * The order lifecycle has one source of truth (issue 15 item 4): for every state × event of the table in
 * src/domain/lifecycle.ts, the operation (order-ops.ts), the XState view (order.machine.ts) and the hub's
 * snapshot gate (validateSnapshotChange) land in the table's state or refuse with the table's code.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import {
  LIFECYCLE_EVENTS,
  ORDER_LIFECYCLE,
  canReach,
  finalizeOrder,
  goCheckout,
  goEditing,
  markPaid,
  removeLine,
  setCustomer,
  validateSnapshotChange,
  type DomainResult,
  type LifecycleEvent,
} from '../../../src/domain/index.js';
import { orderMachine, type OrderEvent } from '../../../src/domain/order.machine.js';
import { ORDER_STATES, type OrderSnapshot, type OrderState } from '../../../src/protocol/snapshot.js';
import { SEND, checkoutOrder, editingOrder, paidOrder, unwrap } from '../../helpers/domain-orders.js';

/** An order in each state with one line, so every move's own precondition (a line, payments) holds. */
function orderIn(state: OrderState): OrderSnapshot {
  switch (state) {
    case 'editing':
      return editingOrder(['a']);
    case 'checkout':
      return checkoutOrder(['a']);
    case 'paid':
      return paidOrder(['a']);
    case 'finalized':
      return unwrap(finalizeOrder(paidOrder(['a'])));
    default: {
      const never: never = state;
      return never;
    }
  }
}

const payInFull = (order: OrderSnapshot) => ({
  payments: [{ uid: 'p1', journalId: 1, statementId: 1, amount: order.amountTotal }],
});

/** The operation that makes each lifecycle event happen to an order. */
function operate(order: OrderSnapshot, event: LifecycleEvent): DomainResult<OrderSnapshot> {
  switch (event) {
    case 'EDIT':
      return setCustomer(order, 9);
    case 'LINES_EMPTIED':
      return removeLine(order, 'a', SEND);
    case 'GO_CHECKOUT':
      return goCheckout(order);
    case 'GO_EDITING':
      return goEditing(order);
    case 'MARK_PAID':
      return markPaid(order, payInFull(order));
    case 'FINALIZE':
      return finalizeOrder(order);
    default: {
      const never: never = event;
      return never;
    }
  }
}

function machineEvent(order: OrderSnapshot, event: LifecycleEvent): OrderEvent {
  switch (event) {
    case 'EDIT':
      return { type: 'ORDER_SET_CUSTOMER', partnerId: 9 };
    case 'LINES_EMPTIED':
      return { type: 'LINE_REMOVE', uid: 'a' };
    case 'GO_CHECKOUT':
      return { type: 'GO_CHECKOUT' };
    case 'GO_EDITING':
      return { type: 'GO_EDITING' };
    case 'MARK_PAID':
      return { type: 'MARK_PAID', ...payInFull(order) };
    case 'FINALIZE':
      return { type: 'FINALIZE' };
    default: {
      const never: never = event;
      return never;
    }
  }
}

const cells = ORDER_STATES.flatMap((state) => LIFECYCLE_EVENTS.map((event) => [state, event] as const));

describe('order lifecycle table', () => {
  it.each(cells)('%s × %s: the operation does what the table says', (state, event) => {
    const move = ORDER_LIFECYCLE[state][event];
    const result = operate(orderIn(state), event);
    if (move.ok) expect(result.ok && result.value.state).toBe(move.to);
    else expect(result.ok ? 'accepted' : result.code).toBe(move.code);
  });

  it.each(cells)('%s × %s: the order machine lands where the table says, or records its code', (state, event) => {
    const order = orderIn(state);
    const actor = createActor(orderMachine, { input: { order } }).start();
    expect(actor.getSnapshot().value).toBe(state);
    actor.send(machineEvent(order, event));
    const snap = actor.getSnapshot();
    const move = ORDER_LIFECYCLE[state][event];
    if (move.ok) {
      expect(snap.value).toBe(move.to);
      expect(snap.context.order?.state).toBe(move.to);
      expect(snap.context.lastError).toBeNull();
    } else {
      expect(snap.value).toBe(state);
      expect(snap.context.order).toEqual(order);
      expect(snap.context.lastError?.code).toBe(move.code);
    }
    actor.stop();
  });

  it('the snapshot gate accepts a state change exactly when the table reaches it', () => {
    for (const from of ORDER_STATES) {
      for (const to of ORDER_STATES) {
        // The later order with only its state changed (and a status that state allows): the gate's
        // lifecycle check decides, or the shape and payment checks the table does not cover.
        const previous = orderIn(from);
        const shaped = orderIn(to);
        const next: OrderSnapshot = {
          ...previous,
          state: to,
          kitchenStatus: shaped.kitchenStatus,
          payments: shaped.payments,
          amountPaid: shaped.amountPaid,
        };
        const verdict = validateSnapshotChange(previous, next, { sendChangesToKitchen: true });
        if (!canReach(from, to)) expect(verdict).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
        else if (verdict.ok === false) expect(verdict.code).not.toBe('INVALID_TRANSITION');
      }
    }
    expect(canReach('editing', 'finalized')).toBe(true);
    expect(canReach('checkout', 'editing')).toBe(true);
    expect(canReach('paid', 'checkout')).toBe(false);
    expect(canReach('finalized', 'paid')).toBe(false);
  });

  it("the snapshot gate refuses an edit of a paid order with the table's code", () => {
    const paid = orderIn('paid');
    const verdict = validateSnapshotChange(paid, { ...paid, partnerId: 9 }, { sendChangesToKitchen: true });
    expect(verdict).toMatchObject({
      ok: false,
      code: ORDER_LIFECYCLE.paid.EDIT.ok ? 'accepted' : ORDER_LIFECYCLE.paid.EDIT.code,
    });
  });
});
