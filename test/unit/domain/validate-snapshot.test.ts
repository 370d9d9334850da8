/**
 * validateSnapshotChange, the hub's gate on every ORDER_SNAPSHOT: each refusal code with the
 * change that earns it, and the legitimate transitions (including idempotent re-sends) accepted.
 */
import { describe, expect, it } from 'vitest';
import { addLine, goEditing, removeLine, setLineQty, validateSnapshotChange } from '../../../src/domain/index.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { QUIET, SEND, checkoutOrder, editingOrder, line, paidOrder, unwrap } from '../../helpers/domain-orders.js';

const ON = { sendChangesToKitchen: true };
const OFF = { sendChangesToKitchen: false };
const clone = (order: OrderSnapshot): OrderSnapshot => structuredClone(order);
const payment = (amount: number) => ({ uid: 'p1', journalId: 1, statementId: 1, amount });

function refused(previous: OrderSnapshot | null, next: OrderSnapshot, options = ON) {
  const verdict = validateSnapshotChange(previous, next, options);
  return verdict.ok ? 'ok' : verdict.code;
}

describe('accepted', () => {
  it('idempotent re-sends of an identical snapshot, in every state', () => {
    for (const order of [editingOrder(['a']), checkoutOrder(['a']), paidOrder(['a']), { ...paidOrder(['a']), state: 'finalized' as const }]) {
      expect(refused(order, clone(order))).toBe('ok');
    }
  });

  it('a brand-new order in editing/open, checkout/sent, or (a split made offline) editing/sent', () => {
    expect(refused(null, editingOrder([]))).toBe('ok');
    expect(refused(null, checkoutOrder(['a']))).toBe('ok');
    expect(refused(null, { ...editingOrder(['a']), kitchenStatus: 'sent' })).toBe('ok');
  });

  it('a brand-new order arriving paid or finalized with lines and payments covering the total (worked offline)', () => {
    const paid = paidOrder(['a', 'b']);
    expect(refused(null, paid)).toBe('ok');
    expect(refused(null, { ...paid, state: 'finalized' })).toBe('ok');
  });

  it('editing: line edits before the first send stay open', () => {
    const before = editingOrder(['a']);
    expect(refused(before, unwrap(addLine(before, line('b'), SEND)))).toBe('ok');
  });

  it('editing → checkout with sent, or changed when edits followed the send before the snapshot', () => {
    const before = editingOrder(['a']);
    const sent = checkoutOrder(['a']);
    expect(refused(before, sent)).toBe('ok');
    expect(refused(before, unwrap(addLine(sent, line('b'), SEND)))).toBe('ok');
  });

  it('checkout: a line change with status changed; GO_EDITING keeps the status', () => {
    const sent = checkoutOrder(['a']);
    expect(refused(sent, unwrap(addLine(sent, line('b'), SEND)))).toBe('ok');
    expect(refused(sent, unwrap(goEditing(sent)))).toBe('ok');
  });

  it('re-entering checkout after changes sends again: editing/changed → checkout/sent', () => {
    const changed = unwrap(addLine(unwrap(goEditing(checkoutOrder(['a']))), line('b'), SEND));
    expect(changed).toMatchObject({ state: 'editing', kitchenStatus: 'changed' });
    expect(refused(changed, { ...changed, state: 'checkout', kitchenStatus: 'sent' })).toBe('ok');
  });

  it('checkout → paid with payments added at the same time', () => {
    const checkout = checkoutOrder(['a']);
    expect(refused(checkout, paidOrder(['a']))).toBe('ok');
  });

  it('paid → paid with payment, guest count or cosmetic changes; paid → finalized', () => {
    const paid = paidOrder(['a', 'b']);
    expect(refused(paid, { ...paid, payments: [payment(5), { ...payment(50), uid: 'p2' }], amountPaid: 55, guestCount: 4 })).toBe('ok');
    expect(refused(paid, { ...paid, lines: [...paid.lines].reverse().map((l) => ({ ...l, name: 'renamed' })) })).toBe('ok');
    expect(refused(paid, { ...paid, state: 'finalized', odooOrderId: 77 })).toBe('ok');
    const recomputed = { ...paid, amountTotal: paid.amountTotal - 1e-9, lines: paid.lines.map((l) => ({ ...l, priceSubtotalIncl: l.priceSubtotalIncl + 1e-9 })) };
    expect(refused(paid, recomputed)).toBe('ok');
  });

  it('send_changes_to_kitchen=false: adding or removing items on a sent order may keep sent', () => {
    const sent = checkoutOrder(['a', 'b']);
    expect(refused(sent, unwrap(addLine(sent, line('c'), QUIET)), OFF)).toBe('ok');
    expect(refused(sent, unwrap(removeLine(sent, 'b', QUIET)), OFF)).toBe('ok');
  });

  it('a price-only change after the send is not a kitchen change', () => {
    const sent = checkoutOrder(['a']);
    const discounted = { ...sent, lines: sent.lines.map((l) => ({ ...l, discount: 10, priceSubtotal: 9, priceSubtotalIncl: 10.62 })), amountTotal: 10.62, amountTax: 1.62 };
    expect(refused(sent, discounted)).toBe('ok');
  });
});

describe('refused', () => {
  it('ORDER_PAID: lines, amounts owed or customer of a paid order change', () => {
    const paid = paidOrder(['a', 'b']);
    const [first, second] = paid.lines as [OrderSnapshot['lines'][number], OrderSnapshot['lines'][number]];
    expect(refused(paid, { ...paid, lines: [{ ...first, qty: 2 }, second] })).toBe('ORDER_PAID');
    expect(refused(paid, { ...paid, lines: [first] })).toBe('ORDER_PAID');
    expect(refused(paid, { ...paid, lines: [first, second, { ...second, uid: 'c' }] })).toBe('ORDER_PAID');
    expect(refused(paid, { ...paid, amountTotal: paid.amountTotal - 1 })).toBe('ORDER_PAID');
    expect(refused(paid, { ...paid, amountTax: 0 })).toBe('ORDER_PAID');
    expect(refused(paid, { ...paid, amountTotal: paid.amountTotal + 0.01 })).toBe('ORDER_PAID');
    expect(refused(paid, { ...paid, lines: [{ ...first, priceSubtotalIncl: first.priceSubtotalIncl + 0.01 }, second] })).toBe('ORDER_PAID');
    expect(refused(paid, { ...paid, partnerId: 44 })).toBe('ORDER_PAID');
    expect(refused({ ...paid, state: 'finalized' }, { ...paid, state: 'finalized', lines: [first] })).toBe('ORDER_PAID');
    expect(refused(paid, { ...paid, state: 'finalized', lines: [first] })).toBe('ORDER_PAID');
  });

  it('INVALID_TRANSITION: un-paying, leaving finalized, replacing another order', () => {
    const paid = paidOrder(['a']);
    expect(refused(paid, { ...paid, state: 'checkout', kitchenStatus: 'sent' })).toBe('INVALID_TRANSITION');
    expect(refused(paid, { ...paid, state: 'editing', kitchenStatus: 'changed' })).toBe('INVALID_TRANSITION');
    const finalized = { ...paid, state: 'finalized' as const };
    expect(refused(finalized, paid)).toBe('INVALID_TRANSITION');
    expect(refused(finalized, { ...paid, state: 'editing', kitchenStatus: 'sent' })).toBe('INVALID_TRANSITION');
    expect(refused(checkoutOrder(['a']), checkoutOrder(['a'], SEND, 'NU/CFG1/S42/1-0000'))).toBe('INVALID_TRANSITION');
  });

  it('INVALID_TRANSITION: paid without payments covering the total (new or from checkout)', () => {
    const paid = paidOrder(['a']);
    const unpaid = { ...paid, payments: [payment(1)], amountPaid: 1, amountReturn: 0 };
    expect(refused(null, unpaid)).toBe('INVALID_TRANSITION');
    expect(refused(checkoutOrder(['a']), unpaid)).toBe('INVALID_TRANSITION');
  });

  it('CHECKOUT_EMPTY: checkout or later with zero lines', () => {
    const empty = editingOrder([]);
    expect(refused(empty, { ...empty, state: 'checkout', kitchenStatus: 'sent' })).toBe('CHECKOUT_EMPTY');
    expect(refused(null, { ...empty, state: 'checkout', kitchenStatus: 'sent' })).toBe('CHECKOUT_EMPTY');
    expect(refused(null, { ...empty, state: 'paid', kitchenStatus: 'paid' })).toBe('CHECKOUT_EMPTY');
    const sent = checkoutOrder(['a']);
    expect(refused(sent, { ...sent, kitchenStatus: 'changed', lines: [], amountTotal: 0, amountTax: 0 })).toBe('CHECKOUT_EMPTY');
    // The pure operation never produces that: removing the last line drops the order to editing.
    expect(unwrap(removeLine(sent, 'a', SEND))).toMatchObject({ state: 'editing', kitchenStatus: 'changed' });
    expect(refused(sent, unwrap(removeLine(sent, 'a', SEND)))).toBe('ok');
  });

  it('KITCHEN_STATUS_MISMATCH: lines changed after checkout but still sent (send_changes_to_kitchen=true)', () => {
    const sent = checkoutOrder(['a', 'b']);
    expect(refused(sent, { ...unwrap(addLine(sent, line('c'), SEND)), kitchenStatus: 'sent' })).toBe('KITCHEN_STATUS_MISMATCH');
    expect(refused(sent, { ...unwrap(setLineQty(sent, 'a', 3, SEND)), kitchenStatus: 'sent' })).toBe('KITCHEN_STATUS_MISMATCH');
    expect(refused(sent, { ...unwrap(removeLine(sent, 'b', SEND)), kitchenStatus: 'sent' })).toBe('KITCHEN_STATUS_MISMATCH');
    const backInEditing = unwrap(goEditing(sent));
    expect(refused(backInEditing, { ...unwrap(addLine(backInEditing, line('c'), SEND)), kitchenStatus: 'sent' })).toBe('KITCHEN_STATUS_MISMATCH');
    expect(refused(sent, { ...sent, lines: sent.lines.map((l) => ({ ...l, note: 'no onions' })) })).toBe('KITCHEN_STATUS_MISMATCH');
  });

  it('KITCHEN_STATUS_MISMATCH: open after having been sent', () => {
    const sent = checkoutOrder(['a']);
    expect(refused(sent, { ...sent, state: 'editing', kitchenStatus: 'open' })).toBe('KITCHEN_STATUS_MISMATCH');
    const editingSent = unwrap(goEditing(sent));
    expect(refused(editingSent, { ...editingSent, kitchenStatus: 'open' })).toBe('KITCHEN_STATUS_MISMATCH');
  });

  it('KITCHEN_STATUS_MISMATCH: a status the state cannot carry', () => {
    const paid = paidOrder(['a']);
    expect(refused(checkoutOrder(['a']), { ...paid, kitchenStatus: 'sent' })).toBe('KITCHEN_STATUS_MISMATCH');
    expect(refused(paid, { ...paid, state: 'finalized', kitchenStatus: 'changed' })).toBe('KITCHEN_STATUS_MISMATCH');
    expect(refused(editingOrder(['a']), { ...checkoutOrder(['a']), kitchenStatus: 'open' })).toBe('KITCHEN_STATUS_MISMATCH');
    expect(refused(null, { ...checkoutOrder(['a']), kitchenStatus: 'open' })).toBe('KITCHEN_STATUS_MISMATCH');
    expect(refused(editingOrder(['a']), { ...editingOrder(['a']), kitchenStatus: 'paid' })).toBe('KITCHEN_STATUS_MISMATCH');
  });
});
